using System.Runtime.InteropServices;

namespace CiLab.Cli;

/// <summary>
/// Replaces the cilab process with another program, as a shell's <c>exec</c> (and <c>vagrant ssh</c>) does: the program
/// gets the terminal itself — raw mode, window size, job control — which a child with redirected streams cannot have.
/// </summary>
internal static partial class ProcessReplacement
{
    /// <summary>Runs <paramref name="argv"/>[0] (found on PATH) in place of this process; returns only on failure, with errno.</summary>
    public static int Exec(IReadOnlyList<string> argv)
    {
        ArgumentOutOfRangeException.ThrowIfZero(argv.Count);
        Console.Out.Flush();
        Console.Error.Flush();
        string?[] terminated = [.. argv, null];
        ExecVp(argv[0], terminated);
        return Marshal.GetLastPInvokeError();
    }

    [LibraryImport("libc", EntryPoint = "execvp", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ExecVp(string file, string?[] argv);
}
