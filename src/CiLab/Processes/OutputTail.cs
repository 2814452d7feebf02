using System.Text;

namespace CiLab.Processes;

/// <summary>Keeps the last characters of a stream, so huge outputs cost bounded memory.</summary>
internal sealed class OutputTail(int limit)
{
    private readonly StringBuilder _text = new();
    private readonly object _gate = new();

    public void Append(ReadOnlySpan<char> text)
    {
        lock (_gate)
        {
            _text.Append(text);
            if (_text.Length > limit)
            {
                // Drop from the front in big chunks so trimming stays cheap.
                _text.Remove(0, Math.Max(_text.Length - limit, limit / 4));
            }
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return _text.ToString();
        }
    }

    /// <summary>The last <paramref name="count"/> non-empty lines of <paramref name="text"/>.</summary>
    public static string LastLines(string text, int count)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - count)));
    }
}
