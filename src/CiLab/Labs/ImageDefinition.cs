namespace CiLab.Labs;

/// <summary>A guest image: built from a recipe, or brought by the user as a local file.</summary>
public sealed record ImageDefinition
{
    /// <summary>The name VMs refer to it by.</summary>
    public required string Name { get; init; }

    /// <summary>The recipe that builds it (<c>debian</c>), or null for a user image.</summary>
    public string? Recipe { get; init; }

    /// <summary>A user image: a local qcow2 or raw file (relative to the lab file).</summary>
    public string? Path { get; init; }

    /// <summary>A user image to download once (http or https); needs <see cref="Sha256"/>.</summary>
    public Uri? Url { get; init; }

    /// <summary>The SHA-256 the downloaded image must have.</summary>
    public string? Sha256 { get; init; }

    /// <summary>The Debian suite for the debian recipe.</summary>
    public string Suite { get; init; } = "bookworm";

    /// <summary>
    /// The Debian mirror the recipe installs from (a local mirror or proxy on a runner). Packages are checked against
    /// Debian's archive keyring wherever they come from.
    /// </summary>
    public Uri Mirror { get; init; } = new("http://deb.debian.org/debian");

    /// <summary>
    /// How a recipe image boots: <c>kernel</c> (QEMU loads its kernel directly, the fastest; the default) or
    /// <c>firmware</c> (a partitioned disk with GRUB for BIOS and UEFI, booted like any user image).
    /// </summary>
    public string Boot { get; init; } = "kernel";

    /// <summary>Extra packages for the recipe.</summary>
    public IReadOnlyList<string> Packages { get; init; } = [];

    /// <summary>The root filesystem size.</summary>
    public long DiskBytes { get; init; } = 4L << 30;

    /// <summary>
    /// Configure the guest with cloud-init at boot (a NoCloud seed CiLab writes): for the recipe, cloud-init is
    /// installed and no user or key is baked in; for a user's cloud image, the seed brings the lab's user and key.
    /// </summary>
    public bool CloudInit { get; init; }

    /// <summary>
    /// A shell script (relative to the lab file): a recipe runs it in the image at build time; a user image (path, url)
    /// runs it over SSH, with the VM's elevation, after the first boot of each VM's disk (QEMU backend).
    /// </summary>
    public string? Provision { get; init; }

    /// <summary>
    /// An empty disk of <see cref="DiskBytes"/> instead of an image: what an installer writes, from a VM's
    /// <see cref="VmDefinition.InstallIso"/> (<c>cilab vm install</c>). Made once and shared; each VM writes its own overlay.
    /// </summary>
    public bool Blank { get; init; }

    /// <summary>The VMID of the Proxmox VE template VMs of this image are cloned from (<c>backend: proxmox</c>).</summary>
    public int? ProxmoxTemplate { get; init; }
}
