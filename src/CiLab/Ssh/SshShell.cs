using System.Diagnostics;
using System.Globalization;
using System.Text;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Processes;
using CiLab.Sync;
using CliWrap;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace CiLab.Ssh;

/// <summary>
/// A guest shell over SSH.NET: one connection per guest and user held for the process, the host key pinned against the
/// lab's known_hosts, files over SFTP. A command runs in a persistent shell of its elevation on that connection
/// (one long-lived sh, a subshell per command, lines streamed where asked); one that takes input, or that finds the shell busy
/// with another, gets a channel of its own (commands run in parallel up to the guest's session limit).
/// The system OpenSSH client is used only where a person or rsync needs it: <see cref="InteractiveCommand"/> and
/// <see cref="SyncAsync"/> (rsync -e ssh, over a ControlMaster).
/// </summary>
/// <param name="vmName">The VM's name, for messages.</param>
/// <param name="endpoint">Where and how to connect.</param>
/// <param name="profile">The guest's OS (how to kill a command's processes); Linux when not given.</param>
/// <param name="log">Where sync lines go.</param>
public sealed class SshShell(string vmName, SshEndpoint endpoint, IGuestProfile? profile = null, ILogger? log = null) : IGuestShell
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(15);
    private readonly IGuestProfile _profile = profile ?? LinuxSystemdProfile.Instance;
    private readonly ILogger _log = log ?? NullLogger.Instance;

    /// <summary>The VM's name, for messages.</summary>
    public string VmName { get; } = vmName;

    /// <summary>Where and how it connects.</summary>
    public SshEndpoint Endpoint { get; } = endpoint;

    private SshConnection Connection => SshConnection.For(Endpoint, VmName);

    /// <summary>Runs <paramref name="command"/> in the guest. A timeout or cancellation kills it in the guest too.</summary>
    /// <exception cref="GuestCommandFailedException">It exited non-zero and <see cref="GuestCommand.ValidateExitCode"/> is on.</exception>
    /// <exception cref="GuestCommandTimeoutException">It ran past its timeout.</exception>
    /// <exception cref="GuestConnectionException">The guest could not be reached (unreachable, changed host key, dead sshd).</exception>
    public Task<GuestCommandResult> RunAsync(GuestCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return RunAsync(command, string.IsNullOrEmpty(command.StandardInput) ? null : new MemoryStream(Encoding.UTF8.GetBytes(command.StandardInput)), cancellationToken);
    }

    /// <summary>Runs <paramref name="command"/> with <paramref name="input"/> (binary, e.g. a tar stream) as its standard input.</summary>
    internal async Task<GuestCommandResult> RunAsync(GuestCommand command, Stream? input, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        using var timeout = new CancellationTokenSource(command.Timeout ?? Timeout.InfiniteTimeSpan);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var clock = Stopwatch.StartNew();
        try
        {
            if (input is null
                && await Connection.SessionAsync(command.Elevation, _log.Line, linked.Token).ConfigureAwait(false) is { } session && session.TryEnter())
            {
                try
                {
                    if (await RunInSessionAsync(session, command, id, linked.Token).ConfigureAwait(false) is { } result)
                    {
                        return Checked(command, result with { Duration = clock.Elapsed });
                    }
                }
                finally
                {
                    session.Leave();
                }
            }

            using var running = await StartAsync(RemoteCommandLine(command, id, hasInput: input is not null), linked.Token).ConfigureAwait(false);
            var stdout = GuestOutput.Start(running.Command.OutputStream, HostCommands.DefaultOutputLimit, command.OnOutputLine);
            var stderr = GuestOutput.Start(running.Command.ExtendedOutputStream, HostCommands.ErrorLimit, command.OnErrorLine);
            // Sent beside the wait, not before it: a command that stops reading must not hold the caller past its end or
            // its timeout. Input it never read is dropped.
            var sending = Task.Run(() => SendInputAsync(running.Command, input), CancellationToken.None);
            try
            {
                await running.Execution.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                await KillRemoteAsync(id, command.Elevation).ConfigureAwait(false);
                running.Command.CancelAsync(forceKill: true);
                throw;
            }
            catch (SshException e)
            {
                throw new GuestConnectionException(VmName, $"the connection broke while the command ran ({e.Message}).");
            }
            finally
            {
                // Input still being written to a channel that is closing takes the whole connection down a few seconds
                // later (seen: every command then running on it broke): later commands get a connection of their own.
                if (input is not null && !await CompletesWithinAsync(sending, TimeSpan.FromMilliseconds(200)).ConfigureAwait(false))
                {
                    SshConnection.Retire(Endpoint, sending);
                }
            }

            return Checked(command, new GuestCommandResult(ExitCode(running.Command), await stdout.TextAsync().ConfigureAwait(false), await stderr.TextAsync().ConfigureAwait(false), clock.Elapsed));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new GuestCommandTimeoutException(VmName, command, command.Timeout!.Value);
        }
    }

    private GuestCommandResult Checked(GuestCommand command, GuestCommandResult result) =>
        command.ValidateExitCode && result.ExitCode != 0 ? throw new GuestCommandFailedException(VmName, command, result) : result;

    /// <summary>
    /// Runs a command without input in the VM's persistent shell of its elevation: the same working
    /// directory, environment and CILAB_ID marker as on a channel of its own, in a subshell of sh. A command cut short
    /// (timeout, cancellation) is killed like any other, with the subshell itself, and the session is replaced. Null when
    /// the command never reached the guest.
    /// </summary>
    private async Task<GuestCommandResult?> RunInSessionAsync(GuestSession session, GuestCommand command, string id, CancellationToken cancellationToken)
    {
        var cd = command.WorkingDirectory is { } directory ? $"cd {ShellQuoting.Quote(directory)} || exit\n" : string.Empty;
        var variables = command.Environment.Append(new("CILAB_ID", id));
        var script = $"{cd}export {string.Join(' ', variables.Select(p => $"{EnvironmentName(p.Key)}={ShellQuoting.Quote(p.Value)}"))}\n{command.Script}";
        try
        {
            var (exitCode, stdout, stderr) = await session.RunAsync(script, command, cancellationToken).ConfigureAwait(false);
            return new GuestCommandResult(exitCode, stdout, stderr, TimeSpan.Zero);
        }
        catch (OperationCanceledException)
        {
            await KillRemoteAsync(id, command.Elevation, session.Pid).ConfigureAwait(false);
            throw;
        }
        catch (GuestSessionException e) when (!e.Sent)
        {
            // Nothing reached the guest: a channel of its own runs it (and connects afresh if the connection went stale).
            _log.Line($"VM '{VmName}': {e.Message}; running the command on a channel of its own.");
            return null;
        }
        catch (GuestSessionException e)
        {
            throw new GuestConnectionException(VmName, $"the connection broke while the command ran ({e.Message}).");
        }
    }

    /// <summary>One short try at running a command: null when the guest answers, otherwise why not.</summary>
    public async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        // Bounded: a guest half up can accept a connection and then never answer.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ProbeTimeout);
        try
        {
            using var running = await StartAsync("true", limit.Token).ConfigureAwait(false);
            await running.Execution.WaitAsync(limit.Token).ConfigureAwait(false);
            return running.Command.ExitStatus == 0 ? null : $"'true' ended with {running.Command.ExitStatus?.ToString(CultureInfo.InvariantCulture) ?? "signal " + running.Command.ExitSignal}";
        }
        catch (GuestConnectionException e)
        {
            return e.Detail;
        }
        catch (SshException e)
        {
            SshConnection.Drop(Endpoint);
            return e.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            SshConnection.Drop(Endpoint);
            return $"ssh did not answer within {ProbeTimeout.TotalSeconds:0}s";
        }
    }

    /// <summary>Closes the connections (SSH.NET's and rsync's ControlMaster), e.g. after a restore or reboot made them stale.</summary>
    public async Task ReconnectAsync(CancellationToken cancellationToken)
    {
        SshConnection.Drop(Endpoint);
        if (File.Exists(Endpoint.ControlPath))
        {
            await Cli.Wrap("ssh").WithArguments([.. Endpoint.Options(), "-O", "exit", Endpoint.Destination])
                .WithValidation(false).ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
            File.Delete(Endpoint.ControlPath);
        }
    }

    /// <summary>The ssh command line for an interactive shell (for printing, or for a TTY).</summary>
    public IReadOnlyList<string> InteractiveCommand() => ["ssh", .. Endpoint.Options(), "-t", Endpoint.Destination];

    /// <inheritdoc/>
    public Task<SyncResult> SyncAsync(string hostDirectory, string guestDirectory, SyncOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CodeSync(this, _log, options.StateDirectory).SyncAsync(hostDirectory, guestDirectory, options.Excludes, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task UploadAsync(string hostPath, string guestPath, CancellationToken cancellationToken)
    {
        var sftp = await Connection.FilesAsync(cancellationToken).ConfigureAwait(false);
        await new SftpTransfer(sftp, VmName).UploadAsync(hostPath, guestPath, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task DownloadAsync(string guestPath, string hostPath, CancellationToken cancellationToken)
    {
        var sftp = await Connection.FilesAsync(cancellationToken).ConfigureAwait(false);
        await new SftpTransfer(sftp, VmName).DownloadAsync(guestPath, hostPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The remote command. A unique CILAB_ID in the environment marks every process the command starts (it survives
    /// exec), so a timeout can find and kill them all. No `exec` in front: bash, the login shell of the lab's users,
    /// already runs the lone command of `-c` without forking, and a builtin such as `true` then starts no process at
    /// all — which matters when every process start costs tens of milliseconds under TCG. (A builtin carries no
    /// marker, so a hanging `read` given as an argument list could not be killed in the guest; scripts always run in
    /// a marked sh.)
    /// </summary>
    internal static string RemoteCommandLine(GuestCommand command, string id, bool hasInput) =>
        CommandLine(command, id) + (hasInput ? string.Empty : " </dev/null");

    private static string CommandLine(GuestCommand command, string id)
    {
        var cd = command.WorkingDirectory is { } directory ? $"cd {ShellQuoting.Quote(directory)} && " : string.Empty;
        var variables = command.Environment.Append(new("CILAB_ID", id)).ToList();
        if (command.Elevation == Elevation.None)
        {
            // Assignments before exec reach the new program's environment; only the value is quoted, since a quoted
            // "NAME=value" word would be read as a command name. An argument list needs no shell of its own.
            var program = command.IsArgumentList ? command.Script : ShellQuoting.Join(["sh", "-c", cd + command.Script]);
            var assignments = string.Join(' ', variables.Select(p => $"{EnvironmentName(p.Key)}={ShellQuoting.Quote(p.Value)}"));
            return (command.IsArgumentList ? cd : string.Empty) + assignments + " " + program;
        }

        // doas and sudo reset the environment: env sets it again on the elevated side.
        string[] elevate = command.Elevation == Elevation.Sudo ? ["sudo", "-n"] : ["doas", "-n"];
        return "exec " + ShellQuoting.Join([.. elevate, "env", .. variables.Select(p => $"{EnvironmentName(p.Key)}={p.Value}"), "sh", "-c", cd + command.Script]);
    }

    private static string EnvironmentName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? name
            : throw new ArgumentException($"'{name}' is not a valid environment variable name.", nameof(name));

    // A session's command also has its subshell, the session shell's child, which carries no marker: it goes first,
    // since a subshell spinning in builtins can starve the guest's CPU for as long as the marked processes take to find.
    private async Task KillRemoteAsync(string id, Elevation elevation, int? sessionPid = null)
    {
        var subshell = sessionPid is { } pid ? $"pkill -KILL -P {pid.ToString(CultureInfo.InvariantCulture)}; kill -KILL {pid.ToString(CultureInfo.InvariantCulture)}; " : string.Empty;
        var kill = $"{subshell}{_profile.KillTaggedCommand("CILAB_ID", id, "TERM")}; sleep 1; {_profile.KillTaggedCommand("CILAB_ID", id, "KILL")}";
        var prefix = elevation switch { Elevation.Sudo => "sudo -n ", Elevation.Doas => "doas -n ", _ => string.Empty };
        using var limit = new CancellationTokenSource(KillTimeout);
        try
        {
            using var running = await StartAsync($"{prefix}sh -c {ShellQuoting.Quote(kill)} </dev/null", limit.Token).ConfigureAwait(false);
            await running.Execution.WaitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or GuestConnectionException or SshException)
        {
            // The guest is gone or hung: nothing left to kill over SSH.
        }
    }

    /// <summary>
    /// Opens a channel and starts <paramref name="commandLine"/>. A pooled connection that went stale (the guest was
    /// restored or rebooted behind this process's back) fails here, before anything ran: it is replaced once.
    /// </summary>
    private async Task<RunningCommand> StartAsync(string commandLine, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var client = await Connection.CommandsAsync(cancellationToken).ConfigureAwait(false);
            var command = client.CreateCommand(LoginShell.Wrap(commandLine));
            try
            {
                // Opening the channel blocks until the guest answers: off the caller's thread.
                var execution = await Task.Factory.StartNew(() => command.ExecuteAsync(CancellationToken.None), cancellationToken, TaskCreationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
                return new RunningCommand(command, execution);
            }
            catch (Exception e) when (e is SshException or ObjectDisposedException or InvalidOperationException)
            {
                command.Dispose();
                SshConnection.Drop(Endpoint);
                if (attempt == 2)
                {
                    throw new GuestConnectionException(VmName, $"could not start a command: {e.Message}");
                }

                _log.Line($"VM '{VmName}': the SSH connection was stale ({e.Message}); connecting afresh.");
            }
        }
    }

    private static async Task<bool> CompletesWithinAsync(Task task, TimeSpan grace) =>
        await Task.WhenAny(task, Task.Delay(grace)).ConfigureAwait(false) == task;

    /// <summary>Writes the command's standard input and closes it. A command that already ended has no use for the rest.</summary>
    private static async Task SendInputAsync(SshCommand command, Stream? input)
    {
        if (input is null)
        {
            return; // the command line reads /dev/null instead (SSH.NET sends no end-of-file for an input never written)
        }

        try
        {
            var channel = command.CreateInputStream();
            await using (channel.ConfigureAwait(false))
            {
                await input.CopyToAsync(channel).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or SshException)
        {
            // The command ended before reading it all, as with a closed pipe; its exit code tells the rest.
        }
    }

    /// <summary>
    /// The command's exit code; a signal counts as 128 plus its number, as in a shell. No code at all means the channel
    /// closed without the command's end being reported: a failure, never a pass.
    /// </summary>
    private int ExitCode(SshCommand command) => command.ExitStatus ?? command.ExitSignal switch
    {
        "HUP" => 129,
        "INT" => 130,
        "QUIT" => 131,
        "ABRT" => 134,
        "KILL" => 137,
        "SEGV" => 139,
        "PIPE" => 141,
        "TERM" => 143,
        { } other => throw new GuestConnectionException(VmName, $"the command was ended by signal {other}."),
        null => throw new GuestConnectionException(VmName, "the guest closed the command's channel without reporting how it ended."),
    };

    private sealed record RunningCommand(SshCommand Command, Task Execution) : IDisposable
    {
        public void Dispose() => Command.Dispose();
    }
}
