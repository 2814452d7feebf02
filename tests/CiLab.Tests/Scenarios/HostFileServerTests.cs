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
}
