using System.Net;
using CiLab.Scenarios;

namespace CiLab.Tests.Scenarios;

public sealed class HostFileServerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-serve-").FullName;

    private string Root => Path.Combine(_directory, "root");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Serves_files_under_its_root_and_nothing_else()
    {
        Directory.CreateDirectory(Path.Combine(Root, "repo.git", "info"));
        await File.WriteAllTextAsync(Path.Combine(Root, "repo.git", "info", "refs"), "abc\trefs/heads/main\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(_directory, "outside.txt"), "secret", Ct);
        await using var server = new HostFileServer(Root);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}/") };

        // git's first request carries a query; a static server answers it with the plain file (the dumb protocol).
        Assert.Equal("abc\trefs/heads/main\n", await http.GetStringAsync("repo.git/info/refs?service=git-upload-pack", Ct));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("repo.git/missing", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("..%2Foutside.txt", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("repo.git", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync("repo.git/info/refs", new StringContent("x"), Ct)).StatusCode);
        Assert.Equal(new Uri($"http://10.0.2.2:{server.Port}/repo.git"), server.GuestUrl("repo.git"));
    }

    [Fact]
    public async Task A_link_inside_the_root_is_not_followed_out_of_it()
    {
        Directory.CreateDirectory(Root);
        await File.WriteAllTextAsync(Path.Combine(_directory, "outside.txt"), "secret", Ct);
        File.CreateSymbolicLink(Path.Combine(Root, "file-link"), Path.Combine(_directory, "outside.txt"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "dir-link"), _directory);
        await using var server = new HostFileServer(Root);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}/") };
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("file-link", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("dir-link/outside.txt", Ct)).StatusCode);
    }

    [Theory]
    [InlineData(20_000, 1, "414")]
    [InlineData(10, 500, "431")]
    public async Task Oversized_requests_are_answered_with_an_error_and_closed(int pathLength, int headers, string status)
    {
        Directory.CreateDirectory(Root);
        await using var server = new HostFileServer(Root);
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.Port, Ct);
        var stream = client.GetStream();
        var request = $"GET /{new string('a', pathLength)} HTTP/1.1\r\n" + string.Concat(Enumerable.Repeat("X-Filler: y\r\n", headers)) + "\r\n";
        try
        {
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request), Ct);
        }
        catch (IOException)
        {
            // The server may close before it has read everything: the answer is already on its way.
        }

        using var reader = new StreamReader(stream);
        var answer = await reader.ReadLineAsync(Ct);
        Assert.StartsWith($"HTTP/1.1 {status}", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_connections_past_the_cap_are_turned_away_and_files_still_served_after()
    {
        Directory.CreateDirectory(Root);
        await File.WriteAllTextAsync(Path.Combine(Root, "f"), "ok", Ct);
        await using var server = new HostFileServer(Root);
        var idle = new List<System.Net.Sockets.TcpClient>();
        for (var i = 0; i < 32; i++)
        {
            var c = new System.Net.Sockets.TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, server.Port, Ct);
            idle.Add(c);
        }

        await Task.Delay(300, Ct);
        using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}/") })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("f", Ct)).StatusCode);
            idle.ForEach(c => c.Dispose());
            await Task.Delay(300, Ct);
            Assert.Equal("ok", await http.GetStringAsync("f", Ct));
        }
    }
}
