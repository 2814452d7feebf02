namespace CiLab.Machines;

/// <summary>A guest command exited non-zero; the message shows the VM, the command and the end of its output.</summary>
public sealed class GuestCommandFailedException(string vm, GuestCommand command, GuestCommandResult result)
    : CiLabException($"In VM '{vm}', '{command.Script}' exited with code {result.ExitCode}." + Tail(result))
{
    /// <summary>The result, with exit code and output.</summary>
    public GuestCommandResult Result { get; } = result;

    private static string Tail(GuestCommandResult result)
    {
        var text = (result.StandardError.Trim().Length > 0 ? result.StandardError : result.StandardOutput).TrimEnd();
        var lines = text.Split('\n');
        return lines.Length == 0 || text.Length == 0 ? string.Empty : Environment.NewLine + "Last lines of its output:" + Environment.NewLine + string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - 20)));
    }
}
