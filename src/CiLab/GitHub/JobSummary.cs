using System.Globalization;
using System.Text;
using CiLab.Reporting;
using CiLab.Testing;

namespace CiLab.GitHub;

/// <summary>The Markdown job summary: failures first with output excerpts, counts per suite, and the timeline as a Mermaid chart.</summary>
public static class JobSummary
{
    private const int MaxFailuresShown = 20;
    private const int ExcerptLines = 30;

    /// <summary>Renders the summary of <paramref name="report"/> under the heading <paramref name="title"/>.</summary>
    public static string Render(string title, TestReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        var mark = report.IsSuccess ? "✅" : "❌";
        text.AppendLine(CultureInfo.InvariantCulture, $"## {mark} {Cell(title)}: {report}");
        var failures = report.Cases.Where(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored).ToList();
        if (failures.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("### Failures");
            foreach (var failure in failures.Take(MaxFailuresShown))
            {
                var where = failure.File is null ? string.Empty : $" ({failure.File}{(failure.Line is { } l ? ":" + l.ToString(CultureInfo.InvariantCulture) : string.Empty)})";
                text.AppendLine(CultureInfo.InvariantCulture, $"<details><summary><code>{Html(failure.ClassName)} › {Html(failure.Name)}</code>: {Html(failure.Message ?? failure.Outcome.ToString())}{Html(where)}</summary>");
                text.AppendLine();
                text.AppendLine("```");
                text.AppendLine(Excerpt(failure.Output).Replace("```", "`‎``", StringComparison.Ordinal));
                text.AppendLine("```");
                text.AppendLine("</details>");
            }

            if (failures.Count > MaxFailuresShown)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"… and {failures.Count - MaxFailuresShown} more (see the JUnit report).");
            }
        }

        text.AppendLine();
        text.AppendLine("| Suite | Passed | Failed | Errors | Skipped | Time |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var suite in report.Suites)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {Cell(suite.Name)} | {suite.Count(TestOutcome.Passed)} | {suite.Count(TestOutcome.Failed)} | {suite.Count(TestOutcome.Errored)} | {suite.Count(TestOutcome.Skipped)} | {Seconds(suite.EffectiveDuration)} |");
        }

        if (MermaidGantt.Render(Timeline.Of(report)) is { Length: > 0 } chart)
        {
            text.AppendLine();
            text.Append(chart);
        }

        return text.ToString();
    }

    /// <summary>Appends the summary to the file GitHub shows on the run page (<c>$GITHUB_STEP_SUMMARY</c>).</summary>
    public static void AppendTo(string path, string markdown) => File.AppendAllText(path, markdown + Environment.NewLine);

    private static string Excerpt(string output)
    {
        var lines = output.TrimEnd('\n').Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - ExcerptLines)));
    }

    private static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string Html(string text) => System.Net.WebUtility.HtmlEncode(text.Replace("\n", " ", StringComparison.Ordinal));
}
