using System.Globalization;
using System.Text;
using CiLab.Testing;

namespace CiLab.Reporting;

/// <summary>
/// A timeline as a Mermaid <c>gantt</c> chart (GitHub renders it in Markdown and job summaries): a section per VM,
/// a bar per span, times in minutes:seconds from the first span, failed bars marked <c>crit</c>.
/// </summary>
public static class MermaidGantt
{
    /// <summary>The most bars drawn; the rest are counted in the chart's title.</summary>
    public const int MaxBars = 150;

    /// <summary>The chart in a <c>```mermaid</c> fence, or an empty string for an empty timeline.</summary>
    public static string Render(IReadOnlyList<TimelineSpan> timeline)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        if (timeline.Count == 0)
        {
            return string.Empty;
        }

        var origin = timeline.Min(s => s.Start);
        var shown = timeline.OrderBy(s => s.Start).Take(MaxBars).ToList();
        var text = new StringBuilder();
        text.AppendLine("```mermaid");
        text.AppendLine("gantt");
        text.AppendLine(timeline.Count > MaxBars ? $"    title Timeline (first {MaxBars} of {timeline.Count} bars)" : "    title Timeline");
        // Milliseconds from the first span: the axis shows elapsed time, whatever the reader's time zone (%M:%S).
        text.AppendLine("    dateFormat x");
        text.AppendLine(timeline.Max(s => s.End) - origin < TimeSpan.FromHours(1) ? "    axisFormat %M:%S" : "    axisFormat %H:%M");
        var bar = 0;
        foreach (var lane in shown.GroupBy(s => s.Lane, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    section {Label(lane.Key)}");
            foreach (var span in lane)
            {
                var start = (long)(span.Start - origin).TotalMilliseconds;
                // A zero-length bar is invisible; give it a millisecond so a skipped step still shows.
                var end = start + Math.Max(1, (long)span.Duration.TotalMilliseconds);
                var tag = span.Outcome is TestOutcome.Failed or TestOutcome.Errored ? "crit, " : span.Outcome is null ? "active, " : "done, ";
                text.AppendLine(CultureInfo.InvariantCulture, $"    {Label(span.Name)} ({Timeline.Format(span.Duration)}) :{tag}b{bar++}, {start}, {end}");
            }
        }

        text.AppendLine("```");
        return text.ToString();
    }

    // Mermaid reads ':' as the end of a bar's name and '#'/';' as comments and separators; names come from lab files and steps.
    private static string Label(string text)
    {
        var clean = new string([.. text.Select(c => c is ':' or ';' or '#' or '%' || char.IsControl(c) ? ' ' : c)]).Trim();
        clean = clean.Length > 60 ? clean[..60] + "…" : clean;
        return clean.Length == 0 ? "-" : clean;
    }
}
