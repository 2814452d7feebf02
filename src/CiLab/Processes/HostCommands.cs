using System.ComponentModel;
using CliWrap;

namespace CiLab.Processes;

/// <summary>
/// What CiLab adds to CliWrap's <see cref="Command"/> for the host tools it runs (qemu-img, mmdebstrap, rsync, ssh):
/// argument lists as words, line callbacks that cannot wedge a process, bounded output kept for failure messages,
/// SIGTERM then a kill after a grace period for tools that must clean up, and "not installed" errors.
/// </summary>
public static class HostCommands
{
    /// <summary>The most standard output <see cref="ExecuteBoundedAsync"/> keeps unless told otherwise (its end).</summary>
    public const int DefaultOutputLimit = 4 * 1024 * 1024;

    internal const int ErrorLimit = 64 * 1024;

    /// <summary>The arguments, each one word, quoted as needed.</summary>
    public static Command WithArguments(this Command command, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.WithArguments((IEnumerable<string>)arguments);
    }

    /// <summary>Whether a non-zero exit code throws <see cref="CommandFailedException"/> (the default) or is returned.</summary>
    public static Command WithValidation(this Command command, bool validateExitCode)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.WithValidation(validateExitCode ? CommandResultValidation.ZeroExitCode : CommandResultValidation.None);
    }

    /// <summary>Text for standard input (none when null).</summary>
    public static Command WithStandardInput(this Command command, string? text)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.WithStandardInputPipe(text is null ? PipeSource.Null : PipeSource.FromString(text));
    }

    /// <summary>Sets an environment variable of the process (removes it when <paramref name="value"/> is null).</summary>
    public static Command WithEnvironmentVariable(this Command command, string name, string? value)
    {
        ArgumentNullException.ThrowIfNull(command);
        // CliWrap's builder starts from nothing on each call: add to what is set already.
        var variables = command.EnvironmentVariables.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        variables[name] = value;
        return command.WithEnvironmentVariables(variables);
    }

    /// <summary>Each line of standard output as it arrives, besides what is kept.</summary>
    public static Command WithStandardOutputLine(this Command command, Action<string>? onLine)
    {
        ArgumentNullException.ThrowIfNull(command);
        return onLine is null ? command : command.WithStandardOutputPipe(PipeTarget.Merge(command.StandardOutputPipe, new LineTarget(onLine)));
    }

    /// <summary>Each line of standard error as it arrives, besides what is kept.</summary>
    public static Command WithStandardErrorLine(this Command command, Action<string>? onLine)
    {
        ArgumentNullException.ThrowIfNull(command);
        return onLine is null ? command : command.WithStandardErrorPipe(PipeTarget.Merge(command.StandardErrorPipe, new LineTarget(onLine)));
    }

    /// <summary>
    /// Runs the command to its end, keeping the last <paramref name="outputLimit"/> characters of standard output and
    /// 64 KiB of standard error. Cancelling <paramref name="cancellationToken"/> ends the process tree: with a
    /// <paramref name="grace"/>, SIGTERM first and a kill after it; otherwise a kill at once.
    /// </summary>
    /// <exception cref="CommandFailedException">The exit code was not zero and validation is on (the message has the output's last lines).</exception>
    /// <exception cref="CommandNotFoundException">The executable could not be started.</exception>
    public static async Task<HostCommandResult> ExecuteBoundedAsync(this Command command, CancellationToken cancellationToken, TimeSpan? grace = null, int outputLimit = DefaultOutputLimit)
    {
        ArgumentNullException.ThrowIfNull(command);
        cancellationToken.ThrowIfCancellationRequested();
        var stdout = new OutputTail(outputLimit);
        var stderr = new OutputTail(ErrorLimit);
        var run = command
            .WithStandardOutputPipe(PipeTarget.Merge(command.StandardOutputPipe, new TailTarget(stdout)))
            .WithStandardErrorPipe(PipeTarget.Merge(command.StandardErrorPipe, new TailTarget(stderr)))
            .WithValidation(CommandResultValidation.None);
        using var forceful = new CancellationTokenSource();
        CommandTask<CommandResult> task;
        try
        {
            task = run.ExecuteAsync(forceful.Token);
        }
        catch (Win32Exception e)
        {
            throw new CommandNotFoundException(command, e);
        }

        CommandResult result;
        await using (cancellationToken.Register(() => Stop(task.ProcessId, grace, forceful)))
        {
            try
            {
                result = await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (forceful.IsCancellationRequested)
            {
                throw new OperationCanceledException($"{command.TargetFilePath} was stopped: the run was cancelled.", cancellationToken);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var bounded = new HostCommandResult(result.ExitCode, stdout.ToString(), stderr.ToString(), result.StartTime, result.RunTime);
        if (command.Validation.HasFlag(CommandResultValidation.ZeroExitCode) && bounded.ExitCode != 0)
        {
            throw new CommandFailedException(command, bounded);
        }

        return bounded;
    }

    private static void Stop(int processId, TimeSpan? grace, CancellationTokenSource forceful)
    {
        if (grace is { } period && period > TimeSpan.Zero && Signals.Terminate(processId))
        {
            // Let it clean up (mmdebstrap unmounts, say), then make sure.
            forceful.CancelAfter(period);
            return;
        }

        forceful.Cancel();
    }
}
