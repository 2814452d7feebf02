using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text;
using CiLab.Processes;

namespace CiLab.Ssh;

/// <summary>
/// Reads one output stream of a <see cref="GuestSession"/> for its whole life and cuts it into commands' outputs at the
/// marker each command's frame ends with ("\n{marker} {exit code}\n" on stdout, "\n{marker}\n" on stderr). On its own
/// thread: SSH.NET's streams block on read.
/// </summary>
internal sealed class FrameReader
{
    private const int StrayLimit = 64 * 1024;
    private readonly bool _withExitCode;
    private readonly object _gate = new();
    private readonly StringBuilder _window = new();
    private Frame? _frame;

    public FrameReader(Stream stream, bool withExitCode)
    {
        _withExitCode = withExitCode;
        Task.Factory.StartNew(() => Read(stream), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>True once the stream has ended (the channel closed).</summary>
    public bool Ended { get; private set; }

    /// <summary>Starts collecting the next command's output, which ends at <paramref name="marker"/>; each line also goes to <paramref name="onLine"/>.</summary>
    public Frame Expect(string marker, int limit, Action<string>? onLine)
    {
        lock (_gate)
        {
            _frame = new Frame(marker, limit, onLine);
            if (Ended)
            {
                // The shell was gone before this command was written: it never ran.
                _frame.Fail(sent: false);
            }

            return _frame;
        }
    }

    private void Read(Stream stream)
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[8192];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        try
        {
            int read;
            while ((read = stream.Read(bytes)) > 0)
            {
                var count = decoder.GetChars(bytes, 0, read, chars, 0);
                lock (_gate)
                {
                    _window.Append(chars, 0, count);
                    Cut();
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or Renci.SshNet.Common.SshException)
        {
            // The channel went away: the same as its end.
        }

        lock (_gate)
        {
            Ended = true;
            _frame?.Fail();
        }
    }

    // Moves what is surely output into the frame, and ends the frame at its marker.
    private void Cut()
    {
        if (_frame is not { } frame)
        {
            // Output with no command running (a background process of an earlier one) goes to the next, up to a limit.
            if (_window.Length > StrayLimit)
            {
                _window.Remove(0, _window.Length - StrayLimit);
            }

            return;
        }

        var text = _window.ToString();
        var end = "\n" + frame.Marker + (_withExitCode ? " " : "\n");
        var at = text.IndexOf(end, StringComparison.Ordinal);
        if (at < 0)
        {
            // Keep a tail that could be the start of the marker.
            var keep = Math.Min(text.Length, end.Length);
            frame.Append(text.AsSpan(0, text.Length - keep));
            _window.Remove(0, text.Length - keep);
            return;
        }

        var exitCode = 0;
        var after = at + end.Length;
        if (_withExitCode)
        {
            var newline = text.IndexOf('\n', after);
            if (newline < 0)
            {
                return; // The exit code's line is not complete yet.
            }

            if (!int.TryParse(text.AsSpan(after, newline - after), NumberStyles.None, CultureInfo.InvariantCulture, out exitCode))
            {
                frame.Fail();
                return;
            }

            after = newline + 1;
        }

        frame.Append(text.AsSpan(0, at));
        _window.Remove(0, after);
        _frame = null;
        frame.Complete(exitCode);
    }

    /// <summary>One command's output on this stream.</summary>
    internal sealed class Frame(string marker, int limit, Action<string>? onLine)
    {
        private readonly TaskCompletionSource<int> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly OutputTail _output = new(limit);
        private readonly StringBuilder _line = new();
        private ExceptionDispatchInfo? _failure;

        public string Marker { get; } = marker;

        public string Text => _output.ToString();

        /// <summary>The exit code (0 on stderr) once the marker arrived.</summary>
        /// <exception cref="GuestSessionException">The channel closed first, or the frame's end was malformed.</exception>
        public Task<int> WaitAsync(CancellationToken cancellationToken) => _end.Task.WaitAsync(cancellationToken);

        public void Append(ReadOnlySpan<char> text)
        {
            _output.Append(text);
            if (onLine is null)
            {
                return;
            }

            foreach (var c in text)
            {
                if (c == '\n')
                {
                    Deliver(_line.ToString().TrimEnd('\r'));
                    _line.Clear();
                }
                else
                {
                    _line.Append(c);
                }
            }
        }

        // A callback that throws stops no reading: its first exception is the command's, once its output is all in.
        public void Complete(int exitCode)
        {
            if (_line.Length > 0)
            {
                Deliver(_line.ToString());
            }

            if (_failure is not null)
            {
                _end.TrySetException(_failure.SourceException);
                return;
            }

            _end.TrySetResult(exitCode);
        }

        public void Fail(bool sent = true) => _end.TrySetException(new GuestSessionException(
            sent ? "the persistent shell's channel closed before the command's end was reported" : "the persistent shell had ended", sent));

        private void Deliver(string line)
        {
            if (_failure is not null)
            {
                return;
            }

            try
            {
                onLine!(line);
            }
            catch (Exception e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
        }
    }
}
