using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using CiLab.Host;
using CiLab.Images;
using Microsoft.Extensions.Logging.Abstractions;

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
        var downloader = new ImageDownloader(new ImageCache(_cacheRoot), http, new LineLogger(log));
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
        var e = await Assert.ThrowsAsync<ImageBuildException>(() => new ImageDownloader(cache, http, NullLogger.Instance).GetAsync(_url, wrong, TestContext.Current.CancellationToken));
        Assert.Contains(wrong, e.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(_disk)), e.Message, StringComparison.Ordinal);
        Assert.Empty(cache.List());
    }

    [Theory]
    [InlineData(2, 0x200UL, 0UL, "a backing file")]
    [InlineData(3, 0UL, 0b100UL, "an external data file")]
    public void A_qcow2_image_that_refers_to_another_file_is_refused(int version, ulong backingOffset, ulong incompatibleFeatures, string what)
    {
        var header = new byte[112];
        new byte[] { 0x51, 0x46, 0x49, 0xFB }.CopyTo(header, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)version);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), backingOffset);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(72), incompatibleFeatures);
        var path = Path.Combine(_cacheRoot, "user.qcow2");
        File.WriteAllBytes(path, header);
        var e = Assert.Throws<ImageBuildException>(() => ImageDownloader.DetectFormat(path));
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
        Assert.Contains("qemu-img convert", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_builds_of_one_entry_at_once_build_it_once_and_both_get_it()
    {
        var cache = new ImageCache(_cacheRoot);
        var builds = 0;
        var log = new StringWriter();
        async Task Build(string directory, CancellationToken ct)
        {
            Interlocked.Increment(ref builds);
            await Task.Delay(500, ct);
            await File.WriteAllTextAsync(Path.Combine(directory, "disk"), "bytes", ct);
        }

        // The second waits on the first's lock: a file lock, as two processes would meet.
        var first = Task.Run(() => cache.BuildAsync("debian-x", Build, new LineLogger(log), TestContext.Current.CancellationToken));
        await Task.Delay(100, TestContext.Current.CancellationToken);
        var second = Task.Run(() => new ImageCache(_cacheRoot).BuildAsync("debian-x", Build, new LineLogger(log), TestContext.Current.CancellationToken));
        Assert.Equal(await first, await second);
        Assert.Equal(1, builds);
        Assert.Contains("is being built by process", log.ToString(), StringComparison.Ordinal);
        Assert.Equal(["debian-x"], cache.List());
    }

    [Fact]
    public async Task A_rebuild_of_the_same_key_gets_a_new_build_stamp_so_old_overlays_are_not_reused()
    {
        var cache = new ImageCache(_cacheRoot);
        static Task Build(string directory, CancellationToken ct) => File.WriteAllTextAsync(Path.Combine(directory, "disk"), "bytes", ct);
        var first = ImageCache.BuildStamp(await cache.BuildAsync("debian-k", Build, NullLogger.Instance, TestContext.Current.CancellationToken));
        Directory.Delete(Path.Combine(_cacheRoot, "debian-k"), recursive: true);
        var second = ImageCache.BuildStamp(await cache.BuildAsync("debian-k", Build, NullLogger.Instance, TestContext.Current.CancellationToken));
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Prune_keeps_what_another_lab_uses_and_what_is_being_built()
    {
        var images = Path.Combine(_cacheRoot, "images");
        var cache = new ImageCache(images);
        static Task Build(string directory, CancellationToken ct) => File.WriteAllTextAsync(Path.Combine(directory, "disk"), "bytes", ct);
        foreach (var key in new[] { "mine-old", "theirs", "gone-lab", "in-use" })
        {
            await cache.BuildAsync(key, Build, NullLogger.Instance, TestContext.Current.CancellationToken);
        }

        var myLab = Directory.CreateDirectory(Path.Combine(_cacheRoot, "labs", "mine", ".cilab")).FullName;
        var otherLab = Directory.CreateDirectory(Path.Combine(_cacheRoot, "labs", "other", ".cilab")).FullName;
        cache.RecordUse("mine-old", myLab);
        cache.RecordUse("theirs", otherLab);
        cache.RecordUse("gone-lab", Path.Combine(_cacheRoot, "labs", "deleted", ".cilab"));
        Directory.CreateDirectory(Path.Combine(images, "other.partial-1")); // pid 1 lives: another build in progress
        var partial = Directory.CreateDirectory(Path.Combine(images, $"next.partial-{Environment.ProcessId}")).FullName;
        using var building = new FileStream(Path.Combine(images, "in-use.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        var (removed, kept) = cache.Prune(new HashSet<string>(), myLab);

        Assert.Equal(["gone-lab", "mine-old"], removed.Order(StringComparer.Ordinal));
        Assert.Contains(kept, k => k.StartsWith("theirs (used by the lab at", StringComparison.Ordinal));
        Assert.Contains(kept, k => k.StartsWith("in-use (being built by", StringComparison.Ordinal));
        Assert.True(Directory.Exists(partial));
        Assert.True(Directory.Exists(Path.Combine(images, "other.partial-1")));
    }

    [Fact]
    public void The_format_is_read_from_the_file_not_its_name()
    {
        var qcow = Path.Combine(_cacheRoot, "looks-raw.img");
        var header = new byte[104];
        new byte[] { 0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 3 }.CopyTo(header, 0);
        File.WriteAllBytes(qcow, header);
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
