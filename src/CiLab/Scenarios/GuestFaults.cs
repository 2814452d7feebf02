using System.Diagnostics;
using System.Globalization;
using CiLab.Processes;
using CiLab.Qemu;
using CiLab.Ssh;

namespace CiLab.Scenarios;

/// <summary>
/// Faults injected into one VM, each ending when the VM is usable again (or, for link down, when the cable is out):
/// network link down/up through QMP, reboot, hard reset, killing a guest process, filling a disk, restoring a snapshot.
/// </summary>
public sealed class GuestFaults
{
    private readonly VirtualMachine _vm;
    private readonly Action<string> _log;
    private readonly Action<TimeSpan> _machineTime;

    internal GuestFaults(VirtualMachine vm, Action<string> log, Action<TimeSpan> machineTime)
    {
        _vm = vm;
        _log = log;
        _machineTime = machineTime;
    }

    /// <summary>Unplugs the VM's network link: the guest sees no carrier, and SSH cannot reach it until <see cref="LinkUpAsync"/>.</summary>
    public async Task LinkDownAsync(CancellationToken cancellationToken)
    {
        _log("fault: network link down");
        await SetLinkAsync(up: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Plugs the link back in and waits until SSH answers again.</summary>
    public async Task LinkUpAsync(CancellationToken cancellationToken)
    {
        _log("fault: network link up");
        await SetLinkAsync(up: true, cancellationToken).ConfigureAwait(false);
        // The multiplexed connection may have died, or hang, while the cable was out.
        await CloseConnectionsAsync(cancellationToken).ConfigureAwait(false);
        await _vm.WaitUntilReadyAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reboots the guest cleanly (systemctl reboot) and waits until it has booted again and SSH answers.</summary>
    public Task RebootAsync(CancellationToken cancellationToken) =>
        RestartAsync("reboot", async ct =>
        {
            try
            {
                await _vm.Ssh.RunAsync(new GuestCommand { Script = "systemctl reboot", Elevation = _vm.Definition.Elevation, ValidateExitCode = false }, ct).ConfigureAwait(false);
            }
            catch (SshConnectionException)
            {
                // The connection went down with the guest: that is the reboot happening.
            }
        }, cancellationToken);

    /// <summary>Presses the reset button (QMP system_reset: no shutdown, no sync) and waits until the guest has booted again.</summary>
    public Task ResetAsync(CancellationToken cancellationToken) =>
        RestartAsync("hard reset", async ct =>
        {
            await using var qmp = await _vm.ConnectQmpAsync(ct).ConfigureAwait(false);
            await qmp.SystemResetAsync(ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Sends <paramref name="signal"/> to every guest process named exactly <paramref name="processName"/>; returns how many there were.</summary>
    public async Task<int> KillProcessAsync(string processName, string signal, CancellationToken cancellationToken)
    {
        _log($"fault: kill -{signal} {processName}");
        var name = ShellQuoting.Quote(processName);
        var result = await _vm.Ssh.RunAsync(
            new GuestCommand { Script = $"n=$(pgrep -cx {name}); pkill -{ShellQuoting.Quote(signal)} -x {name}; echo \"$n\"", Elevation = _vm.Definition.Elevation, ValidateExitCode = false },
            cancellationToken).ConfigureAwait(false);
        return int.TryParse(result.StandardOutput.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : 0;
    }

    /// <summary>
    /// Fills the filesystem holding <paramref name="directory"/> until about <paramref name="leaveBytes"/> remain free even
    /// for root; returns the folder of filler files (delete it, or restore a snapshot, to undo).
    /// </summary>
    public async Task<string> FillDiskAsync(string directory, long leaveBytes, CancellationToken cancellationToken)
    {
        var filler = ShellQuoting.Quote(directory.TrimEnd('/') + "/.cilab-fill");
        _log($"fault: fill the filesystem of {directory} (leaving {leaveBytes} bytes)");
        // Free blocks counting root's reserve (df's "avail" leaves it out, and root-run services use it). One big
        // allocation can fail for want of metadata blocks, so fill in rounds, halving a request that does not fit.
        var script = $"mkdir -p {filler}; i=0; while [ $i -lt 24 ]; do " +
            $"size=$(( $(stat -f -c '%f * %S' {filler}) - {leaveBytes.ToString(CultureInfo.InvariantCulture)} )); [ $size -gt 65536 ] || break; " +
            $"fallocate -l $size {filler}/$i 2>/dev/null || fallocate -l $((size / 2)) {filler}/$i 2>/dev/null || break; i=$((i + 1)); done; df -h {filler} | tail -n 1";
        var result = await _vm.Ssh.RunAsync(new GuestCommand { Script = script, Elevation = _vm.Definition.Elevation }, cancellationToken).ConfigureAwait(false);
        _log("  " + result.StandardOutput.Trim());
        return directory.TrimEnd('/') + "/.cilab-fill";
    }

    /// <summary>Restores snapshot <paramref name="snapshot"/> and waits until SSH answers.</summary>
    public async Task RestoreAsync(string snapshot, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await _vm.RestoreAsync(snapshot, cancellationToken).ConfigureAwait(false);
        _machineTime(clock.Elapsed);
        _log($"restored snapshot '{snapshot}' in {clock.Elapsed.TotalSeconds:0.0}s");
    }

    private async Task RestartAsync(string what, Func<CancellationToken, Task> trigger, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        _log($"fault: {what}");
        var bootId = await BootIdAsync(cancellationToken).ConfigureAwait(false);
        await trigger(cancellationToken).ConfigureAwait(false);
        await CloseConnectionsAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _vm.Ssh.WaitUntilAsync(
                new GuestCommand { Script = $"test \"$(cat /proc/sys/kernel/random/boot_id)\" != {bootId}" },
                _vm.Definition.BootTimeout, TimeSpan.FromSeconds(1), _vm.IsRunning, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or SshConnectionException)
        {
            throw new ScenarioAssertionException($"VM '{_vm.Name}' did not come back after a {what}: {e.Message}{_vm.ConsoleTail()}");
        }

        _machineTime(clock.Elapsed);
        _log($"VM back after the {what} in {clock.Elapsed.TotalSeconds:0.0}s");
    }

    private async Task<string> BootIdAsync(CancellationToken cancellationToken) =>
        (await _vm.Ssh.RunAsync(new GuestCommand { Script = "cat /proc/sys/kernel/random/boot_id" }, cancellationToken).ConfigureAwait(false)).StandardOutput.Trim();

    private async Task SetLinkAsync(bool up, CancellationToken cancellationToken)
    {
        await using var qmp = await _vm.ConnectQmpAsync(cancellationToken).ConfigureAwait(false);
        await qmp.SetLinkAsync(VirtualMachine.NetworkDeviceId, up, cancellationToken).ConfigureAwait(false);
    }

    private async Task CloseConnectionsAsync(CancellationToken cancellationToken)
    {
        await _vm.Ssh.CloseMasterAsync(cancellationToken).ConfigureAwait(false);
        await _vm.RootSsh.CloseMasterAsync(cancellationToken).ConfigureAwait(false);
    }
}
