using System.Diagnostics;
using CiLab.Host;
using CiLab.Images;
using CiLab.Labs;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.IntegrationTests;

public sealed class ImageBuildTests(GuestLab lab)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_second_request_for_the_same_image_is_a_cache_hit_in_under_a_second()
    {
        var clock = Stopwatch.StartNew();
        var again = await new DebianImageBuilder(ImageCache.Default(), lab.Logger).GetAsync(new ImageDefinition { Name = "debian", Recipe = "debian", DiskBytes = 2L << 30 }, "cilab", lab.Lab.PublicKey, Ct);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"cache hit took {clock.Elapsed}");
        Assert.Equal(lab.Image.Id, again.Id);
    }

    [Fact]
    public async Task A_package_that_does_not_exist_fails_the_build_naming_it_and_leaves_nothing_in_the_cache()
    {
        var cache = new ImageCache(Path.Combine(lab.Directory, "cache-missing-package"));
        var definition = new ImageDefinition { Name = "typo", Recipe = "debian", Packages = ["no-such-package-cilab"] };
        var e = await Assert.ThrowsAsync<ImageBuildException>(() => new DebianImageBuilder(cache, NullLogger.Instance).GetAsync(definition, "cilab", lab.Lab.PublicKey, Ct));
        Assert.Contains("no-such-package-cilab", e.Message, StringComparison.Ordinal);
        Assert.Empty(cache.List());
    }

    [Fact]
    public async Task An_interrupted_build_leaves_no_partial_image_and_no_mounts()
    {
        var cache = new ImageCache(Path.Combine(lab.Directory, "cache-interrupted"));
        var definition = new ImageDefinition { Name = "interrupted", Recipe = "debian", Packages = ["hello"] };
        // Another build on this machine (another checkout's, or one killed outright) may hold mmdebstrap mounts of its
        // own: only the mounts this build makes must be gone afterwards.
        var before = MmdebstrapMounts();
        using var cancellation = new CancellationTokenSource();
        var log = new SignalingWriter("extracting archives", cancellation);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new DebianImageBuilder(cache, new LineLogger(log)).GetAsync(definition, "cilab", lab.Lab.PublicKey, cancellation.Token));
        Assert.True(log.Signaled, "the build was never seen running");
        Assert.Empty(cache.List());
        var clock = Stopwatch.StartNew();
        while (MmdebstrapMounts().Except(before).Any() && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(200, Ct);
        }

        Assert.Empty(MmdebstrapMounts().Except(before));
    }

    private static HashSet<string> MmdebstrapMounts() =>
        [.. File.ReadAllLines("/proc/mounts").Select(l => l.Split(' ')[1]).Where(m => m.Contains("mmdebstrap", StringComparison.Ordinal))];

    /// <summary>Cancels the build once its log shows <paramref name="phase"/>, the way Ctrl-C lands mid-build.</summary>
    private sealed class SignalingWriter(string phase, CancellationTokenSource cancellation) : StringWriter
    {
        public bool Signaled { get; private set; }

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (!Signaled && value?.Contains(phase, StringComparison.Ordinal) == true)
            {
                Signaled = true;
                cancellation.Cancel();
            }
        }
    }
}
