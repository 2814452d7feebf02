using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CiLab.Host;
using CiLab.Images;
using CiLab.Labs;
using CiLab.Processes;
using CiLab.Ssh;

namespace CiLab.Qemu;

/// <summary>
/// One lab VM on QEMU: its own qcow2 overlay over a base image that is never written, SSH forwarded on
/// 127.0.0.1, the serial console in a log, QMP on a unix socket in a 0700 folder. Start waits until SSH
/// answers and fails fast, with the console's last lines, when the guest dies or panics.
/// </summary>
public sealed class VirtualMachine
{
    /// <summary>The id of the VM's one network device (user-mode networking), for QMP's set_link.</summary>
    public const string NetworkDeviceId = "net0";

    private const int ConsoleTailLines = 40;
    private readonly LabState _state;
    private readonly TextWriter _log;
    private readonly HashSet<string> _damageReported = [];

    /// <summary>Describes VM <paramref name="definition"/> booting <paramref name="image"/>, with state in <paramref name="state"/>.</summary>
    public VirtualMachine(VmDefinition definition, BootableImage image, LabState state, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(state);
        Definition = definition;
        Image = image;
        _state = state;
        _log = log;
        Directory = state.VmDirectory(definition.Name);
        RuntimeDirectory = state.VmRuntimeDirectory(definition.Name);
    }

    /// <summary>The VM's definition.</summary>
    public VmDefinition Definition { get; }

    /// <summary>The image it boots.</summary>
    public BootableImage Image { get; }

    /// <summary>Its name.</summary>
    public string Name => Definition.Name;

    /// <summary>Persistent files: overlay, serial log, metadata.</summary>
    public string Directory { get; }

    /// <summary>Runtime files: QMP socket, pid file, owner, SSH control socket.</summary>
    public string RuntimeDirectory { get; }

    /// <summary>The overlay disk (the only disk the VM writes).</summary>
    public string OverlayPath => Path.Combine(Directory, "disk.qcow2");

    /// <summary>The serial console log of the current (or last) boot.</summary>
    public string SerialLogPath => Path.Combine(Directory, "serial.log");

    private string PidPath => Path.Combine(RuntimeDirectory, "qemu.pid");

    private string SeedPath => Path.Combine(Directory, "seed.iso");

    private string QmpPath => Path.Combine(RuntimeDirectory, "qmp.sock");

    private string RunInfoPath => Path.Combine(RuntimeDirectory, "run.json");

    private string MetadataPath => Path.Combine(Directory, "vm.json");

    /// <summary>
    /// When another run holds this VM: wait until it ends (true, the default) or fail at once with
    /// <see cref="VmBusyException"/>.
    /// </summary>
    public bool WaitWhenBusy { get; init; } = true;

    private string LockPath => Path.Combine(_state.RuntimeRoot, Name + ".lock");

    /// <summary>SSH to the VM as its lab user (valid while it runs).</summary>
    public SshClient Ssh => new(Name, Endpoint(Definition.User));

    /// <summary>SSH to the VM as root.</summary>
    public SshClient RootSsh => new(Name, Endpoint("root"));

    /// <summary>
    /// Creates the overlay over the base image when it is missing or the base image changed.
    /// Returns false when it was already up to date.
    /// </summary>
    public async Task<bool> SetupAsync(CancellationToken cancellationToken)
    {
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        var metadata = ReadMetadata();
        if (File.Exists(OverlayPath) && metadata?.ImageId == Image.Id)
        {
            return false;
        }

        if (IsRunning())
        {
            throw new VmException($"VM '{Name}' runs on an older image; stop it before setting it up again.");
        }

        File.Delete(OverlayPath);
        await Command.Create("qemu-img")
            .WithArguments("create", "-q", "-f", "qcow2", "-F", Image.DiskFormat, "-b", Path.GetFullPath(Image.DiskPath), OverlayPath)
            .ExecuteAsync(cancellationToken).ConfigureAwait(false);
        WriteMetadata(new VmMetadata(Image.Id, []));
        WriteKnownHost();
        if (Image.CloudInitSeed)
        {
            var publicKey = (await File.ReadAllTextAsync(_state.PrivateKeyPath + ".pub", cancellationToken).ConfigureAwait(false)).Trim();
            CloudInitSeed.Write(SeedPath, Name, Definition.User, publicKey);
        }

        return true;
    }

