using CiLab.Labs;

namespace CiLab.Machines;

/// <summary>
/// One lab VM, whatever runs it (local QEMU, a Proxmox VE cluster, a test double): the seam the rest of CiLab depends
/// on. What only some backends can do is an optional capability, its own interface (<see cref="ILinkControl"/>,
/// <see cref="IHardReset"/>, <see cref="ISerialConsole"/>, <see cref="ILiveSnapshots"/>); ask with a type test, or
/// with <see cref="MachineCapabilities.Require{T}"/> for a sentence when it is missing.
/// </summary>
/// <remarks>
/// Every change to the VM takes the VM's lock for the run first (<see cref="AcquireAsync"/>), so two runs on one
/// machine never drive it at once. Read-only VMs refuse stop, restore, snapshot and destroy with
/// <see cref="VmReadOnlyException"/>.
/// </remarks>
public interface IMachine
{
    /// <summary>Its name in the lab.</summary>
    string Name { get; }

    /// <summary>Its definition in the lab file.</summary>
    VmDefinition Definition { get; }

    /// <summary>The identity of the image it runs (a recipe's build, a user image's file), for reports.</summary>
    string ImageId { get; }

    /// <summary>What its operating system needs to be told differently (reboot, kill, disk fill, waits, panics).</summary>
    IGuestProfile Profile { get; }

    /// <summary>A shell in the guest as the lab user (valid while it runs).</summary>
    IGuestShell Shell { get; }

    /// <summary>A shell in the guest as root.</summary>
    IGuestShell RootShell { get; }

    /// <summary>A host folder for state kept per VM between runs (sync manifests, say).</summary>
    string StateDirectory { get; }

    /// <summary>Creates what the VM needs before its first start (a disk over its image); false when it was up to date.</summary>
    Task<bool> SetupAsync(CancellationToken cancellationToken);

    /// <summary>Starts it (or resumes a snapshot) and waits until its shell answers.</summary>
    /// <exception cref="VmException">It would not start, died, panicked, or was not ready in time.</exception>
    Task StartAsync(MachineStartOptions options, CancellationToken cancellationToken);

    /// <summary>Waits until the shell answers; fails at once when the VM dies or panics.</summary>
    /// <exception cref="VmException">It died, panicked, or did not answer within <paramref name="timeout"/>.</exception>
    Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Shuts it down: cleanly within <paramref name="grace"/>, then by force. A zero grace stops it at once.</summary>
    Task StopAsync(TimeSpan grace, CancellationToken cancellationToken);

    /// <summary>Stops it at once, with no guest shutdown (also for cleanup after a failure, so it takes no token).</summary>
    Task KillAsync();

    /// <summary>Stops it and deletes its disk and state.</summary>
    Task DestroyAsync(CancellationToken cancellationToken);

    /// <summary>Its status, read without changing anything.</summary>
    VmStatus GetStatus();

    /// <summary>True while it runs.</summary>
    bool IsRunning();

    /// <summary>Saves snapshot <paramref name="name"/> of the running VM.</summary>
    Task SnapshotAsync(string name, CancellationToken cancellationToken);

    /// <summary>True when snapshot <paramref name="name"/> exists and was taken on the current image.</summary>
    Task<bool> HasSnapshotAsync(string name, CancellationToken cancellationToken);

    /// <summary>The snapshots it has.</summary>
    Task<IReadOnlyList<string>> ListSnapshotsAsync(CancellationToken cancellationToken);

    /// <summary>Restores snapshot <paramref name="name"/> (starting the VM when stopped) and returns once its shell answers.</summary>
    Task RestoreAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Makes this run the VM's only driver until <see cref="Release"/> or the process ends; waits for, or refuses
    /// (<see cref="VmBusyException"/>), another run holding it.
    /// </summary>
    Task AcquireAsync(CancellationToken cancellationToken);

    /// <summary>Lets other runs drive the VM again.</summary>
    void Release();

    /// <summary>What helps a person see why the VM failed (its console's last lines, say), starting with a newline; empty when nothing.</summary>
    string Diagnostics();
}
