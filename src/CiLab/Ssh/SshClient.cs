using System.Diagnostics;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Processes;
using CiLab.Sync;
using CliWrap;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.Ssh;

/// <summary>
/// A guest shell over the system OpenSSH client, multiplexed over a ControlMaster socket (a fresh connection per
/// command costs over a second under TCG; a multiplexed one about a tenth); files go by rsync over the same connection.
/// </summary>
/// <param name="vmName">The VM's name, for messages.</param>
/// <param name="endpoint">Where and how to connect.</param>
/// <param name="profile">The guest's OS (how to kill a command's processes); Linux when not given.</param>
/// <param name="log">Where sync lines go.</param>
public sealed class SshClient(string vmName, SshEndpoint endpoint, IGuestProfile? profile = null, ILogger? log = null) : IGuestShell
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);
    private readonly IGuestProfile _profile = profile ?? LinuxSystemdProfile.Instance;
    private readonly ILogger _log = log ?? NullLogger.Instance;

    /// <summary>The VM's name, for messages.</summary>
    public string VmName { get; } = vmName;

    /// <summary>Where and how it connects.</summary>
    public SshEndpoint Endpoint { get; } = endpoint;

    /// <summary>Runs <paramref name="command"/> in the guest. A timeout or cancellation kills it in the guest too.</summary>
    /// <exception cref="GuestCommandFailedException">It exited non-zero and <see cref="GuestCommand.ValidateExitCode"/> is on.</exception>
    /// <exception cref="GuestCommandTimeoutException">It ran past its timeout.</exception>
    /// <exception cref="GuestConnectionException">ssh itself failed (unreachable guest, changed host key, dead sshd).</exception>
    public async Task<GuestCommandResult> RunAsync(GuestCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var id = Guid.NewGuid().ToString("N")[..12];
        using var timeout = new CancellationTokenSource(command.Timeout ?? Timeout.InfiniteTimeSpan);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var clock = Stopwatch.StartNew();
        try
        {
            var result = await Ssh(RemoteCommandLine(command, id))
                .WithStandardInput(command.StandardInput ?? string.Empty)
                .WithStandardOutputLine(command.OnOutputLine)
                .WithStandardErrorLine(command.OnErrorLine)
                .WithValidation(false)
                .ExecuteBoundedAsync(linked.Token).ConfigureAwait(false);
            var guestResult = new GuestCommandResult(result.ExitCode, result.StandardOutput, result.StandardError, clock.Elapsed);
            if (result.ExitCode == 255 && !await ConnectionSurvivedAsync().ConfigureAwait(false))
            {
                throw new GuestConnectionException(VmName, Explain(result.StandardError));
            }

            if (command.ValidateExitCode && result.ExitCode != 0)
            {
                throw new GuestCommandFailedException(VmName, command, guestResult);
            }

            return guestResult;
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            await KillRemoteAsync(id, command.Elevation).ConfigureAwait(false);
            if (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new GuestCommandTimeoutException(VmName, command, command.Timeout!.Value);
            }

            throw;
        }
    }

    /// <summary>One short try at running a command: null when the guest answers, otherwise ssh's own words why not.</summary>
    public async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        // Bounded: a guest half up (or a stale multiplexed connection) can accept and then never answer.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ProbeTimeout);
        try
        {
            var result = await Ssh("true").WithValidation(false).ExecuteBoundedAsync(limit.Token).ConfigureAwait(false);
            return result.ExitCode == 0 ? null : Explain(result.StandardError);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await ReconnectAsync(cancellationToken).ConfigureAwait(false);
            return $"ssh did not answer within {ProbeTimeout.TotalSeconds:0}s";
        }
    }

    /// <summary>
    /// ssh exits 255 both when it failed and when the remote command did. The multiplexing master tells them apart: it
    /// lives on after a command's own exit, and dies with the connection. (When in doubt this says "failed", which a suite
    /// reports as an error: never as a pass.)
    /// </summary>
    private async Task<bool> ConnectionSurvivedAsync()
    {
        if (!File.Exists(Endpoint.ControlPath))
        {
            return false;
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var check = await Cli.Wrap("ssh").WithArguments([.. Endpoint.Options(), "-O", "check", Endpoint.Destination])
                .WithValidation(false).ExecuteBoundedAsync(limit.Token).ConfigureAwait(false);
            return check.ExitCode == 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Ends the multiplexing master, e.g. after a restore or reboot made its TCP connection stale.</summary>
    public async Task ReconnectAsync(CancellationToken cancellationToken)
    {
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
    public Task UploadAsync(string hostPath, string guestPath, CancellationToken cancellationToken) =>
        new CodeSync(this, _log).UploadAsync(hostPath, guestPath, cancellationToken);

    /// <inheritdoc/>
    public Task DownloadAsync(string guestPath, string hostPath, CancellationToken cancellationToken) =>
        new CodeSync(this, _log).DownloadAsync(guestPath, hostPath, cancellationToken);

    /// <summary>
    /// The remote command. A unique CILAB_ID in the environment marks every process the command starts (it survives
    /// exec), so a timeout can find and kill them all. No `exec` in front: bash, the login shell of the lab's users,
    /// already runs the lone command of `-c` without forking, and a builtin such as `true` then starts no process at
    /// all — which matters when every process start costs tens of milliseconds under TCG. (A builtin carries no
    /// marker, so a hanging `read` given as an argument list could not be killed in the guest; scripts always run in
    /// a marked sh.)
    /// </summary>
    internal static string RemoteCommandLine(GuestCommand command, string id)
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

    private async Task KillRemoteAsync(string id, Elevation elevation)
    {
        var kill = $"{_profile.KillTaggedCommand("CILAB_ID", id, "TERM")}; sleep 1; {_profile.KillTaggedCommand("CILAB_ID", id, "KILL")}";
        var prefix = elevation switch { Elevation.Sudo => "sudo -n ", Elevation.Doas => "doas -n ", _ => string.Empty };
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await Ssh($"{prefix}sh -c {ShellQuoting.Quote(kill)}").WithValidation(false).ExecuteBoundedAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The guest is gone or hung: nothing left to kill over SSH.
        }
    }

    private Command Ssh(string remoteCommand) =>
        Cli.Wrap("ssh").WithArguments([.. Endpoint.Options(), Endpoint.Destination, "--", remoteCommand]);

    private static string Explain(string stderr)
    {
        var text = stderr.Trim();
        if (text.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", StringComparison.Ordinal) || text.Contains("Host key verification failed", StringComparison.Ordinal))
        {
            return "the guest's host key does not match the one pinned in the lab's known_hosts (the guest was replaced, or something is in the way). Refusing to connect. " + text;
        }

        return text.Length > 0 ? text : "ssh exited with code 255 and said nothing";
    }
}
