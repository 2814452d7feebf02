using System.Globalization;
using System.Text.Json;
using CiLab.Testing;

namespace CiLab.Reporting;

/// <summary>
/// A run's timeline travels inside its JUnit file, as a suite property, so that a report merged from several CI jobs
/// can still draw when each VM did what. The property is data, never trusted: a malformed one reads as no timeline.
/// </summary>
public static class Timeline
{
    /// <summary>The JUnit property that carries the spans.</summary>
    public const string PropertyName = "cilab.timeline";

    private const int MaxSpans = 5000;
    private const int MaxText = 200;

    /// <summary><paramref name="report"/> with <paramref name="spans"/> recorded on its first suite.</summary>
    public static TestReport Attach(TestReport report, IEnumerable<TimelineSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(spans);
        if (report.Suites.Count == 0)
        {
            return report;
        }

        var json = JsonSerializer.Serialize(spans.Take(MaxSpans).Select(s => new Entry(s.Lane, s.Name, s.Start.ToUnixTimeMilliseconds(), (long)s.Duration.TotalMilliseconds, s.Outcome?.ToString().ToLowerInvariant())));
        var first = report.Suites[0];
        var properties = new Dictionary<string, string>(first.Properties) { [PropertyName] = json };
        return new TestReport([first with { Properties = properties }, .. report.Suites.Skip(1)]);
    }

    /// <summary>Every span recorded in <paramref name="report"/>'s suites, once each, in order of start.</summary>
    public static IReadOnlyList<TimelineSpan> Of(TestReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return [.. report.Suites.SelectMany(s => Read(s.Properties.GetValueOrDefault(PropertyName))).Distinct().OrderBy(s => s.Start).ThenBy(s => s.Lane, StringComparer.Ordinal)];
    }

    private static IEnumerable<TimelineSpan> Read(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        try
        {
            var entries = JsonSerializer.Deserialize<Entry[]>(json) ?? [];
            return entries.Take(MaxSpans).Where(e => e.Lane is not null && e.Name is not null && e.Ms >= 0).Select(e => new TimelineSpan(
                Clip(e.Lane!), Clip(e.Name!), DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(e.Start, 0, 253402300799999)), TimeSpan.FromMilliseconds(Math.Min(e.Ms, (long)TimeSpan.FromDays(7).TotalMilliseconds)),
                Enum.TryParse<TestOutcome>(e.Outcome, ignoreCase: true, out var outcome) ? outcome : null)).ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string Clip(string text) => text.Length <= MaxText ? text : text[..MaxText];

    private sealed record Entry(
        [property: System.Text.Json.Serialization.JsonPropertyName("lane")] string? Lane,
        [property: System.Text.Json.Serialization.JsonPropertyName("name")] string? Name,
        [property: System.Text.Json.Serialization.JsonPropertyName("start")] long Start,
        [property: System.Text.Json.Serialization.JsonPropertyName("ms")] long Ms,
        [property: System.Text.Json.Serialization.JsonPropertyName("outcome")] string? Outcome);

    /// <summary>A duration as people read it: 850 ms, 12.3 s, 4 m 05 s.</summary>
    public static string Format(TimeSpan duration) => duration.TotalSeconds switch
    {
        < 1 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0} ms"),
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.0} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalMinutes} m {duration.Seconds:00} s"),
    };
}
