using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace CiLab.Qemu;

/// <summary>
/// A client for QEMU's machine protocol over its unix socket: the greeting and capabilities negotiation,
/// commands with typed errors, and events as an async stream.
/// </summary>
internal sealed class QmpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);
    // Bounded: nobody may read the events, and a guest can make QEMU send many.
    private readonly Channel<QmpEvent> _events = Channel.CreateBounded<QmpEvent>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Channel<JsonElement> _replies = Channel.CreateUnbounded<JsonElement>();
    private readonly Task _pump;
    private long _nextId;

    /// <summary>How long a command may take before the client gives up on QEMU (savevm of a large guest takes a while).</summary>
    public static TimeSpan CommandTimeout { get; } = TimeSpan.FromMinutes(5);

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8);
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Events QEMU sent, in order.</summary>
    public ChannelReader<QmpEvent> Events => _events.Reader;

    /// <summary>Connects to <paramref name="socketPath"/>, reads the greeting and leaves negotiation mode.</summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new QmpClient(socket);
        try
        {
            using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                limit.CancelAfter(TimeSpan.FromSeconds(30));
                try
                {
                    await client._replies.Reader.ReadAsync(limit.Token).ConfigureAwait(false); // {"QMP": {...}}
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new IOException($"QEMU sent no QMP greeting on {socketPath} within 30s; it looks hung.");
                }
            }

            await client.ExecuteAsync("qmp_capabilities", null, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch (ChannelClosedException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"QEMU closed its QMP socket {socketPath} before greeting (it is exiting).");
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <paramref name="command"/> and returns its "return" value.</summary>
    /// <exception cref="QmpException">QEMU answered with an error.</exception>
    /// <exception cref="IOException">The connection closed (QEMU exited), or QEMU did not answer within <see cref="CommandTimeout"/>.</exception>
    public async Task<JsonElement> ExecuteAsync(string command, object? arguments, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(CommandTimeout);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Every command carries an id that QEMU echoes: a reply left over from a cancelled command is recognised and dropped.
            var id = $"cilab-{Interlocked.Increment(ref _nextId)}";
            var request = arguments is null
                ? JsonSerializer.Serialize(new { execute = command, id })
                : JsonSerializer.Serialize(new { execute = command, arguments, id });
            JsonElement reply;
            try
            {
                await _stream.WriteAsync(Encoding.UTF8.GetBytes(request + "\n"), limit.Token).ConfigureAwait(false);
                do
                {
                    reply = await _replies.Reader.ReadAsync(limit.Token).ConfigureAwait(false);
                }
                while (!(reply.TryGetProperty("id", out var echoed) && echoed.ValueKind == JsonValueKind.String && echoed.GetString() == id));
            }
            catch (ChannelClosedException)
            {
                throw new IOException($"QEMU closed its QMP connection during '{command}' (it exited).");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new IOException($"QEMU did not answer '{command}' within {CommandTimeout.TotalSeconds:0}s; it looks hung.");
            }

            if (reply.TryGetProperty("error", out var error))
            {
                throw new QmpException(command, error.GetProperty("class").GetString() ?? "?", error.GetProperty("desc").GetString() ?? "?");
            }

            return reply.TryGetProperty("return", out var value) ? value : default;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs a human monitor command (savevm, loadvm, delvm, info snapshots) and returns its text.</summary>
    /// <exception cref="QmpException">QEMU reported an error, in the text or as a QMP error.</exception>
    public async Task<string> HumanMonitorCommandAsync(string commandLine, CancellationToken cancellationToken)
    {
        var result = await ExecuteAsync("human-monitor-command", new Dictionary<string, string> { ["command-line"] = commandLine }, cancellationToken).ConfigureAwait(false);
        var text = result.ValueKind == JsonValueKind.String ? result.GetString() ?? string.Empty : string.Empty;
        // HMP reports failures as text, not as QMP errors.
        if (text.StartsWith("Error", StringComparison.OrdinalIgnoreCase) || text.Contains("does not exist", StringComparison.Ordinal))
        {
            throw new QmpException(commandLine, "HumanMonitorError", text.Trim());
        }

        return text;
    }

    /// <summary>Sets network device <paramref name="name"/>'s link up or down, as a pulled cable would (set_link).</summary>
    public Task SetLinkAsync(string name, bool up, CancellationToken cancellationToken) =>
        ExecuteAsync("set_link", new Dictionary<string, object> { ["name"] = name, ["up"] = up }, cancellationToken);

    /// <summary>The run state: running, paused, shutdown, ...</summary>
    public async Task<string> QueryStatusAsync(CancellationToken cancellationToken) =>
        (await ExecuteAsync("query-status", null, cancellationToken).ConfigureAwait(false)).GetProperty("status").GetString() ?? "unknown";

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        try
        {
            await _pump.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            // Closed under the reader.
        }

        _reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private async Task PumpAsync()
    {
        try
        {
            while (await _reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement.Clone();
                if (root.TryGetProperty("event", out var name))
                {
                    _events.Writer.TryWrite(new QmpEvent(name.GetString() ?? "?", root.TryGetProperty("data", out var data) ? data : null));
                }
                else
                {
                    _replies.Writer.TryWrite(root);
                }
            }
        }
        finally
        {
            _events.Writer.TryComplete();
            _replies.Writer.TryComplete();
        }
    }
}
