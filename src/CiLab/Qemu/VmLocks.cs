using CiLab.Host;
using CiLab.Machines;
using Microsoft.Extensions.Logging;

namespace CiLab.Qemu;

/// <summary>
/// One run drives a VM at a time. The first change a process makes to a VM takes the VM's lock, and the process keeps it
/// until <see cref="Release"/> or its exit, so another run's restore can never land under a running suite. Within one
/// process the lock is shared: a run's targets and tasks all act for the same run.
/// </summary>
internal static class VmLocks
{
    private static readonly Dictionary<string, FileLock> Held = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    /// <summary>Takes the VM's lock unless this process holds it; true when this call took it.</summary>
    public static async Task<bool> EnsureHeldAsync(string path, string vmName, bool wait, ILogger log, CancellationToken cancellationToken)
    {
        // One task of this process at a time per VM: two tasks polling the same file lock would shut each other out.
        SemaphoreSlim gate;
        lock (Held)
        {
            if (Held.ContainsKey(path))
            {
                return false;
            }

            gate = Gates.TryGetValue(path, out var known) ? known : Gates[path] = new SemaphoreSlim(1, 1);
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsHeld(path))
            {
                return false;
            }

            var acquired = FileLock.TryAcquire(path);
            if (acquired is null)
            {
                var holder = FileLock.Holder(path);
                if (!wait)
                {
                    throw new VmBusyException(vmName, holder);
                }

                log.Line($"VM '{vmName}' is in use by {holder}; waiting for that run to end (with --wait-for-vm false it would fail at once instead).");
                acquired = await FileLock.AcquireAsync(path, $"VM '{vmName}'", timeout: null, onWaiting: null, cancellationToken).ConfigureAwait(false);
                log.Line($"VM '{vmName}' is free now; this run has it.");
            }

            lock (Held)
            {
                Held[path] = acquired;
            }

            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    public static bool IsHeld(string path)
    {
        lock (Held)
        {
            return Held.ContainsKey(path);
        }
    }

    public static void Release(string path)
    {
        lock (Held)
        {
            if (Held.Remove(path, out var held))
            {
                held.Dispose();
            }
        }
    }
}
