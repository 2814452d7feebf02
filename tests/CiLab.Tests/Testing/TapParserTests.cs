using CiLab.Testing;

namespace CiLab.Tests.Testing;

public sealed class TapParserTests
{
    [Fact]
    public void Test_More_output_gives_passes_failures_skips_todos_and_subtests()
    {
        var report = Fixture.Parse(TestOutputFormat.Tap, "perl-more.tap");
        Assert.Equal(TestOutcome.Passed, report.Case("first passes").Outcome);
        var wrong = report.Case("arithmetic is wrong");
        Assert.Equal(TestOutcome.Failed, wrong.Outcome);
        Assert.Equal("sources/tap/more.t", wrong.File);
        Assert.Equal(8, wrong.Line);
        Assert.Contains("expected: '5'", wrong.Output, StringComparison.Ordinal);
        Assert.Equal("Failed test 'arithmetic is wrong'", wrong.Message);
        Assert.Equal(TestOutcome.Skipped, report.Case("test 3").Outcome);
        Assert.Equal("no network here", report.Case("test 3").Message);
        Assert.Equal(TestOutcome.Skipped, report.Case("future feature").Outcome);
        Assert.StartsWith("TODO", report.Case("future feature").Message, StringComparison.Ordinal);
        Assert.Equal(TestOutcome.Passed, report.Case("nested group/inner one").Outcome);
        Assert.Equal(TestOutcome.Failed, report.Case("nested group/inner two").Outcome);
        Assert.DoesNotContain(report.Cases, c => c.Name == "nested group");
        Assert.Equal(7, report.Cases.Count());
    }

    [Fact]
    public void Bats_output_names_the_failing_file_and_line()
    {
        var report = Fixture.Parse(TestOutputFormat.Tap, "bats.tap");
        Assert.Equal(3, report.Cases.Count());
        Assert.Equal(TestOutcome.Passed, report.Case("addition works").Outcome);
        var failing = report.Case("a failing comparison");
        Assert.Equal(TestOutcome.Failed, failing.Outcome);
        Assert.Equal("sources/tap/sample.bats", failing.File);
        Assert.Equal(9, failing.Line);
        Assert.Equal("waiting on the VM", report.Case("skipped for now").Message);
    }

    [Fact]
    public void Bail_out_is_an_error_and_later_lines_are_ignored()
    {
        var report = Fixture.ParseLines(TestOutputFormat.Tap, ["TAP version 13", "1..3", "ok 1 - a", "Bail out! database is down", "ok 2 - b"]);
        Assert.Equal(2, report.Cases.Count());
        Assert.Equal(TestOutcome.Errored, report.Case("Bail out!").Outcome);
        Assert.Equal("Bail out! database is down", report.Case("Bail out!").Message);
    }

    [Fact]
    public void Fewer_tests_than_planned_is_an_error()
    {
        var report = Fixture.ParseLines(TestOutputFormat.Tap, ["1..4", "ok 1 - a", "ok 2 - b"]);
        Assert.Equal("planned 4 tests but only 2 ran", report.Case("(missing tests)").Message);
        Assert.False(report.IsSuccess);
    }

    [Fact]
    public void A_stream_without_a_plan_is_an_error()
    {
        var report = Fixture.ParseLines(TestOutputFormat.Tap, ["ok 1 - a"]);
        Assert.Equal(TestOutcome.Errored, report.Case("(plan)").Outcome);
    }

    [Fact]
    public void Yaml_diagnostics_give_the_message_and_location_and_stay_out_of_the_test_list()
    {
        var report = Fixture.ParseLines(TestOutputFormat.Tap,
        [
            "TAP version 14", "1..2",
            "not ok 1 - compares values",
            "  ---",
            "  message: 'expected 3, got 4'",
            "  severity: fail",
            "  at:",
            "    file: test/math.js",
            "    line: 42",
            "  ...",
            "ok 2 - second",
        ]);
        var failed = report.Case("compares values");
        Assert.Equal("expected 3, got 4", failed.Message);
        Assert.Equal("test/math.js", failed.File);
        Assert.Equal(42, failed.Line);
        Assert.Equal(2, report.Cases.Count());
    }

    [Fact]
    public void Tap14_subtests_with_an_indented_header_are_named_after_their_parent()
    {
        var report = Fixture.ParseLines(TestOutputFormat.Tap,
        [
            "TAP version 14",
            "    # Subtest: mounts",
            "    1..2",
            "    ok 1 - tmpfs",
            "    ok 2 - bind",
            "ok 1 - mounts",
            "1..1",
        ]);
        Assert.Equal(["mounts/tmpfs", "mounts/bind"], report.Cases.Select(c => c.Name));
        Assert.True(report.IsSuccess);
    }

    [Fact]
    public void A_plan_of_zero_with_skip_is_one_skipped_case()
    {
        var report = Fixture.ParseLines(TestOutputFormat.Tap, ["1..0 # SKIP no root here"]);
        var skipped = Assert.Single(report.Cases);
        Assert.Equal(TestOutcome.Skipped, skipped.Outcome);
        Assert.Equal("no root here", skipped.Message);
    }
}
