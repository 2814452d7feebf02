using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using CiLab.Images;

namespace CiLab.Tests.Images;

/// <summary>Downloads from a real HTTP server on 127.0.0.1 (no outside network here).</summary>
[Collection(LocalHttpServers.Name)]
public sealed class ImageDownloaderTests : IDisposable
{
    private readonly string _cacheRoot = Directory.CreateTempSubdirectory("cilab-dl-").FullName;
    private readonly HttpListener _listener = new();
    private readonly byte[] _disk = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
    private readonly Uri _url;
    private int _requests;

    public ImageDownloaderTests()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _url = new Uri($"http://127.0.0.1:{port}/images/cloud.qcow2");
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                try
                {
                    var context = await _listener.GetContextAsync();
                    Interlocked.Increment(ref _requests);
                    context.Response.ContentLength64 = _disk.Length;
                    await context.Response.OutputStream.WriteAsync(_disk);
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
            }
        });
    }

    [Fact]
    public async Task A_verified_download_is_cached_and_not_fetched_again()
    {
        using var http = new HttpClient();
        var log = new StringWriter();
        var downloader = new ImageDownloader(new ImageCache(_cacheRoot), http, log);
        var digest = Convert.ToHexStringLower(SHA256.HashData(_disk));
        var path = await downloader.GetAsync(_url, digest, TestContext.Current.CancellationToken);
        Assert.Equal(_disk, File.ReadAllBytes(path));
        Assert.Contains("downloading cloud.qcow2: 100%", log.ToString(), StringComparison.Ordinal);

        var again = await downloader.GetAsync(_url, digest.ToUpperInvariant(), TestContext.Current.CancellationToken);
        Assert.Equal(path, again);
        Assert.Equal(1, _requests);
    }

    [Fact]
    public async Task A_sha256_mismatch_fails_with_both_digests_and_keeps_nothing()
    {
        using var http = new HttpClient();
        var cache = new ImageCache(_cacheRoot);
        var wrong = new string('a', 64);
        var e = await Assert.ThrowsAsync<ImageBuildException>(() => new ImageDownloader(cache, http, TextWriter.Null).GetAsync(_url, wrong, TestContext.Current.CancellationToken));
        Assert.Contains(wrong, e.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(_disk)), e.Message, StringComparison.Ordinal);
        Assert.Empty(cache.List());
    }

    [Fact]
    public void The_format_is_read_from_the_file_not_its_name()
    {
        var qcow = Path.Combine(_cacheRoot, "looks-raw.img");
        File.WriteAllBytes(qcow, [0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 3]);
        var raw = Path.Combine(_cacheRoot, "disk.qcow2");
        File.WriteAllBytes(raw, new byte[512]);
        Assert.Equal("qcow2", ImageDownloader.DetectFormat(qcow));
        Assert.Equal("raw", ImageDownloader.DetectFormat(raw));
    }

    public void Dispose()
    {
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // See FakeGitHubServer.Dispose.
        }

        Directory.Delete(_cacheRoot, recursive: true);
    }
}
