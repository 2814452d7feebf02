using System.Globalization;
using CiLab.Processes;

namespace CiLab.Machines;

/// <summary>Linux with systemd (Debian, the default lab's guests): /proc, systemctl, ss, fallocate.</summary>
public sealed class LinuxSystemdProfile : IGuestProfile
{
    /// <summary>The one instance.</summary>
    public static LinuxSystemdProfile Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => "linux";

    /// <inheritdoc/>
    public string DefaultShell => "/bin/bash";

    /// <inheritdoc/>
    public string BootIdCommand => "cat /proc/sys/kernel/random/boot_id";

    /// <inheritdoc/>
    public string RebootCommand => "systemctl reboot";

    /// <inheritdoc/>
    public IReadOnlyList<string> PanicPatterns { get; } = ["Kernel panic"];

    /// <inheritdoc/>
    public string HomeDirectory(string user) => user == "root" ? "/root" : $"/home/{user}";

    /// <inheritdoc/>
    public string KillTaggedCommand(string variable, string value, string signal) =>
        $"for p in /proc/[0-9]*; do grep -qsz {ShellQuoting.Quote($"^{variable}={value}$")} $p/environ && kill -{ShellQuoting.Quote(signal)} ${{p#/proc/}} 2>/dev/null; done; true";

    /// <inheritdoc/>
    public string KillByNameCommand(string processName, string signal)
    {
        var name = ShellQuoting.Quote(processName);
        return $"n=$(pgrep -cx {name}); pkill -{ShellQuoting.Quote(signal)} -x {name}; echo \"$n\"";
    }

    /// <inheritdoc/>
    public string FillDiskCommand(string fillerDirectory, long leaveBytes)
    {
        // Free blocks counting root's reserve (df's "avail" leaves it out, and root-run services use it). One big
        // allocation can fail for want of metadata blocks, so fill in rounds, halving a request that does not fit.
        var filler = ShellQuoting.Quote(fillerDirectory);
        return $"mkdir -p {filler}; i=0; while [ $i -lt 24 ]; do " +
            $"size=$(( $(stat -f -c '%f * %S' {filler}) - {leaveBytes.ToString(CultureInfo.InvariantCulture)} )); [ $size -gt 65536 ] || break; " +
            $"fallocate -l $size {filler}/$i 2>/dev/null || fallocate -l $((size / 2)) {filler}/$i 2>/dev/null || break; i=$((i + 1)); done; df -h {filler} | tail -n 1";
    }

    /// <inheritdoc/>
    public string PortListeningCommand(int port) => $"ss -Hltn 'sport = :{port.ToString(CultureInfo.InvariantCulture)}' | grep -q .";

    /// <inheritdoc/>
    public string ServiceStateCommand(string service) => $"systemctl is-active {ShellQuoting.Quote(service)}";
}
