using System.Globalization;
using System.Text.RegularExpressions;

namespace CiLab.Labs;

/// <summary>Sizes (<c>512M</c>, <c>2G</c>) and durations (<c>90s</c>, <c>10m</c>, <c>1h</c>) as lab files write them.</summary>
internal static partial class Quantities
{
    /// <summary>Bytes in <paramref name="text"/> (K, M, G, T; binary units; optional "iB"/"B"), or null when it is not a size.</summary>
    public static long? ParseSize(string text)
    {
        var match = Size().Match(text.Trim());
        if (!match.Success)
        {
            return null;
        }

        var shift = match.Groups["unit"].Value.ToUpperInvariant() switch { "" => 0, "K" => 10, "M" => 20, "G" => 30, _ => 40 };
        var value = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture) * (1L << shift);
        return value is > 0 and < long.MaxValue ? (long)value : null;
    }

    /// <summary>The duration in <paramref name="text"/> (ms, s, m, h; a bare number is seconds; at most 31 days), or null.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        var match = Duration().Match(text.Trim());
        if (!match.Success)
        {
            return null;
        }

        var seconds = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture) * match.Groups["unit"].Value switch
        {
            "ms" => 0.001,
            "" or "s" => 1,
            "m" => 60,
            _ => 3600,
        };
        // Bounded: no wait in a lab needs more than a month, and TimeSpan would overflow far beyond.
        return seconds <= 31 * 24 * 3600 ? TimeSpan.FromSeconds(seconds) : null;
    }

    [GeneratedRegex(@"^(?<value>\d+(?:\.\d+)?)\s*(?<unit>[KMGTkmgt]?)(?:i?B)?\z")]
    private static partial Regex Size();

    [GeneratedRegex(@"^(?<value>\d+(?:\.\d+)?)\s*(?<unit>ms|s|m|h|)\z")]
    private static partial Regex Duration();
}
