using CiLab.Labs;
using CiLab.Machines;
using CiLab.Sync;

namespace CiLab.Tests.Machines;

/// <summary>
/// A test double of the machine seam: no process, no guest. Its shell answers from <see cref="OnRun"/> (or fails as
/// an unreachable guest when the machine is stopped), so the suite runner's and the scenario engine's error paths can
/// be driven without booting anything. It records what was asked of it in <see cref="Calls"/>.
/// </summary>
internal class FakeMachine : IMachine, IGuestShell
{
    public FakeMachine(string name, TimeSpan? bootTimeout = null)
    {
        Definition = new VmDefinition { Name = name, Image = "fake", Backend = "fake", BootTimeout = bootTimeout ?? TimeSpan.FromMinutes(3) };
        StateDirectory = Path.Combine(Path.GetTempPath(), "cilab-fake-" + Guid.NewGuid().ToString("N"));
    }

    public string Name => Definition.Name;

    public VmDefinition Definition { get; }

    public string ImageId => "fake-image";

    public IGuestProfile Profile => LinuxSystemdProfile.Instance;

    public IGuestShell Shell => this;

    public IGuestShell RootShell => this;

    public string StateDirectory { get; }

    public string VmName => Name;

    public bool Running { get; set; }

    public List<string> Snapshots { get; } = [];

    public List<string> Calls { get; } = [];

    /// <summary>What a guest command does; by default it prints nothing and exits 0.</summary>
    public Func<GuestCommand, CancellationToken, Task<GuestCommandResult>> OnRun { get; set; } =
        (_, _) => Task.FromResult(new GuestCommandResult(0, string.Empty, string.Empty, TimeSpan.Zero));

    /// <summary>What a download does; by default the guest has no such file.</summary>
    public Func<string, string, Task> OnDownload { get; set; } =
        (guestPath, _) => throw new GuestConnectionException("fake", $"rsync exited with code 23: link_stat \"{guestPath}\" failed: No such file or directory");

    public string Console { get; set; } = string.Empty;

    public Task<bool> SetupAsync(CancellationToken cancellationToken) => Task.FromResult(false);

    public Task StartAsync(MachineStartOptions options, CancellationToken cancellationToken)
    {
        Calls.Add(options.FromSnapshot is { } snapshot ? $"start from {snapshot}" : "start");
        Running = true;
        return Task.CompletedTask;
    }

    public Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        Running ? Task.CompletedTask : throw new VmException($"VM '{Name}' is not running.");

    public Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        Calls.Add("stop");
        Running = false;
        return Task.CompletedTask;
    }

    public Task KillAsync() => StopAsync(TimeSpan.Zero, CancellationToken.None);

    public Task DestroyAsync(CancellationToken cancellationToken) => StopAsync(TimeSpan.Zero, cancellationToken);

    public VmStatus GetStatus() => new(Name, Running ? VmRunState.Running : VmRunState.Stopped, null, null, null, "fake", null);

    public bool IsRunning() => Running;

    public Task SnapshotAsync(string name, CancellationToken cancellationToken)
    {
        Snapshots.Add(name);
        return Task.CompletedTask;
    }

    public Task<bool> HasSnapshotAsync(string name, CancellationToken cancellationToken) => Task.FromResult(Snapshots.Contains(name));

    public Task<IReadOnlyList<string>> ListSnapshotsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>(Snapshots);

    public Task RestoreAsync(string name, CancellationToken cancellationToken)
    {
        Calls.Add($"restore {name}");
        Running = true;
        return Task.CompletedTask;
    }

    public Task AcquireAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Release()
    {
    }

    public string Diagnostics() => Console.Length == 0 ? string.Empty : Environment.NewLine + Console;

    public Task<GuestCommandResult> RunAsync(GuestCommand command, CancellationToken cancellationToken)
    {
        Calls.Add($"run {command.Script}");
        return Running ? OnRun(command, cancellationToken) : throw new GuestConnectionException(Name, "Connection refused");
    }

    public Task<string?> ProbeAsync(CancellationToken cancellationToken) => Task.FromResult(Running ? null : "Connection refused");

    public Task ReconnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<SyncResult> SyncAsync(string hostDirectory, string guestDirectory, SyncOptions options, CancellationToken cancellationToken)
    {
        Calls.Add($"sync {guestDirectory}");
        return Task.FromResult(new SyncResult("fake", 1, 1, TimeSpan.Zero));
    }

    public Task UploadAsync(string hostPath, string guestPath, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task DownloadAsync(string guestPath, string hostPath, CancellationToken cancellationToken)
    {
        Calls.Add($"download {guestPath}");
        return OnDownload(guestPath, hostPath);
    }

    public IReadOnlyList<string> InteractiveCommand() => [];
}
