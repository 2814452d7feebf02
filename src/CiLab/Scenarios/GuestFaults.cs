using System.Diagnostics;
using System.Globalization;
using CiLab.Machines;
using CiLab.Processes;
using CiLab.Reporting;

namespace CiLab.Scenarios;

/// <summary>
/// Faults injected into one VM, each ending when the VM is usable again (or, for link down, when the cable is out):
/// network link down/up, reboot, hard reset, killing a guest process, filling a disk, restoring a snapshot. A fault the
/// VM's backend cannot inject fails the step with <see cref="CapabilityMissingException"/>, which says so.
/// </summary>
public sealed class GuestFaults
{
    private readonly IMachine _vm;
    private readonly Action<string> _log;
    private readonly Action<TimelineSpan> _machineWork;

    internal GuestFaults(IMachine vm, Action<string> log, Action<TimelineSpan> machineWork)
    {
        _vm = vm;
        _log = log;
        _machineWork = machineWork;
    }

    /// <summary>Unplugs the VM's network link: the guest sees no carrier, and SSH cannot reach it until <see cref="LinkUpAsync"/>.</summary>
    public async Task LinkDownAsync(CancellationToken cancellationToken)
    {
        _log("fault: network link down");
        await _vm.Require<ILinkControl>("pull its network cable").SetLinkAsync(up: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Plugs the link back in and waits until SSH answers again.</summary>
    public async Task LinkUpAsync(CancellationToken cancellationToken)
    {
        _log("fault: network link up");
        await _vm.Require<ILinkControl>("plug its network cable back in").SetLinkAsync(up: true, cancellationToken).ConfigureAwait(false);
        // The held SSH connections may have died, or hang, while the cable was out.
        await CloseConnectionsAsync(cancellationToken).ConfigureAwait(false);
        await _vm.WaitUntilReadyAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reboots the guest cleanly (its profile's reboot command) and waits until it has booted again and SSH answers. Where
    /// the machine offers <see cref="IColdReboot"/> the boot after the shutdown is a cold one, in a new emulator process.
    /// </summary>
    public Task RebootAsync(CancellationToken cancellationToken) =>
        RestartAsync("reboot", ct => _vm is IColdReboot cold ? cold.RebootColdAsync(_vm.Definition.BootTimeout, ct) : GuestReboot.AskAsync(_vm, ct), cancellationToken);

    /// <summary>Presses the reset button (no shutdown, no sync) and waits until the guest has booted again.</summary>
    public Task ResetAsync(CancellationToken cancellationToken)
    {
        var button = _vm.Require<IHardReset>("be reset");
        return RestartAsync("hard reset", button.ResetAsync, cancellationToken);
    }

    /// <summary>Sends <paramref name="signal"/> to every guest process named exactly <paramref name="processName"/>; returns how many there were.</summary>
    public async Task<int> KillProcessAsync(string processName, string signal, CancellationToken cancellationToken)
    {
        _log($"fault: kill -{signal} {processName}");
        var result = await _vm.Shell.RunAsync(
            new GuestCommand { Script = _vm.Profile.KillByNameCommand(processName, signal), Elevation = _vm.Definition.Elevation, ValidateExitCode = false },
            cancellationToken).ConfigureAwait(false);
        return int.TryParse(result.StandardOutput.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : 0;
    }

    /// <summary>
    /// Fills the filesystem holding <paramref name="directory"/> until about <paramref name="leaveBytes"/> remain free even
    /// for root; returns the folder of filler files (delete it, or restore a snapshot, to undo).
    /// </summary>
    public async Task<string> FillDiskAsync(string directory, long leaveBytes, CancellationToken cancellationToken)
    {
        var filler = directory.TrimEnd('/') + "/.cilab-fill";
        _log($"fault: fill the filesystem of {directory} (leaving {leaveBytes} bytes)");
        var script = _vm.Profile.FillDiskCommand(filler, leaveBytes);
        var result = await _vm.Shell.RunAsync(new GuestCommand { Script = script, Elevation = _vm.Definition.Elevation }, cancellationToken).ConfigureAwait(false);
        _log("  " + result.StandardOutput.Trim());
        return filler;
    }

    /// <summary>Restores snapshot <paramref name="snapshot"/> and waits until SSH answers.</summary>
    public async Task RestoreAsync(string snapshot, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        await _vm.RestoreAsync(snapshot, cancellationToken).ConfigureAwait(false);
        _machineWork(new TimelineSpan(_vm.Name, $"restore {snapshot}", started, clock.Elapsed));
        _log($"restored snapshot '{snapshot}' in {clock.Elapsed.TotalSeconds:0.0}s");
    }

    private async Task RestartAsync(string what, Func<CancellationToken, Task> trigger, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        _log($"fault: {what}");
        var bootId = await BootIdAsync(cancellationToken).ConfigureAwait(false);
        await trigger(cancellationToken).ConfigureAwait(false);
        await CloseConnectionsAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _vm.Shell.WaitUntilAsync(
                new GuestCommand { Script = $"test \"$({_vm.Profile.BootIdCommand})\" != {ShellQuoting.Quote(bootId)}" },
                _vm.Definition.BootTimeout, TimeSpan.FromSeconds(1), _vm.IsRunning, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or GuestConnectionException)
        {
            throw new ScenarioAssertionException($"VM '{_vm.Name}' did not come back after a {what}: {e.Message}{_vm.Diagnostics()}");
        }

        _machineWork(new TimelineSpan(_vm.Name, what, started, clock.Elapsed));
        _log($"VM back after the {what} in {clock.Elapsed.TotalSeconds:0.0}s");
    }

    private async Task<string> BootIdAsync(CancellationToken cancellationToken) =>
        (await _vm.Shell.RunAsync(new GuestCommand { Script = _vm.Profile.BootIdCommand }, cancellationToken).ConfigureAwait(false)).StandardOutput.Trim();

    private async Task CloseConnectionsAsync(CancellationToken cancellationToken)
    {
        await _vm.Shell.ReconnectAsync(cancellationToken).ConfigureAwait(false);
        await _vm.RootShell.ReconnectAsync(cancellationToken).ConfigureAwait(false);
    }
}
