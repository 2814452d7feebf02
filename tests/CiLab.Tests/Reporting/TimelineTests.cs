using CiLab.Reporting;
using CiLab.Testing;

namespace CiLab.Tests.Reporting;

public sealed class TimelineTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 4, 0, 0, TimeSpan.Zero);

    private static TestReport Report(string name, TestOutcome outcome) =>
        new([new TestSuiteResult { Name = name, Cases = [new TestCaseResult { ClassName = name, Name = "t", Outcome = outcome }] }]);

    [Fact]
    public void A_timeline_survives_the_junit_file_and_merged_reports_keep_each_span_once()
    {
        TimelineSpan[] spans =
        [
            new("phase4", "restore", Start, TimeSpan.FromSeconds(1.3)),
            new("phase4", "sync", Start.AddSeconds(1.3), TimeSpan.FromMilliseconds(900)),
            new("phase4", "unit", Start.AddSeconds(2.2), TimeSpan.FromSeconds(14), TestOutcome.Failed),
        ];
        var first = Timeline.Attach(Report("unit", TestOutcome.Failed), spans);
        var second = Timeline.Attach(Report("e2e", TestOutcome.Passed), [spans[0], new("phase4", "e2e", Start.AddSeconds(17), TimeSpan.FromSeconds(3), TestOutcome.Passed)]);
        using var stream = new MemoryStream();
        JUnitWriter.Write(first, stream);
        stream.Position = 0;

        var read = Timeline.Of(JUnitReader.Read(stream, "memory"));
        var merged = Timeline.Of(first.Merge(second));

        Assert.Equal(spans, read);
        Assert.Equal(["restore", "sync", "unit", "e2e"], merged.Select(s => s.Name));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"lane\":\"a\"}")]
    [InlineData("[{\"lane\":null,\"name\":\"x\",\"start\":0,\"ms\":5}]")]
    [InlineData("[{\"lane\":\"a\",\"name\":\"x\",\"start\":0,\"ms\":-5}]")]
    public void A_malformed_timeline_property_reads_as_no_timeline_and_changes_no_outcome(string value)
    {
        var suite = new TestSuiteResult
        {
            Name = "s",
            Cases = [new TestCaseResult { ClassName = "s", Name = "t", Outcome = TestOutcome.Failed }],
            Properties = new Dictionary<string, string> { [Timeline.PropertyName] = value },
        };
        var report = new TestReport([suite]);

        Assert.Empty(Timeline.Of(report));
        Assert.False(report.IsSuccess);
    }

    [Fact]
    public void The_gantt_chart_has_a_section_per_vm_and_no_character_that_ends_a_mermaid_label()
    {
        var chart = MermaidGantt.Render(
        [
            new("sorrow", "restore clean", Start, TimeSpan.FromSeconds(2)),
            new("torment", "boot failure: falls back; #1", Start.AddSeconds(1), TimeSpan.FromSeconds(90), TestOutcome.Errored),
            new("sorrow", "skipped step", Start.AddSeconds(2), TimeSpan.Zero, TestOutcome.Skipped),
        ]).ReplaceLineEndings("\n");

        Assert.StartsWith("```mermaid\ngantt\n", chart, StringComparison.Ordinal);
        Assert.Contains("    section sorrow\n    restore clean (2.0 s) :active, b0, 0, 2000\n    skipped step (0 ms) :done, b1, 2000, 2001\n", chart, StringComparison.Ordinal);
        Assert.Contains("    section torment\n    boot failure  falls back   1 (1 m 30 s) :crit, b2, 1000, 91000\n", chart, StringComparison.Ordinal);
        Assert.EndsWith("```\n", chart, StringComparison.Ordinal);
        Assert.Equal(string.Empty, MermaidGantt.Render([]));
    }
}
