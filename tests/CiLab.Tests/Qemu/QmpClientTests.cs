using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CiLab.Qemu;

namespace CiLab.Tests.Qemu;

/// <summary>The QMP client against a QMP peer written from QEMU's protocol spec (greeting, capabilities, ids echoed in replies).</summary>
public sealed class QmpClientTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-qmp-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_reply_to_a_cancelled_command_is_not_taken_for_the_next_commands_reply()
    {
        var path = Path.Combine(_directory, "qmp.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var slowAnswered = new TaskCompletionSource();
        var server = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync(Ct);
            await using var stream = new NetworkStream(peer);
            using var reader = new StreamReader(stream);
            await Send(stream, """{"QMP": {"version": {}, "capabilities": []}}""");
            string? pendingSlowId = null;
            while (await reader.ReadLineAsync(Ct) is { } line)
            {
                using var request = JsonDocument.Parse(line);
                var command = request.RootElement.GetProperty("execute").GetString();
                var id = request.RootElement.TryGetProperty("id", out var i) ? i.GetString() : null;
                switch (command)
                {
                    case "qmp_capabilities":
                        await Send(stream, $$"""{"return": {}, "id": "{{id}}"}""");
                        break;
                    case "human-monitor-command":
                        pendingSlowId = id; // answered late, after the client gave up on it
                        break;
                    case "query-status":
                        await Send(stream, $$"""{"return": "savevm done", "id": "{{pendingSlowId}}"}""");
                        await Send(stream, """{"event": "STOP", "data": {}}""");
                        await Send(stream, $$"""{"return": {"status": "running", "running": true}, "id": "{{id}}"}""");
                        slowAnswered.TrySetResult();
                        break;
                }
            }
        }, Ct);

        await using var client = await QmpClient.ConnectAsync(path, Ct);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.HumanMonitorCommandAsync("savevm clean", cancel.Token));
        }

        Assert.Equal("running", await client.QueryStatusAsync(Ct));
        await slowAnswered.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("STOP", (await client.Events.ReadAsync(Ct)).Name);
    }

    private static Task Send(NetworkStream stream, string json) => stream.WriteAsync(Encoding.UTF8.GetBytes(json + "\n"), Ct).AsTask();
}
