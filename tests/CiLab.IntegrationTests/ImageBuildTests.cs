using System.Diagnostics;
using CiLab.Host;
using CiLab.Images;
using CiLab.Labs;
using CiLab.Machines;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.IntegrationTests;

public sealed class ImageBuildTests(GuestLab lab)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_second_request_for_the_same_image_is_a_cache_hit_in_under_a_second()
    {
        var clock = Stopwatch.StartNew();
        var again = await new DebianImageBuilder(ImageCache.Default(), lab.Logger).GetAsync(new ImageDefinition { Name = "debian", Recipe = "debian", DiskBytes = 2L << 30 }, "cilab", Ct);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"cache hit took {clock.Elapsed}");
        Assert.Equal(lab.Image.Id, again.Id);
    }

    [Fact]
    public async Task A_lab_in_another_checkout_with_its_own_key_and_user_shares_the_image_and_logs_in_with_its_key()
    {
        // Another checkout: its own folder, so its own .cilab with a key of its own, and another user name.
        var other = Directory.CreateTempSubdirectory("cilab-other-checkout-").FullName;
        var log = new StringWriter();
        try
        {
            var definition = new LabDefinition
            {
                Path = other,
                Images = lab.Definition([]).Images,
                Vms = [new VmDefinition { Name = "elsewhere", Image = "debian", User = "tester", Cpus = 1, MemoryBytes = 768L << 20, BootTimeout = TimeSpan.FromMinutes(3) }],
            };
            var opened = await Lab.OpenAsync(definition, new LabOptions { Log = new LineLogger(log) }, Ct);
            Assert.NotEqual(lab.Lab.PublicKey, opened.PublicKey);
            var vm = await opened.MachineAsync("elsewhere", Ct);
            try
            {
                await vm.StartAsync(MachineStartOptions.Owned, Ct);

                Assert.Equal(lab.Image.Id, vm.ImageId); // No second build: the image is the recipe's alone.
                Assert.Contains("is up to date", log.ToString(), StringComparison.Ordinal);
                var whoami = await vm.Shell.RunAsync(new GuestCommand { Script = "id -un; cat ~/.ssh/authorized_keys" }, Ct);
                Assert.Equal(["tester", opened.PublicKey.Trim()], whoami.StandardOutput.Trim().Split('\n'));
                var doas = await vm.Shell.RunAsync(new GuestCommand { Script = "id -u", Elevation = Elevation.Doas }, Ct);
                var sudo = await vm.Shell.RunAsync(new GuestCommand { Script = "id -u", Elevation = Elevation.Sudo }, Ct);
                var root = await vm.RootShell.RunAsync(new GuestCommand { Script = "id -u" }, Ct);
                Assert.Equal(["0", "0", "0"], new[] { doas, sudo, root }.Select(r => r.StandardOutput.Trim())); // The user's doas and sudo rules came at boot too.
            }
            finally
            {
                await vm.DestroyAsync(CancellationToken.None);
            }
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task A_package_that_does_not_exist_fails_the_build_naming_it_and_leaves_nothing_in_the_cache()
    {
        var cache = new ImageCache(Path.Combine(lab.Directory, "cache-missing-package"));
        var definition = new ImageDefinition { Name = "typo", Recipe = "debian", Packages = ["no-such-package-cilab"] };
        var e = await Assert.ThrowsAsync<ImageBuildException>(() => new DebianImageBuilder(cache, NullLogger.Instance).GetAsync(definition, "cilab", Ct));
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
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new DebianImageBuilder(cache, new LineLogger(log)).GetAsync(definition, "cilab", cancellation.Token));
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
