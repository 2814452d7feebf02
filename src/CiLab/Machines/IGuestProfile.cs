namespace CiLab.Machines;

/// <summary>
/// What differs per guest operating system, as POSIX sh command lines for the guest: how to reboot and tell a new boot,
/// kill a command's processes, fill a disk, wait for a port or a service, and what a panic looks like on the console.
/// One profile per OS family; the lab picks it per VM (<c>guest:</c>).
/// </summary>
public interface IGuestProfile
{
    /// <summary>Its name in the lab file (<c>linux</c>).</summary>
    string Name { get; }

    /// <summary>The home folder of <paramref name="user"/>.</summary>
    string HomeDirectory(string user);

    /// <summary>The login shell of a user CiLab creates in the guest (the cloud-init seed's lab user).</summary>
    string DefaultShell { get; }

    /// <summary>Prints a value that differs on every boot.</summary>
    string BootIdCommand { get; }

    /// <summary>Reboots cleanly (run as root).</summary>
    string RebootCommand { get; }

    /// <summary>Sends <paramref name="signal"/> to every process whose environment holds <paramref name="variable"/>=<paramref name="value"/>.</summary>
    string KillTaggedCommand(string variable, string value, string signal);

    /// <summary>Sends <paramref name="signal"/> to every process named exactly <paramref name="processName"/>, printing how many there were.</summary>
    string KillByNameCommand(string processName, string signal);

    /// <summary>Fills the filesystem of <paramref name="fillerDirectory"/> with files in it until about <paramref name="leaveBytes"/> are free even for root; prints the filesystem's usage.</summary>
    string FillDiskCommand(string fillerDirectory, long leaveBytes);

    /// <summary>Exits 0 when something listens on TCP <paramref name="port"/>.</summary>
    string PortListeningCommand(int port);

    /// <summary>Prints the state of <paramref name="service"/>, exiting 0 only when it is active.</summary>
    string ServiceStateCommand(string service);

    /// <summary>Console text that means the kernel died.</summary>
    IReadOnlyList<string> PanicPatterns { get; }
}
