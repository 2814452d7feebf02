using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using CiLab.Testing;

namespace CiLab.Reporting;

/// <summary>
/// One self-contained HTML page for a run's reports: failures first (message, file:line, output), the timeline per VM,
/// a step × VM grid for scenarios, every case, and a filter by outcome. No network and no external files; a content
/// security policy admits only the page's own style and script, so nothing from test output can run.
/// </summary>
public static class HtmlReport
{
    /// <summary>The most output lines shown per failure (the end is kept).</summary>
    public const int OutputLines = 200;

    private const int Width = 1000;
    private const int LabelWidth = 150;
    private const int LaneHeight = 34;
    private static readonly string Css = Resource("report.css");
    private static readonly string Script = Resource("report.js");

    /// <summary>Writes the page for <paramref name="reports"/> (name → report) to <paramref name="path"/>, replacing it whole.</summary>
    public static void WriteFile(string path, string title, IReadOnlyList<KeyValuePair<string, TestReport>> reports)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Host.AtomicFile.WriteAllText(path, Render(title, reports));
    }

    /// <summary>The page for <paramref name="reports"/> (name → report), titled <paramref name="title"/>.</summary>
    public static string Render(string title, IReadOnlyList<KeyValuePair<string, TestReport>> reports)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(reports);
        var all = new TestReport([.. reports.SelectMany(r => r.Value.Suites)]);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src '{Hash(Css)}'; script-src '{Hash(Script)}'">
            <title>{E(title)}: {all}</title>
            <style>{Css}</style>
            </head>
            <body>
            <header><h1 id="title">{E(title)}</h1><p id="totals" class="{(all.IsSuccess ? "passed" : "failed")}">{all}</p></header>
            <nav id="filters" aria-label="Show cases">
            <button type="button" data-filter="all">All ({all.Cases.Count()})</button>
            <button type="button" data-filter="failed">Failed ({all.Failed + all.Errored})</button>
            <button type="button" data-filter="passed">Passed ({all.Passed})</button>
            <button type="button" data-filter="skipped">Skipped ({all.Skipped})</button>
            </nav>

            """);
        WriteFailures(html, reports);
        WriteTimeline(html, [.. reports.SelectMany(r => Timeline.Of(r.Value)).Distinct().OrderBy(s => s.Start)]);
        WriteScenarios(html, all);
        WriteCases(html, reports);
        html.Append(CultureInfo.InvariantCulture, $"<script>{Script}</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void WriteFailures(StringBuilder html, IReadOnlyList<KeyValuePair<string, TestReport>> reports)
    {
        html.Append("<section id=\"failures\"><h2>Failures</h2>\n");
        var any = false;
        foreach (var (name, report) in reports)
        {
            foreach (var failure in report.Cases.Where(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored))
            {
                any = true;
                html.Append(CultureInfo.InvariantCulture, $"<article class=\"failure {Class(failure.Outcome)}\" data-outcome=\"{Token(failure.Outcome)}\">");
                html.Append(CultureInfo.InvariantCulture, $"<h3>{E(name)} › {E(failure.ClassName)} › {E(failure.Name)} <span class=\"outcome\">{Class(failure.Outcome)}</span></h3>");
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"message\">{E(failure.Message ?? failure.Outcome.ToString())}</p>");
                if (failure.File is not null)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<p class=\"where\">{E(failure.File)}{(failure.Line is { } line ? ":" + line.ToString(CultureInfo.InvariantCulture) : string.Empty)}</p>");
                }

                if (failure.Output.Length > 0)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<pre class=\"output\">{E(Tail(failure.Output))}</pre>");
                }

                html.Append("</article>\n");
            }
        }

        if (!any)
        {
            html.Append("<p class=\"empty\">No failures.</p>\n");
        }

        html.Append("</section>\n");
    }

    private static void WriteTimeline(StringBuilder html, IReadOnlyList<TimelineSpan> timeline)
    {
        html.Append("<section id=\"timeline-section\"><h2>Timeline</h2>\n");
        if (timeline.Count == 0)
        {
            html.Append("<p class=\"empty\">No timeline was recorded.</p></section>\n");
            return;
        }

        var origin = timeline[0].Start;
        var total = Math.Max(1, (timeline.Max(s => s.End) - origin).TotalSeconds);
        var lanes = timeline.Select(s => s.Lane).Distinct(StringComparer.Ordinal).ToList();
        var height = 24 + (lanes.Count * LaneHeight);
        double X(DateTimeOffset t) => LabelWidth + ((Width - LabelWidth - 10) * (t - origin).TotalSeconds / total);

        html.Append(CultureInfo.InvariantCulture, $"<svg id=\"timeline\" class=\"timeline\" viewBox=\"0 0 {Width} {height}\" role=\"img\" aria-label=\"Timeline per VM\">\n");
        var tick = new[] { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200 }.First(t => total / t <= 10);
        for (var t = 0; t <= total; t += tick)
        {
            var x = X(origin.AddSeconds(t));
            html.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{x:0.#}\" x2=\"{x:0.#}\" y1=\"14\" y2=\"{height}\"/><text class=\"axis\" x=\"{x:0.#}\" y=\"11\" text-anchor=\"middle\">{t / 60}:{t % 60:00}</text>\n");
        }

        for (var i = 0; i < lanes.Count; i++)
        {
            var y = 20 + (i * LaneHeight);
            html.Append(CultureInfo.InvariantCulture, $"<text class=\"lane\" x=\"0\" y=\"{y + 16}\">{E(Clip(lanes[i], 20))}</text>\n");
            foreach (var span in timeline.Where(s => s.Lane == lanes[i]))
            {
                // Suites and steps on the upper row, the machine work within them (restores, reboots) on the lower.
                var (top, barHeight, css) = span.Outcome is { } outcome ? (y + 2, 16, Class(outcome)) : (y + 20, 10, "work");
                var x = X(span.Start);
                var width = Math.Max(1.5, X(span.End) - x);
                var label = $"{span.Name} ({Timeline.Format(span.Duration)}){(span.Outcome is { } o ? ": " + Class(o) : string.Empty)}";
                html.Append(CultureInfo.InvariantCulture, $"<rect class=\"span {css}\" data-lane=\"{E(span.Lane)}\" data-name=\"{E(span.Name)}\" x=\"{x:0.##}\" y=\"{top}\" width=\"{width:0.##}\" height=\"{barHeight}\"><title>{E(label)}</title></rect>");
                if (span.Outcome is not null && width > 70)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 3:0.##}\" y=\"{top + 12}\" class=\"bar-label\">{E(Clip(span.Name, (int)(width / 7)))}</text>");
                }

                html.Append('\n');
            }
        }

        html.Append("</svg>\n<p class=\"legend\"><span>■ passed / failed / skipped: suites and steps</span><span>▬ grey: restores, reboots, syncs</span></p></section>\n");
    }

    private static void WriteScenarios(StringBuilder html, TestReport all)
    {
        foreach (var scenario in all.Suites.Where(s => s.Properties.ContainsKey("scenario")).GroupBy(s => s.Properties["scenario"], StringComparer.Ordinal))
        {
            var vms = scenario.ToList();
            var steps = vms.SelectMany(v => v.Cases.Select(c => c.Name)).Distinct(StringComparer.Ordinal).ToList();
            html.Append(CultureInfo.InvariantCulture, $"<section class=\"scenario\"><h2>Scenario {E(scenario.Key)}: steps × VMs</h2>\n<table class=\"matrix\"><thead><tr><th>Step</th>");
            foreach (var vm in vms)
            {
                html.Append(CultureInfo.InvariantCulture, $"<th>{E(vm.Properties.GetValueOrDefault("vm") ?? vm.Name)}</th>");
            }

            html.Append("</tr></thead><tbody>\n");
            foreach (var step in steps)
            {
                var cells = vms.Select(v => v.Cases.FirstOrDefault(c => c.Name == step)).ToList();
                var tokens = string.Join(' ', cells.Where(c => c is not null).SelectMany(c => Token(c!.Outcome).Split(' ')).Distinct());
                html.Append(CultureInfo.InvariantCulture, $"<tr data-outcome=\"{tokens}\"><td>{E(step)}</td>");
                foreach (var cell in cells)
                {
                    html.Append(cell is null
                        ? "<td class=\"missing\">not run</td>"
                        : string.Create(CultureInfo.InvariantCulture, $"<td class=\"{Class(cell.Outcome)}\" title=\"{E(cell.Message ?? string.Empty)}\">{Class(cell.Outcome)} ({Timeline.Format(cell.Duration)})</td>"));
                }

                html.Append("</tr>\n");
            }

            html.Append("</tbody></table></section>\n");
        }
    }

    private static void WriteCases(StringBuilder html, IReadOnlyList<KeyValuePair<string, TestReport>> reports)
    {
        html.Append("<section id=\"cases-section\"><h2>Cases</h2>\n<table id=\"cases\"><thead><tr><th>Report</th><th>Group</th><th>Case</th><th>Outcome</th><th class=\"num\">Time</th></tr></thead><tbody>\n");
        foreach (var (name, report) in reports)
        {
            foreach (var suite in report.Suites)
            {
                foreach (var c in suite.Cases)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<tr class=\"{Class(c.Outcome)}\" data-outcome=\"{Token(c.Outcome)}\"><td>{E(name)}</td><td>{E(c.ClassName)}</td><td>{E(c.Name)}</td><td class=\"outcome\">{Class(c.Outcome)}</td><td class=\"num\">{Timeline.Format(c.Duration)}</td></tr>\n");
                }
            }
        }

        html.Append("</tbody></table></section>\n");
    }

    private static string Class(TestOutcome outcome) => outcome.ToString().ToLowerInvariant();

    // What a filter button matches: an error is a kind of failure.
    private static string Token(TestOutcome outcome) => outcome == TestOutcome.Errored ? "failed errored" : Class(outcome);

    private static string E(string text) => System.Net.WebUtility.HtmlEncode(text);

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..Math.Max(1, length - 1)] + "…";

    private static string Tail(string output)
    {
        var lines = output.TrimEnd('\n').Split('\n');
        return lines.Length <= OutputLines ? string.Join('\n', lines) : $"… {lines.Length - OutputLines} earlier lines\n" + string.Join('\n', lines[^OutputLines..]);
    }

    private static string Hash(string content) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CiLab.Reporting." + name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
