using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CiLab.Scenarios;

/// <summary>
/// Serves a host directory read-only over plain HTTP on 127.0.0.1, which a user-mode-networked guest reaches as
/// http://10.0.2.2:port/. Enough for static content — a bare git repository (git's "dumb" HTTP protocol), packages,
/// fixtures — and gone with the process, so nothing is left running on the host.
/// </summary>
public sealed class HostFileServer : IAsyncDisposable
{
    /// <summary>The host's address as a QEMU user-mode guest sees it.</summary>
    public const string GuestHostAddress = "10.0.2.2";

    private readonly string _root;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly SemaphoreSlim _connections = new(MaxConnections, MaxConnections);

    private const int MaxConnections = 32;
    private const int MaxLineBytes = 8 * 1024;
    private const int MaxHeaders = 100;
    private static readonly TimeSpan HeaderTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan BodyTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Starts serving <paramref name="root"/> on a free port of 127.0.0.1.</summary>
    public HostFileServer(string root)
    {
        _root = Path.GetFullPath(root);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = AcceptAsync();
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>The URL a guest uses for <paramref name="relativePath"/>.</summary>
    public Uri GuestUrl(string relativePath) => new($"http://{GuestHostAddress}:{Port}/{relativePath.TrimStart('/')}");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            // Past the cap a connection is answered at once and closed rather than queued: a guest in a loop must not
            // exhaust the host. Its request is still read (briefly), so that the answer is not lost to a reset.
            var admitted = _connections.Wait(0);
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                limit.CancelAfter(admitted ? HeaderTimeout : TimeSpan.FromSeconds(5));
                var stream = client.GetStream();
                var input = new BufferedStream(stream, 4096);
                var requestLine = await ReadLineAsync(input, limit.Token).ConfigureAwait(false);
                if (requestLine is null)
                {
                    await AnswerErrorAsync(client, "414 URI Too Long").ConfigureAwait(false);
                    return;
                }

                for (var headers = 0; ; headers++)
                {
                    var header = await ReadLineAsync(input, limit.Token).ConfigureAwait(false);
                    if (header is null || headers > MaxHeaders)
                    {
                        await AnswerErrorAsync(client, "431 Request Header Fields Too Large").ConfigureAwait(false);
                        return;
                    }

                    if (header.Length == 0)
                    {
                        break;
                    }
                }

                if (!admitted)
                {
                    await AnswerErrorAsync(client, "503 Service Unavailable").ConfigureAwait(false);
                    return;
                }

                var parts = requestLine.Split(' ');
                var isRead = parts.Length >= 2 && parts[0] is "GET" or "HEAD";
                var file = isRead ? Resolve(parts[1]) : null;
                if (file is null)
                {
                    await AnswerErrorAsync(client, isRead ? "404 Not Found" : "405 Method Not Allowed").ConfigureAwait(false);
                    return;
                }

                await using var content = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                await WriteHeadAsync(stream, "200 OK", content.Length).ConfigureAwait(false);
                if (parts[0] == "GET")
                {
                    limit.CancelAfter(BodyTimeout);
                    await content.CopyToAsync(stream, limit.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // The guest went away mid-request (a link pulled, a reset) or was too slow: nothing to answer.
            }
            finally
            {
                if (admitted)
                {
                    _connections.Release();
                }
            }
        }
    }

    /// <summary>One CRLF- or LF-ended line of at most <see cref="MaxLineBytes"/> bytes; null when it is longer.</summary>
    /// <exception cref="IOException">The connection ended first.</exception>
    private static async Task<string?> ReadLineAsync(Stream input, CancellationToken cancellationToken)
    {
        var line = new List<byte>(128);
        var one = new byte[1];
        while (await input.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 1)
        {
            if (one[0] == (byte)'\n')
            {
                return Encoding.ASCII.GetString([.. line]).TrimEnd('\r');
            }

            if (line.Count == MaxLineBytes)
            {
                return null;
            }

            line.Add(one[0]);
        }

        throw new IOException("The connection ended in the middle of the request.");
    }

    // Closing with unread request bytes would reset the connection and could lose the answer: say it, stop sending,
    // then read away what is left for a moment.
    private async Task AnswerErrorAsync(TcpClient client, string status)
    {
        var stream = client.GetStream();
        await WriteHeadAsync(stream, status, 0).ConfigureAwait(false);
        client.Client.Shutdown(SocketShutdown.Send);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var buffer = new byte[16 * 1024];
        for (var total = 0; total < 1 << 20;)
        {
            var read = await stream.ReadAsync(buffer, limit.Token).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            total += read;
        }
    }

    private string? Resolve(string target)
    {
        var path = Uri.UnescapeDataString(target.Split('?', 2)[0]).TrimStart('/');
        var full = Path.GetFullPath(Path.Combine(_root, path));
        if (!Inside(full) || !File.Exists(full))
        {
            return null;
        }

        // Nor through a link: no component below the root may be one (a link could point anywhere on the host).
        for (var current = full; current != _root; current = Path.GetDirectoryName(current)!)
        {
            if (new FileInfo(current).LinkTarget is not null)
            {
                return null;
            }
        }

        return full;
    }

    // Nothing outside the root, however the path is spelled.
    private bool Inside(string path) => path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private async Task WriteHeadAsync(NetworkStream stream, string status, long length)
    {
        var head = $"HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token).ConfigureAwait(false);
    }
}
