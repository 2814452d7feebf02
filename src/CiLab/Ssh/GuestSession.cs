using System.Globalization;
using System.Text;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Processes;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace CiLab.Ssh;

/// <summary>
/// One long-lived POSIX sh on one SSH channel that runs short commands one at a time, each in a subshell. A channel per
/// command costs sshd's session set-up in the guest (about 87 ms under TCG); here a command costs one fork and a round
/// trip. Each command is framed by a random marker the host sends with it: the guest's output cannot end a frame early,
/// since it never sees a marker before its own command runs and each marker is used once.
/// </summary>
/// <remarks>
/// Protocol (host → guest on stdin): a marker line, the script's lines, the marker again. The shell runs the script
/// in a subshell reading /dev/null, then prints "\n{marker} {exit code}\n" on stdout and "\n{marker}\n" on stderr; the
/// leading newline is always added, so the text before it is exactly the command's output.
/// </remarks>
internal sealed class GuestSession : IDisposable
{
    // One line, no '!' and no newline: the login shell (bash, dash or tcsh) only has to hand it to sh.
    private const string Loop =
        "nl=$(printf '\\n.'); nl=${nl%.}; echo $$; " +
        "while IFS= read -r __cilab_m; do __cilab_s=; " +
        "while IFS= read -r __cilab_l; do [ \"$__cilab_l\" = \"$__cilab_m\" ] && break; __cilab_s=\"$__cilab_s$__cilab_l$nl\"; done; " +
        "( __cilab_m=; __cilab_l=; eval \"$__cilab_s\" ) </dev/null; __cilab_r=$?; " +
        "printf '\\n%s %s\\n' \"$__cilab_m\" $__cilab_r; printf '\\n%s\\n' \"$__cilab_m\" >&2; done";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly SshCommand _channel;
    private readonly Task _execution;
    private readonly Stream _input;
    private readonly FrameReader _stdout;
    private readonly FrameReader _stderr;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private volatile bool _broken;

    private GuestSession(SshClient client, SshCommand channel, Task execution, Stream input, int pid)
    {
        Client = client;
        _channel = channel;
        _execution = execution;
        _input = input;
        Pid = pid;
        _stdout = new FrameReader(channel.OutputStream, withExitCode: true);
        _stderr = new FrameReader(channel.ExtendedOutputStream, withExitCode: false);
    }

    /// <summary>The connection it runs on: when that is replaced, so is the session.</summary>
    public SshClient Client { get; }

    /// <summary>The session shell's process id in the guest (its running command is its only child).</summary>
    public int Pid { get; }

    /// <summary>False once a command broke the framing (timed out, cancelled) or the channel closed: start another.</summary>
    public bool IsUsable => !_broken && !_execution.IsCompleted && !_stdout.Ended && !_stderr.Ended;

    /// <summary>Starts sh on a new channel of <paramref name="client"/>, elevated as asked, and reads its pid.</summary>
    /// <exception cref="GuestSessionException">No sh answered as expected.</exception>
    public static async Task<GuestSession> StartAsync(SshClient client, Elevation elevation, CancellationToken cancellationToken)
    {
        // Elevated, the whole shell runs as root: its environment is what sudo or doas leaves, as for `sudo -n env … sh -c`.
        var elevate = elevation switch { Elevation.Sudo => "sudo -n ", Elevation.Doas => "doas -n ", _ => string.Empty };
        var channel = client.CreateCommand(LoginShell.Wrap($"exec {elevate}sh -c {ShellQuoting.Quote(Loop)}"));
        try
        {
            var execution = channel.ExecuteAsync(CancellationToken.None);
            var input = channel.CreateInputStream();
            var first = await Task.Run(() => ReadLine(channel.OutputStream), cancellationToken).WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
            if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                if (execution.IsCompleted)
                {
                    // It ended (sudo refused, say): its own words say why.
                    using var stderr = new StreamReader(channel.ExtendedOutputStream, Encoding.UTF8, leaveOpen: true);
                    var why = await stderr.ReadToEndAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                    throw new GuestSessionException($"the shell ended at once with exit code {channel.ExitStatus}: {why.Trim()}", refused: true);
                }

                throw new GuestSessionException($"the shell answered '{first}' instead of its pid", refused: true);
            }

            return new GuestSession(client, channel, execution, input, pid);
        }
        catch (Exception e) when (e is SshException or TimeoutException or InvalidOperationException or ObjectDisposedException or IOException)
        {
            channel.Dispose();
            throw new GuestSessionException(e.Message, sent: false);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    /// <summary>Takes the session for one command if no other command has it; release with <see cref="Leave"/>.</summary>
    public bool TryEnter() => IsUsable && _turn.Wait(0);

    /// <summary>Gives the session back.</summary>
    public void Leave() => _turn.Release();

    /// <summary>
    /// Runs <paramref name="script"/> (<paramref name="command"/> made ready for the shell) in a subshell; returns its exit
    /// code and output tails, and passes each line to the command's callbacks as it arrives. Cancelled (a timeout, say),
    /// the session is marked broken: the caller kills what the command started and the next command gets a new session.
    /// </summary>
    public async Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(string script, GuestCommand command, CancellationToken cancellationToken)
    {
        var marker = "cilab-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var stdout = _stdout.Expect(marker, HostCommands.DefaultOutputLimit, command.OnOutputLine);
        var stderr = _stderr.Expect(marker, HostCommands.ErrorLimit, command.OnErrorLine);
        try
        {
            var frame = Encoding.UTF8.GetBytes($"{marker}\n{script}\n{marker}\n");
            try
            {
                await _input.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                await _input.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SshException or ObjectDisposedException or IOException or InvalidOperationException)
            {
                throw new GuestSessionException($"the persistent shell's channel is gone ({e.Message})", sent: false);
            }

            var ends = Task.WhenAll(stdout.WaitAsync(cancellationToken), stderr.WaitAsync(cancellationToken));
            if (await Task.WhenAny(ends, _execution).ConfigureAwait(false) != ends)
            {
                // The channel closed (the shell was killed, the connection died): what arrived before that may still
                // hold the command's end; otherwise it is unknown how, or whether, the command ended.
                await ends.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }

            return (await stdout.WaitAsync(cancellationToken).ConfigureAwait(false), stdout.Text, stderr.Text);
        }
        catch (TimeoutException)
        {
            _broken = true;
            throw new GuestSessionException($"the persistent shell's channel closed before the command's end was reported; {State()}");
        }
        catch (GuestSessionException e) when (e.Sent)
        {
            _broken = true;
            throw new GuestSessionException($"{e.Message}; {State()}");
        }
        catch
        {
            _broken = true;
            throw;
        }
    }

    // For the error message: which end went away.
    private string State()
    {
        bool connected;
        try
        {
            connected = Client.IsConnected;
        }
        catch (ObjectDisposedException)
        {
            connected = false;
        }

        var shell = _execution.IsCompleted ? $"ended (exit {_channel.ExitStatus?.ToString(CultureInfo.InvariantCulture) ?? _channel.ExitSignal ?? "unknown"})" : "still running";
        return $"connection {(connected ? "up" : "down")}, shell {shell}";
    }

    public void Dispose()
    {
        _broken = true;
        _channel.Dispose();
    }

    private static string ReadLine(Stream stream)
    {
        var line = new StringBuilder();
        int b;
        while ((b = stream.ReadByte()) is >= 0 and not '\n')
        {
            line.Append((char)b);
        }

        return line.ToString();
    }
}
