namespace CiLab.Host;

/// <summary>A program CiLab needs on the host, and the Debian package that provides it.</summary>
/// <param name="Command">The executable looked up on PATH, e.g. <c>qemu-system-x86_64</c>, or a file's absolute path.</param>
/// <param name="DebianPackage">The Debian/Ubuntu package that installs it, e.g. <c>qemu-system-x86</c>.</param>
public sealed record HostTool(string Command, string DebianPackage)
{
    /// <summary>What booting and snapshotting guests needs.</summary>
    public static IReadOnlyList<HostTool> Virtualization { get; } =
    [
        new("qemu-system-x86_64", "qemu-system-x86"),
        new("qemu-img", "qemu-utils"),
        new("ssh", "openssh-client"),
        new("ssh-keygen", "openssh-client"),
        new("rsync", "rsync"),
        new(Qemu.QemuHardware.UefiCode, "ovmf"),
    ];

    /// <summary>
    /// What building the default Debian guest image needs, as root or not (a normal user's build runs in user
    /// namespaces through newuidmap); Debian's keyring, which an Ubuntu host lacks, is named by its file.
    /// </summary>
    public static IReadOnlyList<HostTool> ImageBuilding { get; } =
    [
        new("mmdebstrap", "mmdebstrap"),
        new("mkfs.ext4", "e2fsprogs"),
        new("qemu-img", "qemu-utils"),
        new("fakeroot", "fakeroot"),
        new("newuidmap", "uidmap"),
        new("mkfs.fat", "dosfstools"),
        new("mcopy", "mtools"),
        new("sfdisk", "fdisk"),
        new("/usr/share/keyrings/debian-archive-keyring.gpg", "debian-archive-keyring"),
    ];
}
