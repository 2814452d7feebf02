using System.Runtime.ExceptionServices;
using System.Text;
using CiLab.Processes;

namespace CiLab.Ssh;

/// <summary>
/// Reads one output stream of a guest command to its end: the exact text (its last part, in bounded memory) and each line
/// to a callback as it arrives. SSH.NET's output streams block on read, so each gets a thread of its own rather than one
/// of the few pool threads a two-core host has.
/// </summary>
internal sealed class GuestOutput
{
    private readonly OutputTail _tail;
    private readonly Task _reading;

    private GuestOutput(Stream stream, int limit, Action<string>? onLine)
    {
        _tail = new OutputTail(limit);
        _reading = Task.Factory.StartNew(() => Read(stream, onLine), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Starts reading <paramref name="stream"/>.</summary>
    public static GuestOutput Start(Stream stream, int limit, Action<string>? onLine) => new(stream, limit, onLine);

    /// <summary>The text, once the stream has ended; a callback's exception is thrown here, after the stream was read out.</summary>
    public async Task<string> TextAsync()
    {
        await _reading.ConfigureAwait(false);
        return _tail.ToString();
    }

    private void Read(Stream stream, Action<string>? onLine)
    {
        ExceptionDispatchInfo? failure = null;
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 8192, leaveOpen: true);
        var buffer = new char[8192];
        var line = new StringBuilder();
        int read;
        while ((read = reader.Read(buffer)) > 0)
        {
            var text = buffer.AsSpan(0, read);
            _tail.Append(text);
            if (onLine is null)
            {
                continue;
            }

            foreach (var c in text)
            {
                if (c != '\n')
                {
                    line.Append(c);
                    continue;
                }

                Deliver(onLine, line.ToString().TrimEnd('\r'), ref failure);
                line.Clear();
            }
        }

        if (onLine is not null && line.Length > 0)
        {
            Deliver(onLine, line.ToString(), ref failure);
        }

        failure?.Throw();
    }

    // A callback that throws does not stop the reading (the result still gets all the text): the first exception is
    // kept for when the stream has ended.
    private static void Deliver(Action<string> onLine, string line, ref ExceptionDispatchInfo? failure)
    {
        if (failure is not null)
        {
            return;
        }

        try
        {
            onLine(line);
        }
        catch (Exception e)
        {
            failure = ExceptionDispatchInfo.Capture(e);
        }
    }
}
