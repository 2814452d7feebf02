using System.Globalization;
using CiLab.Images;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Qemu;

namespace CiLab.Host;

/// <summary>
/// What a host (a CI runner, a laptop) needs to run a lab, checked and explained: KVM for this user (or TCG, said
/// plainly), the host programs, what image builds need (root, or user namespaces and subordinate IDs), free disk, the image cache, and VMs that cancelled jobs left.
/// Each finding that is not ok carries the exact fix. It only reads: it installs, builds and stops nothing.
/// </summary>
public static class HostDoctor
{
    /// <summary>Below this much free space at the image cache, a build or an overlay may fill the disk.</summary>
    public const long LowDiskBytes = 10L << 30;

    /// <summary>Below this much, a lab cannot build its default image.</summary>
    public const long TooLittleDiskBytes = 3L << 30;

    /// <summary>Checks this host; with <paramref name="lab"/>, also that lab's VMs.</summary>
    public static IReadOnlyList<DoctorFinding> Examine(LabDefinition? lab)
    {
        var user = Environment.UserName;
        List<DoctorFinding> findings = [Kvm(user), Tools(), RootlessBuild.Check(user, RootlessBuild.CurrentUid())];
        var cache = ImageCache.Default();
        findings.Add(Disk(cache.Root, FreeBytes(cache.Root)));
        findings.Add(Cache(cache));
        if (lab is not null)
        {
            findings.AddRange(Vms(Lab.ReadStatus(lab, [])));
        }

        return findings;
    }

    /// <summary>KVM, or TCG and why (the kvm group, the device, the CPU flags).</summary>
    public static DoctorFinding Kvm(string user, string devicePath = "/dev/kvm", string cpuInfoPath = "/proc/cpuinfo")
    {
        if (AcceleratorProbe.WhyNotKvm(devicePath, cpuInfoPath) is not { } why)
        {
            return new("kvm", DoctorLevel.Ok, $"{devicePath} is usable by {user}: guests run under KVM.");
        }

        var fix = !Path.Exists(devicePath)
            ? "enable VT-x/AMD-V in the firmware (or nested virtualization for a VM runner) and load kvm_intel or kvm_amd; TCG works meanwhile"
            : why.Contains("opened", StringComparison.Ordinal)
                ? GroupFix(devicePath, user)
                : "turn on nested virtualization for this VM (the vmx/svm CPU flag); TCG works meanwhile";
        return new("kvm", DoctorLevel.Warning, $"KVM is not usable: {why}. Guests run under TCG (software emulation), 10 to 20 times slower.", fix);
    }

    // The kvm group helps only if the device lets its group in; some hosts ship it as root-only (crw-------).
    private static string GroupFix(string devicePath, string user)
    {
        var join = $"sudo usermod -aG kvm {user}, then log in again (restart the runner service for a runner)";
        return (File.GetUnixFileMode(devicePath) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite)) == (UnixFileMode.GroupRead | UnixFileMode.GroupWrite)
            ? join
            : $"let the kvm group use {devicePath} (a udev rule: KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\"; then sudo udevadm trigger --name-match=kvm) and {join}";
    }

    /// <summary>The host programs booting and building guests need.</summary>
    public static DoctorFinding Tools()
    {
        var missing = HostPrerequisites.FindMissing([.. HostTool.Virtualization, .. HostTool.ImageBuilding, new HostTool("git", "git")]);
        return missing.Count == 0
            ? new("tools", DoctorLevel.Ok, "QEMU, qemu-img, OpenSSH, rsync, mmdebstrap, mkfs.ext4, fakeroot, uidmap, Debian's keyring and git are installed.")
            : new("tools", DoctorLevel.Problem, $"missing: {string.Join(", ", missing.Select(t => t.Command))}.",
                $"sudo apt-get install -y {string.Join(' ', missing.Select(t => t.DebianPackage).Distinct())} (./nuke.sh does it when run as root or with passwordless sudo)");
    }

    /// <summary>Free space for images and overlays at <paramref name="cacheRoot"/>.</summary>
    public static DoctorFinding Disk(string cacheRoot, long freeBytes)
    {
        var level = freeBytes < TooLittleDiskBytes ? DoctorLevel.Problem : freeBytes < LowDiskBytes ? DoctorLevel.Warning : DoctorLevel.Ok;
        return new("disk", level, $"{Gib(freeBytes)} free where images are cached ({cacheRoot}).",
            level == DoctorLevel.Ok ? null : $"free space there (cilab image prune deletes images no lab uses), or point CILAB_CACHE at a larger disk; a Debian image takes about 1.5 GiB");
    }

    private static DoctorFinding Cache(ImageCache cache)
    {
        var entries = cache.List();
        var bytes = Directory.Exists(cache.Root)
            ? new DirectoryInfo(cache.Root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true }).Sum(f => f.Length)
            : 0;
        return new("cache", DoctorLevel.Ok, $"{entries.Count} image(s), {Gib(bytes)}, in {cache.Root} (shared by every checkout of this user; CILAB_CACHE moves it).");
    }

    private static IEnumerable<DoctorFinding> Vms(IReadOnlyList<VmStatus> statuses)
    {
        foreach (var vm in statuses)
        {
            if (vm.State == VmRunState.Crashed)
            {
                yield return new("vms", DoctorLevel.Warning, $"VM '{vm.Name}' has run state but no QEMU: a run ended without stopping it.", $"cilab vm stop {vm.Name} (the next run also cleans it up)");
            }
            else if (vm.Owner is { } owner && owner.StartsWith("pid ", StringComparison.Ordinal) && int.TryParse(owner[4..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                yield return new("vms", DoctorLevel.Warning, $"VM '{vm.Name}' still runs, but the run that owned it ({owner}) is gone: a cancelled job left it.", $"cilab vm stop {vm.Name} (the next run stops it by itself)");
            }
        }
    }

    private static long FreeBytes(string path)
    {
        var existing = Path.GetFullPath(path);
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        return new DriveInfo(existing).AvailableFreeSpace;
    }

    private static string Gib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB");
}
