using System.Runtime.InteropServices;

namespace CiLab.Processes;

/// <summary>POSIX signals to processes by id (SIGTERM for a graceful stop, a zero signal to ask "still alive?").</summary>
internal static partial class Signals
{
    private const int SigTerm = 15;

    /// <summary>Sends SIGTERM; false when there is no such process.</summary>
    public static bool Terminate(int pid) => Kill(pid, SigTerm) == 0;

    /// <summary>True when a process with this id exists.</summary>
    public static bool IsAlive(int pid) => pid > 0 && (Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1 /* EPERM: alive, not ours */);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
