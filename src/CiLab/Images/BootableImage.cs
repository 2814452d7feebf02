namespace CiLab.Images;

/// <summary>A guest image ready to boot: a disk that is never written (VMs get overlays), and how to start it.</summary>
public sealed record BootableImage
{
    // A blank disk's id starts so: the overlay over it is the only copy of what was installed there.
    internal const string BlankIdPrefix = "blank-";

    /// <summary>A stable id of this image's content (part of snapshot validity).</summary>
    public required string Id { get; init; }

    /// <summary>The base disk.</summary>
    public required string DiskPath { get; init; }

    /// <summary><c>qcow2</c> or <c>raw</c>.</summary>
    public string DiskFormat { get; init; } = "qcow2";

    /// <summary>A kernel for direct boot, or null for firmware boot.</summary>
    public string? KernelPath { get; init; }

    /// <summary>The initrd for direct boot.</summary>
    public string? InitrdPath { get; init; }

    /// <summary>The kernel command line for direct boot.</summary>
    public string KernelAppend { get; init; } = "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet";

    /// <summary>Boot with a cloud-init NoCloud seed carrying the lab's user and key.</summary>
    public bool CloudInitSeed { get; init; }

    /// <summary>The guest takes the lab's user and SSH key from QEMU's firmware configuration (<c>opt/cilab/user</c>, <c>opt/cilab/authorized_keys</c>) at boot.</summary>
    public bool CredentialsFromFirmware { get; init; }

    /// <summary>A script to run in each VM's guest after the first boot of its disk (a user image's <c>provision:</c>), or null.</summary>
    public string? ProvisionScript { get; init; }

    /// <summary>The guest's public host key (<c>ssh-ed25519 AAAA...</c>) to pin, or null when unknown.</summary>
    public string? HostPublicKey { get; init; }
}
