using System.Security.Cryptography;
using System.Text;

namespace CiLab.Labs;

/// <summary>
/// Where a lab keeps its state: disks, keys and known_hosts under <c>.cilab/</c> beside the lab file, and
/// sockets, pid files and ownership under a short per-lab runtime folder (unix socket paths are limited to
/// 107 bytes). Two checkouts never share state.
/// </summary>
public sealed class LabState
{
    private readonly bool _create;

    /// <summary>Opens (and creates) the state of the lab whose files live in <paramref name="labDirectory"/>.</summary>
    public LabState(string labDirectory)
        : this(labDirectory, create: true)
    {
    }

    private LabState(string labDirectory, bool create)
    {
        _create = create;
        Root = Path.Combine(Path.GetFullPath(labDirectory), ".cilab");
        Id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Root)))[..10];
        RuntimeRoot = Path.Combine(Host.RuntimeFolder.Path, Id);
        CreatePrivate(Root);
        if (create)
        {
            Host.RuntimeFolder.Ensure();
        }

        CreatePrivate(RuntimeRoot);
    }

    /// <summary>The state of the lab in <paramref name="labDirectory"/> for reading only: no folder is created.</summary>
    public static LabState Peek(string labDirectory) => new(labDirectory, create: false);

    /// <summary><c>.cilab/</c> beside the lab file.</summary>
    public string Root { get; }

    /// <summary>A short id of this lab checkout (from its folder), e.g. for naming and tagging what it creates elsewhere.</summary>
    public string Id { get; }

    /// <summary>The per-lab runtime folder (0700).</summary>
    public string RuntimeRoot { get; }

    /// <summary>The lab's private key.</summary>
    public string PrivateKeyPath => Path.Combine(Root, "ssh", "id_ed25519");

    /// <summary>The lab's known_hosts with the guests' pinned host keys.</summary>
    public string KnownHostsPath => Path.Combine(Root, "ssh", "known_hosts");

    /// <summary>The persistent folder of one VM (overlay disk, serial log, metadata).</summary>
    public string VmDirectory(string vm) => CreatePrivate(Path.Combine(Root, "vms", Names.RequireValidName(vm, "VM")));

    /// <summary>The runtime folder of one VM (QMP socket, pid file, owner, SSH control socket).</summary>
    public string VmRuntimeDirectory(string vm) => CreatePrivate(Path.Combine(RuntimeRoot, Names.RequireValidName(vm, "VM")));

    /// <summary>Names of VMs with runtime state.</summary>
    public IReadOnlyList<string> VmsWithRuntimeState() =>
        Directory.Exists(RuntimeRoot) ? [.. Directory.GetDirectories(RuntimeRoot).Select(Path.GetFileName).OfType<string>()] : [];

    private string CreatePrivate(string directory)
    {
        if (!_create)
        {
            return directory;
        }

        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return directory;
    }
}
