using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CiLab.Host;
using CiLab.Images;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Processes;

namespace CiLab.Qemu;

public sealed partial class QemuMachine
{
    /// <summary>Running, stopped or crashed, with process, port, uptime, accelerator and owner.</summary>
    public VmStatus GetStatus()
    {
        var run = ReadRunInfo();
        var status = IsRunning() && run is not null
            ? new VmStatus(Name, VmRunState.Running, run.Pid, $"127.0.0.1:{run.SshPort}", DateTimeOffset.UtcNow - run.Started, run.Accelerator, run.OwnerPid is { } p ? $"pid {p}" : "detached")
            : new VmStatus(Name, run is null ? VmRunState.Stopped : VmRunState.Crashed, null, null, null, run?.Accelerator, null);
        // From state files alone: the snapshots recorded for the disk, and when the cached image under it was made.
        var metadata = ReadMetadata();
        return status with { Snapshots = metadata?.Snapshots ?? [], ImageCreated = metadata is null ? null : CachedImageCreated(metadata.ImageId) };
    }

    // A recipe image's id is its cache key and build stamp: the entry's completion time, if that very build is still cached.
    private static DateTimeOffset? CachedImageCreated(string imageId)
    {
        var dash = imageId.LastIndexOf('-');
        var key = dash > 0 ? imageId[..dash] : string.Empty;
        return Names.IsValidName(key) && ImageCache.Default().Find(key) is { } entry && ImageCache.BuildStamp(entry) == imageId[(dash + 1)..]
            ? File.GetLastWriteTimeUtc(Path.Combine(entry, ".complete"))
            : null;
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
    private string ReadSerial() => ReadConsole(0, 256 * 1024).Text;

    /// <inheritdoc/>
    public string Diagnostics() => ConsoleTail();

    /// <summary>The serial console's socket while the VM runs: what <c>cilab vm console</c> connects a terminal to.</summary>
    public string ConsoleSocketPath => Path.Combine(RuntimeDirectory, "console.sock");

    /// <inheritdoc/>
    public long ConsoleEnd() => File.Exists(SerialLogPath) ? new FileInfo(SerialLogPath).Length : 0;

    /// <inheritdoc/>
    public (string Text, long End) ReadConsole(long offset, int limit)
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
                _log.Line($"VM '{Name}': {path} is damaged ({(text.Length == 0 ? "empty" : e.Message)}); {consequence}.");
            }

            return null;
        }
    }

    // Cpu: what QEMU was given, null when an older CiLab started it.
    private sealed record VmRunInfo(int Pid, int SshPort, string Accelerator, DateTimeOffset Started, int? OwnerPid, long? OwnerStart, List<PortForward> Forwards, string? Cpu = null);

    // Cpu: the virtual CPU the snapshots were saved on (a live snapshot resumes only on that one), null when not recorded.
    private sealed record VmMetadata(string ImageId, List<string> Snapshots, string? Cpu = null);

    /// <summary>
    /// Makes this run the VM's only driver: takes the VM's lock unless this process holds it already, and keeps it until
    /// <see cref="Release"/> or the process ends. Every change to the VM does this first; call it yourself to claim a VM
    /// before work that only reads or uses it (a suite run over SSH, say).
    /// </summary>
    /// <exception cref="VmBusyException">Another run holds it and <see cref="WaitWhenBusy"/> is false.</exception>
    public async Task AcquireAsync(CancellationToken cancellationToken)
    {
        if (await VmLocks.EnsureHeldAsync(LockPath, Name, WaitWhenBusy, _log, cancellationToken).ConfigureAwait(false))
        {
            // Taken just now: if a run killed outright (a cancelled job's last step) held it, its VM is in no known state, so it goes.
            ReapIfOrphaned();
        }
    }

    /// <summary>Lets other runs drive the VM again (a long-lived process, such as a test runner, that is done with it).</summary>
    public void Release() => VmLocks.Release(LockPath);

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
            _log.Line($"VM '{Name}' was left running by process {owner}, which is gone: stopping it.");
            using var process = Process.GetProcessById(run.Pid);
            process.Kill();
            process.WaitForExit(10_000);
            CleanRuntime();
        }
    }

    private void CleanRuntime()
    {
        if (ReadPid() is { } pid)
        {
            OwnedMachines.Remove(pid);
        }

        foreach (var file in new[] { PidPath, QmpPath, ConsoleSocketPath, RunInfoPath })
        {
            File.Delete(file);
        }
    }
}
