using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using CiLab.Machines;
using CiLab.Ssh;

namespace CiLab.Sync;

/// <summary>
/// A guest command opened before anyone knows what it will do: it reads one line of shell from its input, runs it, and
/// that line reads the rest (a tar stream). Opening a channel costs about 170 ms under TCG, more than the guest's check
/// of its copy or the host's listing of its tree; opened first, it is ready by the time both are done.
/// </summary>
internal sealed class ChangeChannel : IAsyncDisposable
{
    // sh's read takes one byte at a time from a pipe, so what follows the line stays for the line's own commands.
    private const string Reader = "IFS= read -r __cilab_changes || exit 0; eval \"$__cilab_changes\"";

    // Segments as large as a copy's buffer: SSH.NET sends each read as it comes, and 4 KB ones made 5 MB take 21 s.
    private readonly Pipe _input = new(new PipeOptions(minimumSegmentSize: 1 << 16, pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
    private bool _sent;
    private bool _completed;

    private ChangeChannel(SshShell ssh, CancellationToken cancellationToken)
    {
        Command = ssh.RunAsync(new GuestCommand { Script = Reader, ValidateExitCode = false }, _input.Reader.AsStream(), cancellationToken);
        // A command that ends before taking all its input reads no more: a write into the pipe must not wait for room.
        _ = Command.ContinueWith(_ => _input.Writer.CancelPendingFlush(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The command; it ends once its line has run (or, never given one, once it is disposed).</summary>
    public Task<GuestCommandResult> Command { get; }

    public static ChangeChannel Open(SshShell ssh, CancellationToken cancellationToken) => new(ssh, cancellationToken);

    /// <summary>
    /// Gives the command <paramref name="script"/> (one line) to start on: it may start a program that waits for the rest
    /// of the input, which <see cref="FinishAsync"/> then sends, or <see cref="Abandon"/> refuses.
    /// </summary>
    public async Task BeginAsync(string script, CancellationToken cancellationToken)
    {
        if (script.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("The changes' script must be one line.", nameof(script));
        }

        _sent = true;
        _input.Writer.Write(Encoding.UTF8.GetBytes(script + "\n"));
        await _input.Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <paramref name="archive"/> as the rest of the input, and waits for the command to end. A command that ended
    /// before taking it all (its connection died with the VM, say) reads no more: the rest is not sent, and its result,
    /// or its failure, is what comes back.
    /// </summary>
    public async Task<GuestCommandResult> FinishAsync(string archive, CancellationToken cancellationToken)
    {
        var stream = File.OpenRead(archive);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[1 << 16];
            for (int read; (read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0;)
            {
                // Checked before each write, since the flush that the command's end cancels may have been an earlier one.
                if (Command.IsCompleted || (await _input.Writer.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false)).IsCanceled)
                {
                    return await Command.ConfigureAwait(false);
                }
            }
        }

        _completed = true;
        await _input.Writer.CompleteAsync().ConfigureAwait(false);
        return await Command.ConfigureAwait(false);
    }

    /// <summary>
    /// Tells the command to end without waiting for it: never given its line, it gets an empty one; given its line, it
    /// gets a line that tar refuses as (or at the end of) its archive, so no token is written. (Never nothing at all:
    /// SSH.NET sends no end-of-file for an input never written to.)
    /// </summary>
    public void Abandon()
    {
        if (!_completed)
        {
            _completed = true;
            _input.Writer.Write(_sent ? "cilab: cut short\n"u8 : "\n"u8);
            _input.Writer.Complete();
        }
    }

    /// <summary>Abandons the command unless it was given its input, and waits for it to end; how it ended is not thrown.</summary>
    public async ValueTask DisposeAsync()
    {
        Abandon();
        await Task.WhenAny(Command).ConfigureAwait(false);
    }
}
