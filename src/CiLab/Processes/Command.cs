using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;

namespace CiLab.Processes;

/// <summary>
/// An immutable description of a host process to run: an executable and an argument list (never a
/// shell string), with optional working directory, environment, standard input and line callbacks.
/// Configure it with the <c>With*</c> methods, then run it with <see cref="ExecuteAsync"/>.
/// </summary>
public sealed record Command
{
    private Command(string targetFilePath) => TargetFilePath = targetFilePath;

    /// <summary>The executable: a path, or a name looked up on PATH.</summary>
    public string TargetFilePath { get; private init; }

    /// <summary>The arguments, passed to the process as they are (no shell, no splitting).</summary>
    public ImmutableArray<string> Arguments { get; private init; } = [];

    /// <summary>The working directory; the current directory when null.</summary>
    public string? WorkingDirectory { get; private init; }

    /// <summary>Environment variables to set (a null value removes the variable).</summary>
    public ImmutableDictionary<string, string?> Environment { get; private init; } = ImmutableDictionary<string, string?>.Empty;

    /// <summary>Text written to the process's standard input, which is then closed.</summary>
    public string? StandardInput { get; private init; }

    /// <summary>Whether a non-zero exit code throws <see cref="CommandFailedException"/> (the default).</summary>
    public bool ValidatesExitCode { get; private init; } = true;

    /// <summary>Called with each line the process writes to standard output, as it arrives.</summary>
    public Action<string>? StandardOutputLine { get; private init; }

    /// <summary>Called with each line the process writes to standard error, as it arrives.</summary>
    public Action<string>? StandardErrorLine { get; private init; }

    /// <summary>On cancellation, how long the process gets after SIGTERM to clean up before its tree is killed.</summary>
    public TimeSpan GracePeriod { get; private init; }

    /// <summary>How many characters of standard output the result keeps (the last ones).</summary>
    public int OutputLimit { get; private init; } = 4 * 1024 * 1024;

