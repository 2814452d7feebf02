using CliWrap;

namespace CiLab.Processes;

/// <summary>A command exited with a non-zero code. The message shows the command, the code and the end of its output.</summary>
public sealed class CommandFailedException : CiLabException
{
    /// <summary>Creates the exception for <paramref name="command"/> and its <paramref name="result"/>.</summary>
    public CommandFailedException(Command command, HostCommandResult result)
        : base(Describe(command, result))
    {
        Command = command;
        Result = result;
    }

    /// <summary>The command that failed.</summary>
    public Command Command { get; }

    /// <summary>Its result, with exit code and output.</summary>
    public HostCommandResult Result { get; }

    /// <summary>The exit code.</summary>
    public int ExitCode => Result.ExitCode;

    private static string Describe(Command command, HostCommandResult result)
    {
        var tail = OutputTail.LastLines(result.StandardError.Length > 0 ? result.StandardError : result.StandardOutput, 20);
        var message = $"Command exited with code {result.ExitCode}: {command}";
        if (tail.Length > 0)
        {
            message += $"{Environment.NewLine}Last lines of its output:{Environment.NewLine}{tail}";
        }

        return message + $"{Environment.NewLine}(To accept a non-zero exit code, use WithValidation(false).)";
    }
}
