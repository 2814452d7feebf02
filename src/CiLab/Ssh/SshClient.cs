using System.Diagnostics;
using CiLab.Labs;
using CiLab.Processes;

namespace CiLab.Ssh;

/// <summary>
/// Runs commands in one guest through the system OpenSSH client, multiplexed over a ControlMaster socket
/// (a fresh connection per command costs over a second under TCG; a multiplexed one about a tenth).
/// </summary>
public sealed class SshClient(string vmName, SshEndpoint endpoint)
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The VM's name, for messages.</summary>
    public string VmName { get; } = vmName;

    /// <summary>Where and how it connects.</summary>
    public SshEndpoint Endpoint { get; } = endpoint;

    /// <summary>Runs <paramref name="command"/> in the guest. A timeout or cancellation kills it in the guest too.</summary>
    /// <exception cref="GuestCommandFailedException">It exited non-zero and <see cref="GuestCommand.ValidateExitCode"/> is on.</exception>
    /// <exception cref="GuestCommandTimeoutException">It ran past its timeout.</exception>
    /// <exception cref="SshConnectionException">ssh itself failed (unreachable guest, changed host key, dead sshd).</exception>
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
                .ExecuteAsync(linked.Token).ConfigureAwait(false);
            var guestResult = new GuestCommandResult(result.ExitCode, result.StandardOutput, result.StandardError, clock.Elapsed);
            if (result.ExitCode == 255 && !await ConnectionSurvivedAsync().ConfigureAwait(false))
            {
                throw new SshConnectionException(VmName, Explain(result.StandardError));
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

    /// <summary>
    /// Runs <paramref name="probe"/> every <paramref name="interval"/> until it exits 0. Fails at once when
    /// <paramref name="isAlive"/> says the VM died, and with the probe's last output after <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="TimeoutException">The probe never succeeded in time; the message shows its last output.</exception>
    public async Task WaitUntilAsync(GuestCommand probe, TimeSpan timeout, TimeSpan interval, Func<bool>? isAlive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var clock = Stopwatch.StartNew();
        var last = "(never ran)";
        while (true)
        {
            if (isAlive is not null && !isAlive())
            {
                throw new SshConnectionException(VmName, $"the VM died while waiting for '{probe.Script}'.");
            }

            try
            {
                var result = await RunAsync(probe with { ValidateExitCode = false, Timeout = interval + TimeSpan.FromSeconds(10) }, cancellationToken).ConfigureAwait(false);
                if (result.ExitCode == 0)
                {
                    return;
                }

                last = $"exit code {result.ExitCode}: {(result.StandardError + result.StandardOutput).Trim()}";
            }
            catch (SshConnectionException e)
            {
                last = e.Detail;
            }
            catch (GuestCommandTimeoutException e)
            {
                // A guest going down mid-probe (a reboot) can leave the connection hanging: start the next try afresh.
                last = e.Message;
                await CloseMasterAsync(cancellationToken).ConfigureAwait(false);
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"In VM '{VmName}', '{probe.Script}' did not succeed within {timeout.TotalSeconds:0}s (last: {last}).");
            }

            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until something listens on TCP <paramref name="port"/> in the guest.</summary>
    public Task WaitForPortAsync(int port, TimeSpan timeout, Func<bool>? isAlive, CancellationToken cancellationToken) =>
        WaitUntilAsync(new GuestCommand { Script = $"ss -Hltn 'sport = :{port}' | grep -q ." }, timeout, TimeSpan.FromMilliseconds(500), isAlive, cancellationToken);

    /// <summary>Waits until systemd unit <paramref name="unit"/> is active in the guest.</summary>
    public Task WaitForUnitAsync(string unit, TimeSpan timeout, Func<bool>? isAlive, CancellationToken cancellationToken) =>
        WaitUntilAsync(new GuestCommand { Script = $"systemctl is-active --quiet {ShellQuoting.Quote(unit)}" }, timeout, TimeSpan.FromMilliseconds(500), isAlive, cancellationToken);

    /// <summary>One short try at running a command: null when the guest answers, otherwise ssh's own words why not.</summary>
    public async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        // Bounded: a guest half up (or a stale multiplexed connection) can accept and then never answer.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ProbeTimeout);
        try
        {
            var result = await Ssh("true").WithValidation(false).ExecuteAsync(limit.Token).ConfigureAwait(false);
            return result.ExitCode == 0 ? null : Explain(result.StandardError);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await CloseMasterAsync(cancellationToken).ConfigureAwait(false);
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
            var check = await Command.Create("ssh").WithArguments([.. Endpoint.Options(), "-O", "check", Endpoint.Destination])
                .WithValidation(false).ExecuteAsync(limit.Token).ConfigureAwait(false);
            return check.ExitCode == 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Ends the multiplexing master, e.g. after a restore or reboot made its TCP connection stale.</summary>
    public async Task CloseMasterAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Endpoint.ControlPath))
        {
            await Command.Create("ssh").WithArguments([.. Endpoint.Options(), "-O", "exit", Endpoint.Destination])
                .WithValidation(false).ExecuteAsync(cancellationToken).ConfigureAwait(false);
            File.Delete(Endpoint.ControlPath);
        }
    }

    /// <summary>The ssh command line for an interactive shell (for printing, or for a TTY).</summary>
    public IReadOnlyList<string> InteractiveArguments() => ["ssh", .. Endpoint.Options(), "-t", Endpoint.Destination];

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
        var find = $"for p in /proc/[0-9]*; do grep -qsz '^CILAB_ID={id}$' $p/environ && kill -$1 ${{p#/proc/}} 2>/dev/null; done";
        var kill = $"k() {{ {find}; }}; k TERM; sleep 1; k KILL; true";
        var prefix = elevation switch { Elevation.Sudo => "sudo -n ", Elevation.Doas => "doas -n ", _ => string.Empty };
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await Ssh($"{prefix}sh -c {ShellQuoting.Quote(kill)}").WithValidation(false).ExecuteAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The guest is gone or hung: nothing left to kill over SSH.
        }
    }

    private Command Ssh(string remoteCommand) =>
        Command.Create("ssh").WithArguments([.. Endpoint.Options(), Endpoint.Destination, "--", remoteCommand]);

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
