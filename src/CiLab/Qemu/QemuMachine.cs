using System.Diagnostics;
using System.Text.Json;
using CiLab.Host;
using CiLab.Images;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Processes;
using CiLab.Ssh;
using CliWrap;
using Microsoft.Extensions.Logging;

namespace CiLab.Qemu;

/// <summary>
/// One lab VM on QEMU: its own qcow2 overlay over a base image that is never written, SSH forwarded on
/// 127.0.0.1, the serial console in a log, QMP on a unix socket in a 0700 folder. Start waits until SSH
/// answers and fails fast, with the console's last lines, when the guest dies or panics.
/// </summary>
public sealed partial class QemuMachine : IMachine, ILinkControl, IHardReset, IColdReboot, ISerialConsole, IInteractiveConsole, ILiveSnapshots
{
    // The id of the VM's one network device (user-mode networking), for QMP's set_link.
    private const string NetworkDeviceId = "net0";

    private const int ConsoleTailLines = 40;
    private readonly LabState _state;
    private readonly ILogger _log;
    private readonly HashSet<string> _damageReported = [];

    /// <summary>Describes VM <paramref name="definition"/> booting <paramref name="image"/>, with state in <paramref name="state"/>.</summary>
    public QemuMachine(VmDefinition definition, BootableImage image, LabState state, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(state);
        Definition = definition;
        Image = image;
        _state = state;
        _log = log;
        StateDirectory = state.VmDirectory(definition.Name);
        Profile = GuestProfiles.Find(definition.Guest) ?? throw new ArgumentException($"VM '{definition.Name}': no guest profile '{definition.Guest}'.", nameof(definition));
        RuntimeDirectory = state.VmRuntimeDirectory(definition.Name);
    }

    /// <summary>The VM's definition.</summary>
    public VmDefinition Definition { get; }

    /// <summary>The image it boots.</summary>
    public BootableImage Image { get; }

    /// <inheritdoc/>
    public string ImageId => Image.Id;

    /// <inheritdoc/>
    public IGuestProfile Profile { get; }

    /// <inheritdoc/>
    public TimeSpan ResumeTimeout => TimeSpan.FromSeconds(60);

    /// <summary>Its name.</summary>
    public string Name => Definition.Name;

    /// <summary>Persistent files: overlay, serial log, metadata, sync manifests.</summary>
    public string StateDirectory { get; }

    /// <summary>Runtime files: QMP socket, pid file, owner, SSH control socket.</summary>
    public string RuntimeDirectory { get; }

    /// <summary>The overlay disk (the only disk the VM writes).</summary>
    public string OverlayPath => Path.Combine(StateDirectory, "disk.qcow2");

    /// <summary>The serial console's log since the VM's last start (resets and reboots append to it).</summary>
    public string SerialLogPath => Path.Combine(StateDirectory, "serial.log");

    private string PidPath => Path.Combine(RuntimeDirectory, "qemu.pid");

    private string SeedPath => Path.Combine(StateDirectory, "seed.iso");

    private string UefiVarsPath => Path.Combine(StateDirectory, "efivars.qcow2");

    private string QmpPath => Path.Combine(RuntimeDirectory, "qmp.sock");

    private string RunInfoPath => Path.Combine(RuntimeDirectory, "run.json");

    private string MetadataPath => Path.Combine(StateDirectory, "vm.json");

    /// <summary>
    /// When another run holds this VM: wait until it ends (true, the default) or fail at once with
    /// <see cref="VmBusyException"/>.
    /// </summary>
    public bool WaitWhenBusy { get; init; } = true;

    private string LockPath => Path.Combine(_state.RuntimeRoot, Name + ".lock");

    /// <summary>OpenSSH to the VM as its lab user (valid while it runs), with its endpoint for other OpenSSH tools.</summary>
    public SshShell Ssh => new(Name, Endpoint(Definition.User), Profile, _log);

    /// <inheritdoc/>
    public IGuestShell Shell => Ssh;

    /// <inheritdoc/>
    public IGuestShell RootShell => new SshShell(Name, Endpoint("root"), Profile, _log);

