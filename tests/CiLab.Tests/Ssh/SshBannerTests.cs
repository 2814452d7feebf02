using System.Net;
using System.Net.Sockets;
using System.Text;
using CiLab.Ssh;

namespace CiLab.Tests.Ssh;

public sealed class SshBannerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_silent_accepted_connection_is_given_up_for_a_new_one_that_gets_the_banner()
    {
        // As QEMU's forwarded port behaves while the guest boots: accepted at once, then silence; later ones greet.
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var connections = 0;
        var firstClosedBeforeSecond = false;
        var serving = Task.Run(async () =>
        {
            using var first = await server.AcceptTcpClientAsync(Ct);
            connections++;
            using var second = await server.AcceptTcpClientAsync(Ct);
            connections++;
            // At most one attempt at a time: the silent one is closed (readable, nothing to read) before the next starts.
            firstClosedBeforeSecond = first.Client.Poll(1_000_000, SelectMode.SelectRead) && first.Client.Available == 0;
            await second.GetStream().WriteAsync(Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.2\r\n"), Ct);
            await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        }, Ct);

        var why = await SshBanner.WaitAsync("127.0.0.1", ((IPEndPoint)server.LocalEndpoint).Port, TimeSpan.FromSeconds(8), Ct);

        Assert.Null(why);
        await serving;
        Assert.Equal(2, connections);
        Assert.True(firstClosedBeforeSecond);
    }

    [Fact]
    public async Task Nothing_listening_ends_with_the_reason_within_the_budget()
    {
        // Bound but not listening: connections are refused, and no other test can take the port meanwhile (a port
        // freed and reused here could meanwhile be taken by a parallel test's server, which would answer instead).
        using var reserved = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        reserved.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)reserved.LocalEndPoint!).Port;

        var why = await SshBanner.WaitAsync("127.0.0.1", port, TimeSpan.FromSeconds(1), Ct);

        Assert.NotNull(why);
        Assert.StartsWith("no SSH banner within 1s (", why, StringComparison.Ordinal);
        Assert.Contains("refused", why, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Something_else_answering_is_not_taken_for_sshd()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var serving = Task.Run(async () =>
        {
            while (!Ct.IsCancellationRequested)
            {
                using var client = await server.AcceptTcpClientAsync(Ct);
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n\r\n"), Ct);
            }
        }, Ct);

        var why = await SshBanner.WaitAsync("127.0.0.1", ((IPEndPoint)server.LocalEndpoint).Port, TimeSpan.FromSeconds(5), Ct);

        Assert.Contains("closed before a banner", why, StringComparison.Ordinal);
    }
}
