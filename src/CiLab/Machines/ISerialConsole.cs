namespace CiLab.Machines;

/// <summary>A machine whose serial console is recorded: the way to watch a guest its shell cannot reach.</summary>
public interface ISerialConsole
{
    /// <summary>The console's end, where a reader can start to see only what comes next.</summary>
    long ConsoleEnd();

    /// <summary>
    /// The console from byte <paramref name="offset"/> on, at most its last <paramref name="limit"/> bytes (from 0 when a
    /// new start began a new, shorter log; resets and reboots append to it), and the offset where it ended.
    /// </summary>
    (string Text, long End) ReadConsole(long offset, int limit);
}
