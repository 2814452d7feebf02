using System.Text;
using System.Text.RegularExpressions;

namespace CiLab.Reporting;

/// <summary>Makes arbitrary program output safe for an XML 1.0 document.</summary>
internal static partial class XmlText
{
    /// <summary>Removes ANSI escape sequences and every character XML 1.0 forbids (lone surrogates included).</summary>
    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        text = AnsiEscape().Replace(text, string.Empty);
        StringBuilder? clean = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var keep = 1;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                keep = 2;
            }
            else if (!IsXmlChar(c))
            {
                keep = 0;
            }

            if (keep == 0)
            {
                clean ??= new StringBuilder(text, 0, i, text.Length);
            }
            else
            {
                clean?.Append(text, i, keep);
            }

            i += Math.Max(keep, 1) - 1;
        }

        return clean?.ToString() ?? text;
    }

    /// <summary>Keeps the end of <paramref name="text"/> within <paramref name="limit"/> characters, saying how much was cut.</summary>
    public static string Bound(string text, int limit)
    {
        if (text.Length <= limit)
        {
            return text;
        }

        var start = text.Length - limit;
        if (char.IsLowSurrogate(text[start]))
        {
            start++;
        }

        return $"[… {start} earlier characters trimmed …]\n" + text[start..];
    }

    private static bool IsXmlChar(char c) =>
        c is '\t' or '\n' or '\r' || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD);

    [GeneratedRegex(@"\x1B(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1B]*(?:\x07|\x1B\\)|[@-Z\\-_])")]
    private static partial Regex AnsiEscape();
}
