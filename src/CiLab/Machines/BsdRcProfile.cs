using System.Globalization;
using CiLab.Processes;

namespace CiLab.Machines;

/// <summary>
/// FreeBSD and DragonFly BSD with rc (seed 003's guest): <c>kern.boottime</c> for a new boot, <c>shutdown -r</c>,
/// <c>ps -e</c> for a command's tagged processes, <c>sockstat</c>, <c>service … status</c>, <c>dd</c> to fill a disk.
/// Written from the systems' manual pages (ps(1), sockstat(1), service(8), shutdown(8), sysctl(8), dd(1), truncate(1)):
/// no BSD image can be fetched on CiLab's own machines, so its commands are tested here against recorded output of
/// those tools, not in a BSD guest.
/// </summary>
public sealed class BsdRcProfile : IGuestProfile
{
    /// <summary>The one instance.</summary>
    public static BsdRcProfile Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => "bsd";

    /// <inheritdoc/>
    public string DefaultShell => "/bin/sh"; // bash is a package there, if at all

    /// <inheritdoc/>
    public string BootIdCommand => "sysctl -n kern.boottime";

    /// <inheritdoc/>
    public string RebootCommand => "shutdown -r now";

    /// <inheritdoc/>
    public IReadOnlyList<string> PanicPatterns { get; } = ["panic: ", "Fatal trap "];

    /// <inheritdoc/>
    public string HomeDirectory(string user) => user == "root" ? "/root" : $"/home/{user}";

    /// <inheritdoc/>
    public string KillTaggedCommand(string variable, string value, string signal) =>
        // ps -e puts each process's environment before its command (as root, every user's): only those leading
        // NAME=value words are looked at, so an argument that merely looks like the tag does not count.
        $"ps -axeww -o pid= -o command= | awk -v tag={ShellQuoting.Quote($"{variable}={value}")} '{{ for (i = 2; i <= NF && $i ~ /^[A-Za-z_][A-Za-z0-9_]*=/; i++) if ($i == tag) {{ print $1; break }} }}' " +
        $"| while read -r p; do kill -{ShellQuoting.Quote(signal)} \"$p\" 2>/dev/null; done; true";

    /// <inheritdoc/>
    public string KillByNameCommand(string processName, string signal)
    {
        // BSD pgrep has no -c.
        var name = ShellQuoting.Quote(processName);
        return $"n=$(pgrep -x {name} | wc -l | tr -d ' '); pkill -{ShellQuoting.Quote(signal)} -x {name}; echo \"$n\"";
    }

    /// <inheritdoc/>
    public string FillDiskCommand(string fillerDirectory, long leaveBytes)
    {
        // No fallocate: write until the filesystem refuses even root, then give back what should stay free. Random
        // data, because ZFS (FreeBSD's default) compresses zeros to nothing.
        var filler = ShellQuoting.Quote(fillerDirectory);
        var leave = leaveBytes.ToString(CultureInfo.InvariantCulture);
        return $"mkdir -p {filler}; dd if=/dev/random of={filler}/0 bs=1m 2>/dev/null; size=$(stat -f %z {filler}/0); " +
            $"if [ \"$size\" -gt {leave} ]; then truncate -s $((size - {leave})) {filler}/0; else rm -f {filler}/0; fi; df -h {filler} | tail -n 1";
    }

    /// <inheritdoc/>
    public string PortListeningCommand(int port) =>
        $"sockstat -l -p {port.ToString(CultureInfo.InvariantCulture)} | awk 'NR > 1 && $5 ~ /^tcp/ {{ found = 1 }} END {{ exit !found }}'";

    /// <inheritdoc/>
    public string ServiceStateCommand(string service) => $"service {ShellQuoting.Quote(service)} status";
}
