using System.Diagnostics;
using CiLab.Host;
using CiLab.Images;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Processes;
using CiLab.Qemu;
using CliWrap;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.Tests.Qemu;

/// <summary>A VM's state files and its lock, without booting anything.</summary>
public sealed class VmStateTests : IDisposable
{
    private readonly string _lab = Directory.CreateTempSubdirectory("cilab-state-").FullName;
    private static readonly BootableImage Image = new() { Id = "test", DiskPath = "/nonexistent.qcow2" };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Directory.Delete(_lab, recursive: true);
        var state = LabState.Peek(_lab);
        if (Directory.Exists(state.RuntimeRoot))
        {
            Directory.Delete(state.RuntimeRoot, recursive: true);
        }
    }

    [Theory]
    [InlineData("../../x")]
    [InlineData("a,b")]
    [InlineData("-x")]
    [InlineData("")]
    public void A_vm_name_outside_the_grammar_never_becomes_a_path(string name)
    {
        var state = new LabState(_lab);
        Assert.Throws<ArgumentException>(() => new QemuMachine(new VmDefinition { Name = name, Image = "i" }, Image, state, NullLogger.Instance));
        Assert.False(Directory.Exists(Path.Combine(state.Root, "vms")));
        Assert.False(Directory.Exists(Path.Combine(_lab, "x")));
    }

    [Fact]
    public void A_user_that_looks_like_an_option_never_reaches_ssh()
    {
        var vm = new QemuMachine(new VmDefinition { Name = "a", Image = "i", User = "-oProxyCommand=touch /tmp/owned" }, Image, new LabState(_lab), NullLogger.Instance);
        Assert.Throws<ArgumentException>(() => vm.Ssh);
    }

    [Theory]
    [InlineData("clean; quit")]
    [InlineData("a b")]
    [InlineData("-x")]
    public async Task A_snapshot_name_outside_the_grammar_never_reaches_the_monitor(string name)
    {
        var vm = new QemuMachine(new VmDefinition { Name = "a", Image = "i" }, Image, new LabState(_lab), NullLogger.Instance);
        await Assert.ThrowsAsync<ArgumentException>(() => vm.SnapshotAsync(name, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => vm.RestoreAsync(name, Ct));
    }

    [Fact]
    public async Task Another_programs_process_named_like_qemu_is_not_taken_for_the_vm()
    {
        // A pid file left behind, its pid reused by some other QEMU-looking process: that is not this VM.
        using var impostor = Process.Start(new ProcessStartInfo("bash", ["-c", "exec -a qemu-system-x86_64 sleep 30"]))!;
        try
        {
            var vm = new QemuMachine(new VmDefinition { Name = "a", Image = "i" }, Image, new LabState(_lab), NullLogger.Instance);
            await File.WriteAllTextAsync(Path.Combine(vm.RuntimeDirectory, "qemu.pid"), impostor.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Ct);
            await Task.Delay(200, Ct);
            Assert.StartsWith("qemu-system", File.ReadAllText($"/proc/{impostor.Id}/cmdline"), StringComparison.Ordinal);
            Assert.False(vm.IsRunning());
            await vm.KillAsync();
            Assert.False(impostor.HasExited);
        }
        finally
        {
            impostor.Kill();
        }
    }

    [Fact]
    public void Status_of_a_lab_never_built_reads_only()
    {
        File.WriteAllText(Path.Combine(_lab, "lab.yaml"), "images:\n  - name: debian\n    recipe: debian\nvms:\n  - name: a\n    image: debian\n");
        var lab = LabFile.Load(Path.Combine(_lab, "lab.yaml"));
        var status = Assert.Single(Lab.ReadStatus(lab, []));
        Assert.Equal(VmRunState.Stopped, status.State);
        Assert.Equal([Path.Combine(_lab, "lab.yaml")], Directory.GetFileSystemEntries(_lab));
        Assert.False(Directory.Exists(LabState.Peek(_lab).RuntimeRoot));
        Assert.Throws<ArgumentException>(() => Lab.ReadStatus(lab, ["nope"]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"Pid\":")]
    [InlineData("null")]
    public async Task Damaged_state_files_are_said_once_and_treated_as_missing(string content)
    {
        var log = new StringWriter();
        var vm = new QemuMachine(new VmDefinition { Name = "a", Image = "i" }, Image, new LabState(_lab), new LineLogger(log));
        await File.WriteAllTextAsync(Path.Combine(vm.RuntimeDirectory, "run.json"), content, Ct);
        await File.WriteAllTextAsync(Path.Combine(vm.StateDirectory, "vm.json"), content, Ct);

        Assert.Equal(VmRunState.Stopped, vm.GetStatus().State);
        Assert.Equal(VmRunState.Stopped, vm.GetStatus().State);
        Assert.False(await vm.HasSnapshotAsync("clean", Ct));
        Assert.Equal(1, log.ToString().Split('\n').Count(l => l.Contains("run.json is damaged", StringComparison.Ordinal)));
        Assert.Contains("vm.json is damaged", log.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("debian-0123456789abcdef", false)]
    [InlineData(BootableImage.BlankIdPrefix + "1048576", true)]
    public async Task Snapshots_saved_on_another_virtual_cpu_go_before_a_start_and_only_an_installed_disk_is_kept(string imageId, bool diskKept)
    {
        var basePath = Path.Combine(_lab, "base.qcow2");
        await Host("qemu-img", "create", "-q", "-f", "qcow2", basePath, "1M");
        var log = new StringWriter();
        var vm = new QemuMachine(new VmDefinition { Name = "a", Image = "i" }, new BootableImage { Id = imageId, DiskPath = basePath }, new LabState(_lab), new LineLogger(log));
        Assert.True(await vm.SetupAsync(Ct));
        var overlay = vm.OverlayPath;
        await Host("qemu-io", "-c", "write -P 0x5a 0 4k", overlay);
        await Host("qemu-img", "snapshot", "-c", "clean", overlay);
        // As an older CiLab left it: a snapshot saved on "max", the CPU not recorded.
        await File.WriteAllTextAsync(Path.Combine(vm.StateDirectory, "vm.json"), $$"""{"ImageId":"{{imageId}}","Snapshots":["clean"]}""", Ct);
        Assert.Equal(["clean"], await vm.ListSnapshotsAsync(Ct));
        Assert.False(await vm.HasSnapshotAsync("clean", Ct)); // Not offered to a restore that would start QEMU on another CPU.

        Assert.True(await vm.SetupAsync(Ct));

        Assert.Contains("VM 'a': its snapshots (clean) were saved on another virtual CPU (not recorded; now ", log.ToString(), StringComparison.Ordinal);
        Assert.Empty(await vm.ListSnapshotsAsync(Ct));
        Assert.False(await vm.HasSnapshotAsync("clean", Ct));
        var read = await Cli.Wrap("qemu-io").WithArguments(["-c", "read -P 0x5a 0 4k", overlay]).WithValidation(false).ExecuteBoundedAsync(Ct);
        Assert.Equal(diskKept, read.IsSuccess);
        Assert.False(await vm.SetupAsync(Ct));
    }

    private static async Task Host(string command, params string[] arguments) =>
        await Cli.Wrap(command).WithArguments(arguments).ExecuteBoundedAsync(Ct);

    [Fact]
    public async Task Another_process_holding_the_vm_makes_a_no_wait_run_fail_naming_it_and_a_waiting_run_wait()
    {
        var state = new LabState(_lab);
        var lockFile = Path.Combine(state.RuntimeRoot, "a.lock");
        await File.WriteAllTextAsync(lockFile + ".owner", "process 4242 (./nuke.sh TestPhase4) since 12:00:00", Ct);
        // flock(1) from util-linux plays the other run: it holds the same kind of lock .NET takes.
        using var other = Process.Start(new ProcessStartInfo("flock", ["-x", lockFile, "sleep", "3"]))!;
        await Task.Delay(500, Ct);

        var impatient = new QemuMachine(new VmDefinition { Name = "a", Image = "i" }, Image, state, NullLogger.Instance) { WaitWhenBusy = false };
        var e = await Assert.ThrowsAsync<VmBusyException>(() => impatient.AcquireAsync(Ct));
        Assert.Contains("VM 'a' is in use by process 4242 (./nuke.sh TestPhase4)", e.Message, StringComparison.Ordinal);

        var log = new StringWriter();
        var patient = new QemuMachine(new VmDefinition { Name = "a", Image = "i" }, Image, state, new LineLogger(log));
        var clock = Stopwatch.StartNew();
        await patient.AcquireAsync(Ct);
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(1), $"acquired after {clock.Elapsed} while the other held it");
        Assert.Contains("waiting for that run to end", log.ToString(), StringComparison.Ordinal);

        // Held by this process now: another instance in it shares the hold, and a release frees it for others.
        await impatient.AcquireAsync(Ct);
        patient.Release();
        using var next = Process.Start(new ProcessStartInfo("flock", ["-xn", lockFile, "true"]))!;
        await next.WaitForExitAsync(Ct);
        Assert.Equal(0, next.ExitCode);
    }
}
