using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Processes;
using CliWrap;
using Microsoft.Extensions.Logging;

namespace CiLab.Images;

/// <summary>
/// The <c>debian</c> recipe: mmdebstrap from the image's Debian mirror (minbase, systemd, dbus so that logind powers
/// off on the ACPI button, openssh-server, rsync, sudo, opendoas, a kernel, and the lab's packages), a user with
/// passwordless doas and sudo, host keys made at build time, an ext4 root converted to qcow2, kernel and initrd beside
/// it. As root or as a normal user (mmdebstrap's unshare mode): no step needs more than the user has.
/// </summary>
public sealed class DebianImageBuilder(ImageCache cache, ILogger log)
{
    private const string RecipeVersion = "debian-4";
    private static readonly string[] BasePackages = ["systemd-sysv", "udev", "openssh-server", "rsync", "sudo", "opendoas", "linux-image-amd64", "iproute2", "procps", "ca-certificates", "dbus"];
    private static readonly string[] FirmwarePackages = ["grub-pc-bin", "grub-efi-amd64-bin"];

    /// <summary>The image for <paramref name="image"/>: from the cache when an identical one was built, otherwise built now.</summary>
    /// <exception cref="ImageBuildException">The build failed (a package that does not exist, no network to the mirror, ...).</exception>
    public async Task<BootableImage> GetAsync(ImageDefinition image, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        var key = CacheKey(image, user);
        if (cache.Find(key) is { } cached)
        {
            log.Line($"Image '{image.Name}' is up to date ({key}).");
            return Describe(key, cached, image);
        }

        log.Line($"Building image '{image.Name}' ({key}) with mmdebstrap; this takes a minute or two.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var built = await cache.BuildAsync(key, async (directory, ct) =>
        {
            await BuildIntoAsync(directory, image, user, ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(directory, "build-seconds"), clock.Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        }, log, cancellationToken).ConfigureAwait(false);
        log.Line($"Image '{image.Name}' built in {clock.Elapsed.TotalSeconds:0}s.");
        return Describe(key, built, image);
    }

    /// <summary>
    /// The cache key: everything that changes the image's content — the recipe alone. No lab's key is in the image (QEMU
    /// hands the user and key in at boot), so every lab and checkout of one recipe shares one image; only a cloud-init
    /// image keeps its user's doas and sudo rules, and so its user.
    /// </summary>
    public static string CacheKey(ImageDefinition image, string user)
    {
        ArgumentNullException.ThrowIfNull(image);
        var text = new StringBuilder()
            .AppendLine(RecipeVersion).AppendLine(image.Suite).AppendLine(image.Mirror.AbsoluteUri).AppendLine(image.CloudInit ? user : string.Empty)
            .AppendLine(string.Join(',', image.Packages.Order(StringComparer.Ordinal)))
            .AppendLine(image.DiskBytes.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .AppendLine(image.CloudInit ? "cloud-init" : string.Empty)
            .AppendLine(image.Boot)
            .AppendLine(SetupScript())
            .AppendLine(image.Provision is null ? string.Empty : File.ReadAllText(image.Provision));
        return "debian-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private async Task BuildIntoAsync(string directory, ImageDefinition image, string user, CancellationToken cancellationToken)
    {
        var asRoot = Environment.UserName == "root";
        if (RootlessBuild.Check(Environment.UserName, RootlessBuild.CurrentUid()) is { Level: not DoctorLevel.Ok } cannot)
        {
            throw new ImageBuildException($"Image '{image.Name}' cannot be built as {Environment.UserName}: {cannot.Finding} An administrator must run: {cannot.Fix}");
        }

        var hostKey = Path.Combine(directory, "ssh_host_ed25519_key");
        await Cli.Wrap("ssh-keygen").WithArguments("-q", "-t", "ed25519", "-N", "", "-C", "cilab-guest", "-f", hostKey).ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);

        var tail = new Queue<string>();
        string? tempDirectory = null;
        void Progress(string line)
        {
            if (line.StartsWith("I: using ", StringComparison.Ordinal) && line.EndsWith(" as tempdir", StringComparison.Ordinal))
            {
                tempDirectory = line["I: using ".Length..^" as tempdir".Length];
            }

            tail.Enqueue(line);
            if (tail.Count > 30)
            {
                tail.Dequeue();
            }

            if (line.StartsWith("I: ", StringComparison.Ordinal) || line.StartsWith("E: ", StringComparison.Ordinal))
            {
                log.Line($"  [{image.Name}] {line[3..]}");
            }
        }

        var packages = BasePackages.Concat(image.CloudInit ? ["cloud-init"] : []).Concat(Firmware(image) ? FirmwarePackages : []).Concat(image.Packages).Distinct();
        var tarball = Path.Combine(directory, "root.tar");
        // mmdebstrap's hooks cannot name a path with a space: such a cache builds without the archive.
        var archive = PackageArchive.Default();
        var collected = Path.Combine(directory, "apt-archives");
        var useArchive = !archive.Directory.Contains(' ', StringComparison.Ordinal) && !collected.Contains(' ', StringComparison.Ordinal);
        if (useArchive)
        {
            Directory.CreateDirectory(archive.Directory);
            Directory.CreateDirectory(collected);
        }

        var mmdebstrap = Cli.Wrap("mmdebstrap")
            .WithArguments(MmdebstrapArguments.For(image, packages, SetupScript(), hostKey, tarball, asRoot, useArchive ? archive.Directory : null, useArchive ? collected : null))
            .WithEnvironmentVariable("CILAB_USER", user)
            // The user and key come at boot: from the seed with cloud-init, otherwise from QEMU's fw_cfg.
            .WithEnvironmentVariable("CILAB_CLOUD_INIT", image.CloudInit ? "1" : string.Empty)
            .WithEnvironmentVariable("CILAB_BOOT", image.Boot)
            .WithStandardOutputLine(Progress)
            .WithStandardErrorLine(Progress)
            .WithValidation(false);
        HostCommandResult result;
        try
        {
            // mmdebstrap must unmount /proc and /dev from its chroot before it goes.
            result = await mmdebstrap.ExecuteBoundedAsync(cancellationToken, grace: TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        }
        finally
        {
            // Interrupted, mmdebstrap's root mode can leave /proc, /sys and /dev mounted in its chroot: never leave them
            // behind. (The unshare mode's mounts live in its own namespace and go with it.)
            await UnmountLeftoversAsync(tempDirectory).ConfigureAwait(false);
        }

        if (!result.IsSuccess)
        {
            throw new ImageBuildException($"mmdebstrap failed (exit code {result.ExitCode}) building image '{image.Name}'. Last lines:{Environment.NewLine}{string.Join(Environment.NewLine, tail)}");
        }

        if (useArchive)
        {
            var kept = archive.Keep(collected, DateTime.UtcNow);
            Directory.Delete(collected, recursive: true);
            log.Line($"  [{image.Name}] {kept} packages kept in {archive.Directory} for the next build");
        }

        log.Line($"  [{image.Name}] writing the ext4 root filesystem ({image.DiskBytes >> 20} MiB) and converting it to qcow2");
        await RootFilesystem.WriteAsync(tarball, directory, image.DiskBytes, cancellationToken).ConfigureAwait(false);
        var raw = Path.Combine(directory, "root.ext4");
        if (Firmware(image))
        {
            log.Line($"  [{image.Name}] assembling a partitioned disk with GRUB for BIOS and UEFI");
            await FirmwareDisk.AssembleAsync(directory, cancellationToken).ConfigureAwait(false);
            raw = Path.Combine(directory, "disk.raw");
            File.Delete(Path.Combine(directory, "vmlinuz"));
            File.Delete(Path.Combine(directory, "initrd.img"));
        }

        await Cli.Wrap("qemu-img").WithArguments("convert", "-O", "qcow2", raw, Path.Combine(directory, "root.qcow2")).ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
        File.Delete(raw);
    }

    private async Task UnmountLeftoversAsync(string? tempDirectory)
    {
        if (tempDirectory is null || !tempDirectory.StartsWith("/tmp/mmdebstrap.", StringComparison.Ordinal))
        {
            return;
        }

        var mounts = File.ReadAllLines("/proc/mounts").Select(l => l.Split(' ')[1])
            .Where(m => m.StartsWith(tempDirectory + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length).ToList();
        foreach (var mount in mounts)
        {
            log.Line($"  unmounting {mount} left by the interrupted build");
            await Cli.Wrap("umount").WithArguments("--lazy", mount).WithValidation(false).ExecuteBoundedAsync(CancellationToken.None).ConfigureAwait(false);
        }

        var stillMounted = File.ReadAllText("/proc/mounts").Contains(" " + tempDirectory + "/", StringComparison.Ordinal);
        if (!stillMounted && Directory.Exists(tempDirectory))
        {
            Directory.Delete(tempDirectory, recursive: true);
        }
    }

    private static bool Firmware(ImageDefinition image) => image.Boot == "firmware";

    private static BootableImage Describe(string key, string directory, ImageDefinition image) => new()
    {
        CloudInitSeed = image.CloudInit,
        CredentialsFromFirmware = !image.CloudInit,
        Id = $"{key}-{ImageCache.BuildStamp(directory)}",
        DiskPath = Path.Combine(directory, "root.qcow2"),
        KernelPath = Firmware(image) ? null : Path.Combine(directory, "vmlinuz"),
        InitrdPath = Firmware(image) ? null : Path.Combine(directory, "initrd.img"),
        HostPublicKey = File.ReadAllText(Path.Combine(directory, "ssh_host_ed25519_key.pub")).Trim(),
    };

    private static string SetupScript()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CiLab.Images.debian-setup.sh")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
