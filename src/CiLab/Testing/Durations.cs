using System.Globalization;

namespace CiLab.Testing;

/// <summary>Durations as test output writes them: untrusted numbers, so anything out of range is no duration rather than an exception.</summary>
internal static class Durations
{
    // A year: far beyond any real test, far inside TimeSpan's range.
    private const double MaxSeconds = 365 * 24 * 3600;

    public static TimeSpan? FromSeconds(double? seconds) =>
        seconds is { } s && double.IsFinite(s) && s is >= 0 and <= MaxSeconds ? TimeSpan.FromSeconds(s) : null;

    public static TimeSpan? ParseSeconds(string? text) =>
        double.TryParse(text?.Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? FromSeconds(s) : null;
}
