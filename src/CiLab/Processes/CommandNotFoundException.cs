using CliWrap;

namespace CiLab.Processes;

/// <summary>The executable of a command could not be started (not found, or not executable).</summary>
public sealed class CommandNotFoundException : CiLabException
{
    /// <summary>Creates the exception for <paramref name="command"/>.</summary>
    public CommandNotFoundException(Command command, Exception inner)
        : base($"Could not start '{command.TargetFilePath}': {inner.Message}. Is it installed and on PATH?", inner)
    {
        Command = command;
    }

    /// <summary>The command that could not start.</summary>
    public Command Command { get; }
}