    /// <summary>
    /// Starts the VM and waits until SSH answers. Detached VMs outlive this process; owned ones are stopped when it ends.
    /// </summary>
    /// <exception cref="VmException">QEMU would not start (a port in use, say), the guest died or panicked, or it was not ready in time.</exception>
    public async Task StartAsync(MachineStartOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (detached, fromSnapshot) = (options.Detached || options.Install, options.FromSnapshot);
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (IsRunning() && ReadRunInfo() is null)
        {
            _log.Line($"VM '{Name}' runs, but its run state ({RunInfoPath}) is missing or damaged, so it cannot be reached: killing it and starting again.");
            await KillAsync().ConfigureAwait(false);
        }

        if (IsRunning())
        {
            _log.Line($"VM '{Name}' is already running.");
            return;
        }

        await SetupAsync(cancellationToken).ConfigureAwait(false);
        var accelerator = AcceleratorProbe.Choose(Definition.Accelerator);
        int port;
        using (await PortAllocator.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            port = Definition.SshPort != 0 ? Definition.SshPort : PortAllocator.FreePort();
            foreach (var fixedPort in Definition.Ports.Select(p => p.HostPort).Prepend(Definition.SshPort).Where(p => p != 0))
            {
                if (!PortAllocator.IsFree(fixedPort))
                {
                    throw new VmException($"VM '{Name}' cannot start: host port {fixedPort} on 127.0.0.1 is already in use. Free it, or let CiLab choose (ssh-port: auto).");
                }
            }

            var forwards = Definition.Ports.Select(p => p with { HostPort = p.HostPort != 0 ? p.HostPort : PortAllocator.FreePort() }).ToList();
            var owner = detached ? null : (int?)Environment.ProcessId;
            await LaunchAsync(new VmRunInfo(0, port, accelerator, DateTimeOffset.UtcNow, owner, owner is { } o ? ProcessStart(o) : null, forwards), fromSnapshot, install: options.Install).ConfigureAwait(false);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            await KillAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        _log.Line(options.Install
            ? $"VM '{Name}' booting from {Definition.InstallIso} (ssh will be on 127.0.0.1:{port} once installed)."
            : $"VM '{Name}' started ({accelerator}, ssh on 127.0.0.1:{port}); waiting for SSH{(fromSnapshot is null ? " (boot)" : $" (resuming '{fromSnapshot}')")}.");
        try
        {
            // An installer has no SSH yet: it is driven over the serial console.
            if (!options.Install)
            {
                await WaitUntilReadyAsync(fromSnapshot is null ? Definition.BootTimeout : ResumeTimeout, consoleFrom: 0, cancellationToken).ConfigureAwait(false);
            }

            if (!options.Install && fromSnapshot is null && Image.ProvisionScript is { } provision)
            {
                await GuestProvisioning.EnsureAsync(this, provision, _log, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await KillAsync().ConfigureAwait(false);
            throw;
        }

        if (detached && ReadPid() is { } started)
        {
            OwnedMachines.Remove(started);
        }
    }

    /// <summary>Waits until SSH answers; fails at once when QEMU exits or the kernel panics.</summary>
    public Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken) => WaitUntilReadyAsync(timeout, ConsoleEnd(), cancellationToken);

    // A panic counts from consoleFrom on: the log keeps earlier boots' (a fallback after a failed boot, say).
    private async Task WaitUntilReadyAsync(TimeSpan timeout, long consoleFrom, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var ssh = Shell;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsRunning())
            {
                throw new VmException($"VM '{Name}' died while booting (QEMU exited).{ConsoleTail()}");
            }

            if (ReadConsole(consoleFrom, 256 * 1024).Text is var console && Profile.PanicPatterns.Any(p => console.Contains(p, StringComparison.Ordinal)))
            {
                throw new VmException($"VM '{Name}' panicked while booting.{ConsoleTail()}");
            }

            var why = await ssh.ProbeAsync(cancellationToken).ConfigureAwait(false);
            if (why is null)
            {
                _log.Line($"VM '{Name}' is ready after {clock.Elapsed.TotalSeconds:0.0}s.");
                return;
            }

            if (clock.Elapsed > timeout)
            {
                throw new VmException($"VM '{Name}' did not answer SSH within {timeout.TotalSeconds:0}s (last ssh error: {why}).{ConsoleTail()}");
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the VM: ACPI power-down, then QMP quit after <paramref name="grace"/>, then kill. A zero grace quits at
    /// once (QEMU still flushes its disks): right for disposable VMs that restore a snapshot next time.
    /// </summary>
    /// <exception cref="VmReadOnlyException">The VM is read-only.</exception>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("stop");
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (!IsRunning())
        {
            await WaitForExitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false); // one exiting already
            CleanRuntime();
            return;
        }

        await Shell.ReconnectAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var qmp = await QmpClient.ConnectAsync(QmpPath, cancellationToken).ConfigureAwait(false);
            if (grace > TimeSpan.Zero)
            {
                await qmp.ExecuteAsync("system_powerdown", null, cancellationToken).ConfigureAwait(false);
            }

            if (!await WaitForExitAsync(grace, cancellationToken).ConfigureAwait(false))
            {
                if (grace > TimeSpan.Zero)
                {
                    _log.Line($"VM '{Name}' did not power off within {grace.TotalSeconds:0}s; quitting QEMU.");
                }

                await qmp.ExecuteAsync("quit", null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or QmpException)
        {
            // QMP is gone or refused: fall through to the kill below.
        }

        if (!await WaitForExitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false))
        {
            await KillAsync().ConfigureAwait(false);
        }

        CleanRuntime();
        _log.Line($"VM '{Name}' stopped.");
    }

    /// <summary>Kills QEMU at once (no guest shutdown) and cleans up its runtime files.</summary>
    public async Task KillAsync()
    {
        await AcquireAsync(CancellationToken.None).ConfigureAwait(false);
        if (LastPid() is { } pid && IsQemu(pid))
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        CleanRuntime();
    }

    /// <summary>Stops the VM if needed and deletes its overlay and state.</summary>
    public async Task DestroyAsync(CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("destroy");
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        await StopAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        System.IO.Directory.Delete(StateDirectory, recursive: true);
        System.IO.Directory.Delete(RuntimeDirectory, recursive: true);
    }

    // QEMU deletes its pid file early in its exit, while the process still holds ports and files: the run state keeps the pid.
    private int? LastPid() => ReadPid() ?? ReadRunInfo()?.Pid;

    private async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The process itself, not its pid file.
        var pid = LastPid();
        var clock = Stopwatch.StartNew();
        while (pid is { } running && IsQemu(running))
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private void RefuseIfReadOnly(string operation)
    {
        if (Definition.ReadOnly)
        {
            throw new VmReadOnlyException(Name, operation);
        }
    }
}
