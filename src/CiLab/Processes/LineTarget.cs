using System.Runtime.ExceptionServices;
using System.Text;
using CliWrap;

namespace CiLab.Processes;

/// <summary>
/// Hands each line of a stream to a callback. A callback that throws does not stop the reading — a reader that stopped
/// would leave the process blocked on a full pipe — so the stream is read to its end and the first exception is thrown
/// then, after the process has had its say.
/// </summary>
internal sealed class LineTarget(Action<string> onLine) : PipeTarget
{
    public override async Task CopyFromAsync(Stream origin, CancellationToken cancellationToken = default)
    {
        ExceptionDispatchInfo? failure = null;
        using var reader = new StreamReader(origin, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 8192, leaveOpen: true);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (failure is not null)
            {
                continue;
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

        failure?.Throw();
    }
}
