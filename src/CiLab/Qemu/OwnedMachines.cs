using System.Collections.Concurrent;
using System.Diagnostics;

namespace CiLab.Qemu;

/// <summary>
/// The QEMU processes this process started and owns. When the process exits (SIGTERM included) they are
/// killed, so no VM outlives the run that owns it; a run killed outright is cleaned up by the next one's reaper.
/// </summary>
internal static class OwnedMachines
{
    private static readonly ConcurrentDictionary<int, string> Pids = new();

    static OwnedMachines() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    public static void Add(int pid, string name) => Pids[pid] = name;

    public static void Remove(int pid) => Pids.TryRemove(pid, out _);

    public static void KillAll()
    {
        foreach (var pid in Pids.Keys)
        {
            try
            {
                // SIGTERM lets QEMU flush its disks; SIGKILL if it does not go in time.
                using var process = Process.GetProcessById(pid);
                if (!Processes.Signals.Terminate(pid) || !process.WaitForExit(3000))
                {
                    process.Kill();
                }
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }

            Pids.TryRemove(pid, out _);
        }
    }
}
