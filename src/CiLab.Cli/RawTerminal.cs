using System.Runtime.InteropServices;

namespace CiLab.Cli;

/// <summary>
/// Raw mode on the terminal on standard input, set in this process (termios through libc): an stty child would not
/// do, since .NET puts back its own terminal settings whenever a child process ends.
/// </summary>
internal static partial class RawTerminal
{
    // struct termios is 60 bytes on Linux (glibc and musl); libc fills and reads it, so it stays opaque here.
    private const int TermiosSize = 256;
    private const int TcsaNow = 0;

    /// <summary>Puts standard input's terminal in raw mode (no echo, no line editing, no signals from keys); returns the mode to restore, or null when it is not a terminal.</summary>
    public static byte[]? Enter()
    {
        var saved = new byte[TermiosSize];
        if (TcGetAttr(0, saved) != 0)
        {
            return null;
        }

        var raw = (byte[])saved.Clone();
        CfMakeRaw(raw);
        return TcSetAttr(0, TcsaNow, raw) == 0 ? saved : null;
    }

    public static void Restore(byte[] saved) => _ = TcSetAttr(0, TcsaNow, saved);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int TcGetAttr(int fd, [Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static partial int TcSetAttr(int fd, int actions, byte[] termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static partial void CfMakeRaw(byte[] termios);
}