    /// <summary>Starts describing a command that runs <paramref name="targetFilePath"/>.</summary>
    public static Command Create(string targetFilePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetFilePath);
        return new Command(targetFilePath);
    }

    /// <summary>Replaces the argument list.</summary>
    public Command WithArguments(params IEnumerable<string> arguments) => this with { Arguments = [.. arguments] };

    /// <summary>Sets the working directory.</summary>
    public Command WithWorkingDirectory(string? directory) => this with { WorkingDirectory = directory };

    /// <summary>Sets (or, with null, removes) one environment variable.</summary>
    public Command WithEnvironmentVariable(string name, string? value) => this with { Environment = Environment.SetItem(name, value) };

    /// <summary>Writes <paramref name="text"/> to standard input.</summary>
    public Command WithStandardInput(string? text) => this with { StandardInput = text };

    /// <summary>Chooses whether a non-zero exit code throws.</summary>
    public Command WithValidation(bool validateExitCode) => this with { ValidatesExitCode = validateExitCode };

    /// <summary>Streams standard output line by line to <paramref name="onLine"/>.</summary>
    public Command WithStandardOutputLine(Action<string>? onLine) => this with { StandardOutputLine = onLine };

    /// <summary>Streams standard error line by line to <paramref name="onLine"/>.</summary>
    public Command WithStandardErrorLine(Action<string>? onLine) => this with { StandardErrorLine = onLine };

    /// <summary>On cancellation, send SIGTERM first and wait up to <paramref name="grace"/> (for tools that must unmount or clean up).</summary>
    public Command WithGracefulCancellation(TimeSpan grace) => this with { GracePeriod = grace };

    /// <summary>Bounds how much standard output the result keeps.</summary>
    public Command WithOutputLimit(int characters) => this with { OutputLimit = characters };

    /// <summary>
    /// Runs the command to its end. Cancelling <paramref name="cancellationToken"/> kills the whole
    /// process tree and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <exception cref="CommandFailedException">The exit code was not zero and validation is on.</exception>
    /// <exception cref="CommandNotFoundException">The executable could not be started.</exception>
    public async Task<CommandResult> ExecuteAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var process = new Process { StartInfo = CreateStartInfo() };
        var stdout = new OutputTail(OutputLimit);
        var stderr = new OutputTail(64 * 1024);
        var started = Stopwatch.StartNew();
        var startTime = DateTimeOffset.UtcNow;
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CommandNotFoundException(this, e);
        }

        var pumpOut = PumpAsync(process.StandardOutput, stdout, StandardOutputLine);
        var pumpErr = PumpAsync(process.StandardError, stderr, StandardErrorLine);
        await using (cancellationToken.Register(() => Stop(process, GracePeriod)))
        {
            await WriteInputAsync(process).ConfigureAwait(false);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            var pumps = Task.WhenAll(pumpOut, pumpErr);
            if (cancellationToken.IsCancellationRequested)
            {
                // A descendant that escaped the kill may hold the pipes open; do not wait on it forever.
                await Task.WhenAny(pumps, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
            }
            else
            {
                await pumps.ConfigureAwait(false);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        // A callback that threw was not allowed to stop the draining (a full pipe would have blocked the process);
        // now that the process is done, its exception is the caller's.
        (pumpOut.IsCompletedSuccessfully ? pumpOut.Result : null)?.Throw();
        (pumpErr.IsCompletedSuccessfully ? pumpErr.Result : null)?.Throw();
        var result = new CommandResult(process.ExitCode, stdout.ToString(), stderr.ToString(), startTime, started.Elapsed);
        if (ValidatesExitCode && result.ExitCode != 0)
        {
            throw new CommandFailedException(this, result);
        }

        return result;
    }

    /// <summary>The command line as a POSIX shell would read it, for messages and logs.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(ShellQuoting.Quote(TargetFilePath));
        foreach (var argument in Arguments)
        {
            text.Append(' ').Append(ShellQuoting.Quote(argument));
        }

        return text.ToString();
    }

    private ProcessStartInfo CreateStartInfo()
    {
        var info = new ProcessStartInfo(TargetFilePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in Environment)
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        return info;
    }

    private async Task WriteInputAsync(Process process)
    {
        try
        {
            if (StandardInput is not null)
            {
                await process.StandardInput.WriteAsync(StandardInput).ConfigureAwait(false);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process exited without reading its input; its exit code tells the story.
        }
    }

    private static async Task<System.Runtime.ExceptionServices.ExceptionDispatchInfo?> PumpAsync(StreamReader reader, OutputTail tail, Action<string>? onLine)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        void Deliver(string line)
        {
            if (failure is not null)
            {
                return;
            }

            try
            {
                onLine!(line);
            }
            catch (Exception e)
            {
                failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
        }

        // Raw chunks keep the output exact (a missing final newline stays missing); lines go to the callback.
        var buffer = new char[8192];
        var partial = new StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            tail.Append(buffer.AsSpan(0, read));
            if (onLine is null)
            {
                continue;
            }

            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] == '\n')
                {
                    partial.Append(buffer, start, i - start);
                    Deliver(partial.ToString().TrimEnd('\r'));
                    partial.Clear();
                    start = i + 1;
                }
            }

            partial.Append(buffer, start, read - start);
        }

        if (onLine is not null && partial.Length > 0)
        {
            Deliver(partial.ToString().TrimEnd('\r'));
        }

        return failure;
    }

    private static void Stop(Process process, TimeSpan grace)
    {
        if (grace > TimeSpan.Zero && Signals.Terminate(process.Id))
        {
            // Give it the grace period off the cancelling thread, then make sure.
            _ = Task.Delay(grace, CancellationToken.None).ContinueWith(_ => KillTree(process), TaskScheduler.Default);
            return;
        }

        KillTree(process);
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already exited (or exiting).
        }
    }
}
