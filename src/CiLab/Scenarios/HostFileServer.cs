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
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                var requestLine = await reader.ReadLineAsync(_stop.Token).ConfigureAwait(false) ?? string.Empty;
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync(_stop.Token).ConfigureAwait(false)))
                {
                    // Headers are not needed.
                }

                var parts = requestLine.Split(' ');
                var file = parts.Length >= 2 && parts[0] is "GET" or "HEAD" ? Resolve(parts[1]) : null;
                if (file is null)
                {
                    await WriteHeadAsync(stream, parts.Length >= 2 && parts[0] is "GET" or "HEAD" ? "404 Not Found" : "405 Method Not Allowed", 0).ConfigureAwait(false);
                    return;
                }

                await using var content = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                await WriteHeadAsync(stream, "200 OK", content.Length).ConfigureAwait(false);
                if (parts[0] == "GET")
                {
                    await content.CopyToAsync(stream, _stop.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // The guest went away mid-request (a link pulled, a reset): nothing to answer.
            }
        }
    }

    private string? Resolve(string target)
    {
        var path = Uri.UnescapeDataString(target.Split('?', 2)[0]).TrimStart('/');
        var full = Path.GetFullPath(Path.Combine(_root, path));
        // Nothing outside the root, however the path is spelled.
        return full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(full) ? full : null;
    }

    private async Task WriteHeadAsync(NetworkStream stream, string status, long length)
    {
        var head = $"HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token).ConfigureAwait(false);
    }
}
