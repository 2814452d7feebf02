namespace CiLab.Labs;

/// <summary>One virtual machine of a lab.</summary>
public sealed record VmDefinition
{
    /// <summary>Its name, unique in the lab.</summary>
    public required string Name { get; init; }

    /// <summary>The image it boots (its own overlay over it).</summary>
    public required string Image { get; init; }

    /// <summary>Virtual CPUs.</summary>
    public int Cpus { get; init; } = 2;

    /// <summary>Memory in bytes.</summary>
    public long MemoryBytes { get; init; } = 1L << 30;

    /// <summary>The host port for SSH; 0 picks a free one.</summary>
    public int SshPort { get; init; }

    /// <summary>More forwarded ports.</summary>
    public IReadOnlyList<PortForward> Ports { get; init; } = [];

    /// <summary>The SSH user.</summary>
    public string User { get; init; } = "cilab";

    /// <summary>How commands gain root.</summary>
    public Elevation Elevation { get; init; } = Elevation.Doas;

    /// <summary>A read-only VM cannot be stopped, restored, snapshotted or destroyed by CiLab.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>How long a boot may take until SSH answers.</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary><c>auto</c>, <c>kvm</c> or <c>tcg</c>.</summary>
    public string Accelerator { get; init; } = "auto";

    /// <summary>What runs it: a registered backend's name (<c>qemu</c>, the default).</summary>
    public string Backend { get; init; } = Machines.MachineBackends.Default;

    /// <summary>
    /// How a firmware-booted image starts: <c>bios</c> (SeaBIOS, the default) or <c>uefi</c> (OVMF, with this VM's own
    /// copy of the variable store). A recipe image that boots its kernel directly ignores it.
    /// </summary>
    public string Firmware { get; init; } = "bios";

    /// <summary>The bus its disks hang on: <c>virtio</c> (the default), <c>sata</c>, <c>scsi</c> or <c>ide</c> (for OSes without virtio drivers).</summary>
    public string DiskBus { get; init; } = "virtio";

    /// <summary>Its network card: <c>virtio</c> (the default) or <c>e1000</c>.</summary>
    public string Nic { get; init; } = "virtio";

    /// <summary>
    /// An installer ISO (a full path) attached as a CD-ROM, and booted once, when the VM is started to install
    /// (<c>cilab vm install</c>); other starts leave it out.
    /// </summary>
    public string? InstallIso { get; init; }

    /// <summary>Its guest profile's name (<c>linux</c>, the default): how its OS is told to reboot, kill, wait.</summary>
    public string Guest { get; init; } = "linux";
}
