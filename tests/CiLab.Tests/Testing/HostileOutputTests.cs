using System.Text;
using CiLab.Testing;

namespace CiLab.Tests.Testing;

/// <summary>Test output is untrusted input: whatever it holds, a failure never reads as a pass and nothing throws.</summary>
public sealed class HostileOutputTests
{
    [Fact]
    public void A_failure_right_after_system_out_is_a_failure()
    {
        var report = Junit("""<testsuite name="s"><testcase classname="c" name="t"><system-out>log</system-out><failure message="x">boom</failure></testcase></testsuite>""");
        var test = Assert.Single(report.Cases);
        Assert.Equal(TestOutcome.Failed, test.Outcome);
        Assert.Equal("x", test.Message);
        Assert.Contains("log", test.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<system-err>e</system-err><error message='crash'/>", TestOutcome.Errored)]
    [InlineData("<failure message='f'/><skipped/>", TestOutcome.Failed)]
    [InlineData("<skipped/><error message='e'/>", TestOutcome.Errored)]
    [InlineData("<properties><property name='a' value='b'/></properties><failure message='f'/>", TestOutcome.Failed)]
    [InlineData("<system-out><b>nested</b> text</system-out><failure>no message attribute</failure>", TestOutcome.Failed)]
    public void The_worst_outcome_in_a_case_wins_wherever_it_stands(string body, TestOutcome expected)
    {
        var report = Junit($"""<testsuite name="s"><testcase name="t">{body}</testcase><testcase name="after"/></testsuite>""");
        Assert.Equal(expected, report.Cases.First().Outcome);
        Assert.Equal(TestOutcome.Passed, report.Cases.Last().Outcome);
        Assert.Equal(2, report.Cases.Count());
    }

    [Fact]
    public void A_suite_that_declares_failures_it_does_not_contain_is_an_error()
    {
        var report = Junit("""<testsuite name="s" tests="2" failures="1"><testcase name="a"/></testsuite>""");
        Assert.False(report.IsSuccess);
        Assert.Contains("declares 1 failures", report.Cases.Single(c => c.Outcome == TestOutcome.Errored).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dtd_is_refused()
    {
        var e = Assert.Throws<InvalidDataException>(() => Junit("""<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuite name="s"><testcase name="&x;"/></testsuite>"""));
        Assert.Contains("DTD", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_times_and_lines_are_no_duration_and_no_line()
    {
        var report = Junit("""<testsuite name="s" time="1e400"><testcase name="t" time="99999999999999999999999" line="99999999999999999999"><failure/></testcase></testsuite>""");
        var test = Assert.Single(report.Cases);
        Assert.Equal((TimeSpan.Zero, (int?)null, TestOutcome.Failed), (test.Duration, test.Line, test.Outcome));
    }

    [Fact]
    public void A_case_output_of_many_megabytes_is_kept_bounded_with_its_end()
    {
        var big = new string('x', 5_000_000) + "THE END";
        var report = Junit($"""<testsuite name="s"><testcase name="t"><system-out>{big}</system-out><failure message="f"/></testcase></testsuite>""");
        var test = Assert.Single(report.Cases);
        Assert.True(test.Output.Length < 100_000, $"{test.Output.Length} characters kept");
        Assert.EndsWith("THE END", test.Output.TrimEnd(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Action":"run","Package":"p","Test":"T"}""", """{"Action":"output","Package":"p","Test":"T","Output":1}""", """{"Action":"fail","Package":"p","Test":"T","Elapsed":"x"}""")]
    [InlineData("""{"Action":"run","Package":"p","Test":"T"}""", """{"Action":"fail","Package":"p","Test":["T"],"Elapsed":1}""", """{"Action":"pass","Package":"p","Elapsed":1}""")]
    [InlineData("""{"Action":"run","Package":"p","Test":"T"}""", """{"Action":"pass","Package":"p","Test":"T","Elapsed":1e400}""", """{"Action":"fail","Package":"p","Elapsed":-1}""")]
    public void Go_json_with_values_of_the_wrong_type_never_throws_and_never_passes(params string[] lines)
    {
        var parser = TestOutputParser.Create(TestOutputFormat.GoTestJson, "s");
        foreach (var line in lines)
        {
            parser.ReadLine(line);
        }

        var report = parser.Complete();
        Assert.False(report.IsSuccess, string.Join("\n", report.Cases.Select(c => $"{c.Name}: {c.Outcome}")));
    }

    [Fact]
    public void Many_failing_tests_with_big_outputs_keep_every_outcome_and_only_a_budget_of_output()
    {
        var parser = new GoTestJsonParser(new OutputBudget(1_000_000));
        var chunk = new string('x', 1000);
        for (var t = 0; t < 100; t++)
        {
            parser.ReadLine($$"""{"Action":"run","Package":"p","Test":"T{{t}}"}""");
            for (var i = 0; i < 60; i++)
            {
                parser.ReadLine($$"""{"Action":"output","Package":"p","Test":"T{{t}}","Output":"{{chunk}}\n"}""");
            }

            parser.ReadLine($$"""{"Action":"fail","Package":"p","Test":"T{{t}}","Elapsed":0.1}""");
        }

        parser.ReadLine("""{"Action":"fail","Package":"p","Elapsed":1}""");
        var report = parser.Complete();
        Assert.Equal(100, report.Failed);
        Assert.True(report.Cases.Sum(c => c.Output.Length) < 1_100_000, $"{report.Cases.Sum(c => c.Output.Length)} characters kept");
        Assert.Contains("not kept: the suite's output went past", report.Cases.Last().Output, StringComparison.Ordinal);
        Assert.StartsWith("xxx", report.Cases.First().Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_go_json_display_shows_a_wrongly_typed_output_event_as_it_came()
    {
        Assert.Equal("""{"Action":"output","Output":1}""", GoTestOutput.Display("""{"Action":"output","Output":1}"""));
    }

    [Fact]
    public void A_tap_plan_beyond_any_count_is_an_error_case()
    {
        var report = Parse(TestOutputFormat.Tap, "1..99999999999999999999", "ok 1 - fine");
        Assert.False(report.IsSuccess);
        Assert.Contains(report.Cases, c => c.Outcome == TestOutcome.Errored && c.Message!.Contains("plan", StringComparison.Ordinal));
    }

    [Fact]
    public void Tap_subtests_nested_past_any_sense_stop_nesting_instead_of_exhausting_the_stack()
    {
        var report = Parse(TestOutputFormat.Tap, "1..1", new string(' ', 400_000) + "not ok 1 - deep", "not ok 1 - top");
        Assert.False(report.IsSuccess);
        Assert.Contains(report.Cases, c => c.Name.EndsWith("top", StringComparison.Ordinal) && c.Outcome == TestOutcome.Failed);
    }

    [Fact]
    public void Tap_yaml_and_go_locations_with_huge_line_numbers_are_read_without_a_line()
    {
        var tap = Parse(TestOutputFormat.Tap, "1..1", "not ok 1 - broken", "  ---", "  file: t.sh", "  line: 99999999999999999999", "  ...");
        Assert.Equal((TestOutcome.Failed, (int?)null), (tap.Cases.Single().Outcome, tap.Cases.Single().Line));
        var go = Parse(TestOutputFormat.GoTestText, "=== RUN   TestX", "    x_test.go:99999999999999999999: bad", "--- FAIL: TestX (99999999999999999999999999999999999.00s)", "FAIL", "FAIL\tp\t0.1s");
        Assert.Equal(TestOutcome.Failed, go.Cases.Single(c => c.Name == "TestX").Outcome);
        Assert.Equal(TimeSpan.Zero, go.Cases.Single(c => c.Name == "TestX").Duration);
    }

    private static TestReport Junit(string xml) => JUnitReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(xml)), "hostile.xml");

    private static TestReport Parse(TestOutputFormat format, params string[] lines)
    {
        var parser = TestOutputParser.Create(format, "s");
        foreach (var line in lines)
        {
            parser.ReadLine(line);
        }

        return parser.Complete();
    }
}
