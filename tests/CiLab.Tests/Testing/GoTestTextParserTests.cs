using CiLab.Testing;

namespace CiLab.Tests.Testing;

public sealed class GoTestTextParserTests
{
    [Fact]
    public void Plain_verbose_output_gives_the_same_cases_as_json()
    {
        var text = Fixture.Parse(TestOutputFormat.GoTestText, "go-mixed.txt");
        var json = Fixture.Parse(TestOutputFormat.GoTestJson, "go-mixed.json");
        Assert.Equal(
            json.Cases.Select(c => (c.ClassName, c.Name, c.Outcome)).Order(),
            text.Cases.Select(c => (c.ClassName, c.Name, c.Outcome)).Order());
    }

    [Fact]
    public void Failure_lines_printed_after_the_result_line_belong_to_that_subtest()
    {
        var report = Fixture.Parse(TestOutputFormat.GoTestText, "go-mixed.txt");
        Assert.Equal("1+1 = 2, want 3", report.Case("TestFails").Message);
        Assert.Equal(10, report.Case("TestFails").Line);
        Assert.Equal(TestOutcome.Failed, report.Case("TestTable/bad").Outcome);
    }

    [Fact]
    public void A_stream_that_ends_before_the_package_line_reports_running_tests_as_errors()
    {
        var report = Fixture.ParseLines(TestOutputFormat.GoTestText, ["=== RUN   TestA", "--- PASS: TestA (0.01s)", "=== RUN   TestB", "    b_test.go:3: working"]);
        Assert.Equal(TestOutcome.Passed, report.Case("TestA").Outcome);
        Assert.Equal(TestOutcome.Errored, report.Case("TestB").Outcome);
        Assert.Equal(TimeSpan.FromSeconds(0.01), report.Case("TestA").Duration);
    }
}
