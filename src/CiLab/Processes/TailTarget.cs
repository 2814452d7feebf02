using System.Text;
using CliWrap;

namespace CiLab.Processes;

/// <summary>Keeps the exact end of a stream (a missing final newline stays missing) in bounded memory.</summary>
internal sealed class TailTarget(OutputTail tail) : PipeTarget
{
    public override async Task CopyFromAsync(Stream origin, CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(origin, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 8192, leaveOpen: true);
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            tail.Append(buffer.AsSpan(0, read));
        }
    }
}