    /// <summary>
    /// Starts the VM and waits until SSH answers. <paramref name="detached"/> VMs outlive this process;
    /// owned ones are stopped when it ends. <paramref name="fromSnapshot"/> resumes a saved snapshot instead of booting.
    /// </summary>
    /// <exception cref="VmException">QEMU would not start (a port in use, say), the guest died or panicked, or it was not ready in time.</exception>
    public async Task StartAsync(bool detached, string? fromSnapshot, CancellationToken cancellationToken)
    {
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        ReapIfOrphaned();
        if (IsRunning() && ReadRunInfo() is null)
        {
            _log.WriteLine($"VM '{Name}' runs, but its run state ({RunInfoPath}) is missing or damaged, so it cannot be reached: killing it and starting again.");
            await KillAsync().ConfigureAwait(false);
        }

        if (IsRunning())
        {
            _log.WriteLine($"VM '{Name}' is already running.");
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
            File.Delete(PidPath);
            File.Delete(QmpPath);
            // Not cancellable: cut between QEMU's fork and its pid file, the daemon would be out of reach. It takes a second or two.
            var qemu = await Command.Create("qemu-system-x86_64")
                .WithArguments(QemuArguments(accelerator, port, forwards, fromSnapshot))
                .WithValidation(false)
                .ExecuteAsync(CancellationToken.None).ConfigureAwait(false);
            if (!qemu.IsSuccess)
            {
                throw new VmException($"QEMU would not start VM '{Name}' (exit code {qemu.ExitCode}): {qemu.StandardError.Trim()}");
            }

            var pid = ReadPid() ?? throw new VmException($"QEMU started VM '{Name}' but wrote no pid file.");
            // Owned while booting even when detached later: a run stopped mid-boot leaves nothing behind.
            OwnedMachines.Add(pid, Name);

            var run = new VmRunInfo(pid, port, accelerator, DateTimeOffset.UtcNow, detached ? null : Environment.ProcessId, detached ? null : ProcessStart(Environment.ProcessId), forwards);
            AtomicFile.WriteAllText(RunInfoPath, JsonSerializer.Serialize(run));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            await KillAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        _log.WriteLine($"VM '{Name}' started ({accelerator}, ssh on 127.0.0.1:{port}); waiting for SSH{(fromSnapshot is null ? " (boot)" : $" (resuming '{fromSnapshot}')")}.");
        try
        {
            await WaitUntilReadyAsync(fromSnapshot is null ? Definition.BootTimeout : TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
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
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var ssh = Ssh;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsRunning())
            {
                throw new VmException($"VM '{Name}' died while booting (QEMU exited).{ConsoleTail()}");
            }

            if (File.Exists(SerialLogPath) && ReadSerial().Contains("Kernel panic", StringComparison.Ordinal))
            {
                throw new VmException($"VM '{Name}' panicked while booting.{ConsoleTail()}");
            }

            var why = await ssh.ProbeAsync(cancellationToken).ConfigureAwait(false);
            if (why is null)
            {
                _log.WriteLine($"VM '{Name}' is ready after {clock.Elapsed.TotalSeconds:0.0}s.");
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
            CleanRuntime();
            return;
        }

        await Ssh.CloseMasterAsync(cancellationToken).ConfigureAwait(false);
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
                    _log.WriteLine($"VM '{Name}' did not power off within {grace.TotalSeconds:0}s; quitting QEMU.");
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
        _log.WriteLine($"VM '{Name}' stopped.");
    }

    /// <summary>Kills QEMU at once (no guest shutdown) and cleans up its runtime files.</summary>
    public async Task KillAsync()
    {
        await AcquireAsync(CancellationToken.None).ConfigureAwait(false);
        if (ReadPid() is { } pid && IsQemu(pid))
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        CleanRuntime();
    }

    /// <summary>Running, stopped or crashed, with process, port, uptime, accelerator and owner.</summary>
    public VmStatus GetStatus()
    {
        var run = ReadRunInfo();
        if (IsRunning() && run is not null)
        {
            var owner = run.OwnerPid is { } p ? $"pid {p}" : "detached";
            return new VmStatus(Name, VmRunState.Running, run.Pid, run.SshPort, DateTimeOffset.UtcNow - run.Started, run.Accelerator, owner);
        }

        return new VmStatus(Name, run is null ? VmRunState.Stopped : VmRunState.Crashed, null, null, null, run?.Accelerator, null);
    }

    /// <summary>Saves a live snapshot (RAM and disk) named <paramref name="name"/> into the overlay.</summary>
    public async Task SnapshotAsync(string name, CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("snapshot");
        Names.RequireValidName(name, "snapshot"); // It goes into a monitor command line.
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        await using var qmp = await ConnectQmpAsync(cancellationToken).ConfigureAwait(false);
        await qmp.HumanMonitorCommandAsync($"savevm {name}", cancellationToken).ConfigureAwait(false);
        var metadata = ReadMetadata() ?? new VmMetadata(Image.Id, []);
        WriteMetadata(metadata with { Snapshots = [.. metadata.Snapshots.Where(s => s != name), name] });
    }

    /// <summary>True when snapshot <paramref name="name"/> exists and was taken on the current base image.</summary>
    public async Task<bool> HasSnapshotAsync(string name, CancellationToken cancellationToken)
    {
        var metadata = ReadMetadata();
        return metadata?.ImageId == Image.Id && metadata.Snapshots.Contains(name)
            && (await ListSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Contains(name);
    }

    /// <summary>The snapshots in the overlay.</summary>
    public async Task<IReadOnlyList<string>> ListSnapshotsAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(OverlayPath))
        {
            return [];
        }

        // -U reads the image while a running QEMU holds its lock.
        var result = await Command.Create("qemu-img").WithArguments("snapshot", "-l", "-U", OverlayPath).ExecuteAsync(cancellationToken).ConfigureAwait(false);
        return [.. result.StandardOutput.Split('\n').Skip(2).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(w => w.Length > 1).Select(w => w[1])];
    }

    /// <summary>
    /// Restores snapshot <paramref name="name"/>: loadvm when running, otherwise a start that resumes it.
    /// Either way it returns once SSH answers again.
    /// </summary>
    public async Task RestoreAsync(string name, CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("restore");
        Names.RequireValidName(name, "snapshot");
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (!IsRunning())
        {
            await StartAsync(detached: false, fromSnapshot: name, cancellationToken).ConfigureAwait(false);
            return;
        }

        await using (var qmp = await ConnectQmpAsync(cancellationToken).ConfigureAwait(false))
        {
            await qmp.HumanMonitorCommandAsync($"loadvm {name}", cancellationToken).ConfigureAwait(false);
        }

        // The multiplexed connection's TCP state went back in time with the guest.
        await Ssh.CloseMasterAsync(cancellationToken).ConfigureAwait(false);
        await RootSsh.CloseMasterAsync(cancellationToken).ConfigureAwait(false);
        await WaitUntilReadyAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the VM if needed and deletes its overlay and state.</summary>
    public async Task DestroyAsync(CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("destroy");
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        await StopAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        System.IO.Directory.Delete(Directory, recursive: true);
        System.IO.Directory.Delete(RuntimeDirectory, recursive: true);
    }

    /// <summary>
    /// Makes this run the VM's only driver: takes the VM's lock unless this process holds it already, and keeps it until
    /// <see cref="Release"/> or the process ends. Every change to the VM does this first; call it yourself to claim a VM
    /// before work that only reads or uses it (a suite run over SSH, say).
    /// </summary>
    /// <exception cref="VmBusyException">Another run holds it and <see cref="WaitWhenBusy"/> is false.</exception>
    public Task AcquireAsync(CancellationToken cancellationToken) => VmLocks.EnsureHeldAsync(LockPath, Name, WaitWhenBusy, _log, cancellationToken);

    /// <summary>Lets other runs drive the VM again (a long-lived process, such as a test runner, that is done with it).</summary>
    public void Release() => VmLocks.Release(LockPath);

    /// <summary>Connects to the VM's QMP socket.</summary>
    public async Task<QmpClient> ConnectQmpAsync(CancellationToken cancellationToken)
    {
        if (!IsRunning())
        {
            throw new VmException($"VM '{Name}' is not running.");
        }

        return await QmpClient.ConnectAsync(QmpPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The last lines of the serial console.</summary>
    public string ConsoleTail(int lines = ConsoleTailLines)
    {
        if (!File.Exists(SerialLogPath))
        {
            return string.Empty;
        }

        var all = ReadSerial().Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n');
        return $"{Environment.NewLine}Last {lines} lines of its serial console ({SerialLogPath}):{Environment.NewLine}{string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)))}";
    }

    /// <summary>True when this VM's QEMU process is alive.</summary>
    public bool IsRunning() => ReadPid() is { } pid && IsQemu(pid);

    /// <summary>Kills this VM when the process that owns it is gone (a run killed outright) and clears stale files.</summary>
    public void ReapIfOrphaned()
    {
        var run = ReadRunInfo();
        if (run is null)
        {
            return;
        }

        if (IsRunning() && run.OwnerPid is { } owner && !(Signals.IsAlive(owner) && ProcessStart(owner) == run.OwnerStart))
        {
            _log.WriteLine($"VM '{Name}' was left running by process {owner}, which is gone: stopping it.");
            using var process = Process.GetProcessById(run.Pid);
            process.Kill();
            process.WaitForExit(10_000);
            CleanRuntime();
        }
    }

    private IEnumerable<string> QemuArguments(string accelerator, int sshPort, List<PortForward> forwards, string? fromSnapshot)
    {
        var hostForwards = string.Concat(forwards.Prepend(new PortForward(sshPort, 22)).Select(p => $",hostfwd=tcp:127.0.0.1:{p.HostPort}-:{p.GuestPort}"));
        var arguments = new List<string>
        {
            "-name", $"cilab-{Name},process=cilab-{Name}",
            "-machine", $"q35,accel={accelerator}",
            // With KVM the host CPU minus its PMU: an exposed PMU crashes BSD guests early in boot.
            "-cpu", accelerator == "kvm" ? "host,pmu=off" : "max",
            "-smp", Definition.Cpus.ToString(CultureInfo.InvariantCulture),
            "-m", $"{Definition.MemoryBytes >> 20}M",
            "-drive", $"file={QemuOption(OverlayPath)},if=virtio,format=qcow2,discard=unmap",
            "-netdev", $"user,id={NetworkDeviceId}{hostForwards}",
            "-device", $"virtio-net-pci,netdev={NetworkDeviceId}",
            "-device", "virtio-rng-pci",
            "-display", "none",
            "-monitor", "none",
            "-serial", $"file:{SerialLogPath}",
            "-qmp", $"unix:{QmpPath},server=on,wait=off",
            "-pidfile", PidPath,
            "-daemonize",
        };
        if (Image.KernelPath is not null)
        {
            arguments.AddRange(["-kernel", Image.KernelPath, "-append", Image.KernelAppend]);
            if (Image.InitrdPath is not null)
            {
                arguments.AddRange(["-initrd", Image.InitrdPath]);
            }
        }

        if (Image.CloudInitSeed)
        {
            arguments.AddRange(["-drive", $"file={QemuOption(SeedPath)},format=raw,if=virtio,readonly=on"]);
        }

        if (fromSnapshot is not null)
        {
            arguments.AddRange(["-loadvm", fromSnapshot]);
        }

        return arguments;
    }

    // In QEMU's option syntax a comma ends the value; a doubled one is a literal comma (a lab folder may have one).
    private static string QemuOption(string value) => value.Replace(",", ",,", StringComparison.Ordinal);

    private SshEndpoint Endpoint(string user)
    {
        var port = ReadRunInfo()?.SshPort ?? Definition.SshPort;
        return new SshEndpoint(port, user, _state.PrivateKeyPath, _state.KnownHostsPath, HostKeyAlias, Path.Combine(RuntimeDirectory, $"ssh-{user}"), AcceptNewHostKey: Image.HostPublicKey is null);
    }

    private string HostKeyAlias => $"cilab-{Image.Id}";

    private void WriteKnownHost()
    {
        if (Image.HostPublicKey is null)
        {
            _log.WriteLine($"VM '{Name}': image '{Image.Id}' has no host key CiLab made; its key will be pinned on first contact (accept-new).");
            return;
        }

        var line = $"{HostKeyAlias} {Image.HostPublicKey}";
        var lines = File.Exists(_state.KnownHostsPath) ? File.ReadAllLines(_state.KnownHostsPath).ToList() : [];
        lines.RemoveAll(l => l.StartsWith(HostKeyAlias + " ", StringComparison.Ordinal));
        lines.Add(line);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(_state.KnownHostsPath)!);
        AtomicFile.WriteAllText(_state.KnownHostsPath, string.Join('\n', lines) + "\n");
    }

    private async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (IsRunning())
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

    private void CleanRuntime()
    {
        if (ReadPid() is { } pid)
        {
            OwnedMachines.Remove(pid);
        }

        foreach (var file in new[] { PidPath, QmpPath, RunInfoPath })
        {
            File.Delete(file);
        }
    }

    private int? ReadPid()
    {
        try
        {
            return int.TryParse(File.ReadAllText(PidPath).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            // No pid file, or QEMU removed it while exiting.
            return null;
        }
    }

    // The pid must still be this VM's QEMU (pids are reused, and other QEMUs run too): the process that wrote our pid file.
    private bool IsQemu(int pid)
    {
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return Signals.IsAlive(pid)
                && Path.GetFileName(arguments[0]).StartsWith("qemu-system", StringComparison.Ordinal)
                && arguments.Zip(arguments.Skip(1)).Any(pair => pair is ("-pidfile", var file) && file == PidPath);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static long? ProcessStart(int pid)
    {
        try
        {
            // Field 22 of /proc/PID/stat: start time in clock ticks; with the pid it names one process for good.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    // The guest writes the console: it can write gigabytes. Only its end is read, often.
    private string ReadSerial() => ReadSerialFrom(0, 256 * 1024).Text;

    /// <summary>
    /// The serial console from byte <paramref name="offset"/> on, at most the last <paramref name="limit"/> bytes of it
    /// (0 when a QEMU restarted meanwhile began a new, shorter log), and the offset where it ended.
    /// </summary>
    internal (string Text, long End) ReadSerialFrom(long offset, int limit)
    {
        try
        {
            using var stream = new FileStream(SerialLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var end = stream.Length;
            var start = Math.Max(end >= offset ? offset : 0, end - limit);
            stream.Position = start;
            var buffer = new byte[end - start];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return (System.Text.Encoding.UTF8.GetString(buffer, 0, read).Replace("\r", string.Empty, StringComparison.Ordinal), start + read);
        }
        catch (FileNotFoundException)
        {
            return (string.Empty, 0);
        }
    }

    private VmRunInfo? ReadRunInfo() => ReadState<VmRunInfo>(RunInfoPath, "treating the VM as not started by CiLab");

    private VmMetadata? ReadMetadata() => ReadState<VmMetadata>(MetadataPath, "its overlay will be set up afresh");

    private void WriteMetadata(VmMetadata metadata) => AtomicFile.WriteAllText(MetadataPath, JsonSerializer.Serialize(metadata));

    // State files are written atomically, but a full disk or a hand edit can still damage one: say so once and go on
    // as if it were missing, rather than throw on every later command.
    private T? ReadState<T>(string path, string consequence)
        where T : class
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(text) ?? throw new JsonException("it holds null");
        }
        catch (JsonException e)
        {
            if (_damageReported.Add(path))
            {
                _log.WriteLine($"VM '{Name}': {path} is damaged ({(text.Length == 0 ? "empty" : e.Message)}); {consequence}.");
            }

            return null;
        }
    }

    private sealed record VmRunInfo(int Pid, int SshPort, string Accelerator, DateTimeOffset Started, int? OwnerPid, long? OwnerStart, List<PortForward> Forwards);

    private sealed record VmMetadata(string ImageId, List<string> Snapshots);
}
