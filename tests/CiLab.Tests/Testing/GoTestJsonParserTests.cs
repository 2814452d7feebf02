using System.Text.Json;
using CiLab.Testing;

namespace CiLab.Tests.Testing;

public sealed class GoTestJsonParserTests
{
    [Fact]
    public void Real_output_of_Go_standard_library_tests_is_all_passed_cases_in_one_suite_per_package()
    {
        var report = Fixture.Parse(TestOutputFormat.GoTestJson, "go-stdlib.json");
        var suite = Assert.Single(report.Suites);
        Assert.Equal("strings", suite.Name);
        Assert.True(suite.Cases.Count >= 3);
        Assert.All(suite.Cases, c => Assert.Equal(TestOutcome.Passed, c.Outcome));
        Assert.Contains(suite.Cases, c => c.Name == "TestCompare");
        Assert.True(suite.Duration > TimeSpan.Zero);
    }

    [Fact]
    public void Failures_carry_the_message_file_and_line_of_the_failing_call()
    {
        var report = Fixture.Parse(TestOutputFormat.GoTestJson, "go-mixed.json");
        var fails = report.Case("TestFails");
        Assert.Equal(TestOutcome.Failed, fails.Outcome);
        Assert.Equal("1+1 = 2, want 3", fails.Message);
        Assert.Equal("mixed_test.go", fails.File);
        Assert.Equal(10, fails.Line);
        Assert.Contains("about to compare", fails.Output, StringComparison.Ordinal);
        Assert.Equal("example.com/fixtures/mixed", fails.ClassName);
    }

    [Fact]
    public void Skips_and_subtests_are_their_own_cases()
    {
        var report = Fixture.Parse(TestOutputFormat.GoTestJson, "go-mixed.json");
        Assert.Equal(TestOutcome.Skipped, report.Case("TestSkips").Outcome);
        Assert.Equal("needs a real disk", report.Case("TestSkips").Message);
        Assert.Equal(TestOutcome.Passed, report.Case("TestTable/good").Outcome);
        Assert.Equal(TestOutcome.Failed, report.Case("TestTable/bad").Outcome);
        Assert.Equal("bad case broke", report.Case("TestTable/bad").Message);
        Assert.Equal(TestOutcome.Failed, report.Case("TestTable").Outcome);
        Assert.Equal(TestOutcome.Passed, report.Case("TestPasses").Outcome);
    }

    [Fact]
    public void A_panic_fails_the_running_test_with_the_panic_as_message()
    {
        var report = Fixture.Parse(TestOutputFormat.GoTestJson, "go-mixed.json");
        var panics = report.Case("TestPanics");
        Assert.Equal(TestOutcome.Failed, panics.Outcome);
        Assert.StartsWith("panic: assignment to entry in nil map", panics.Message, StringComparison.Ordinal);
        Assert.Contains("goroutine", panics.Output, StringComparison.Ordinal);
        Assert.Equal(TestOutcome.Passed, report.Case("TestBefore").Outcome);
    }

    [Fact]
    public void A_package_that_does_not_build_is_an_error_carrying_the_compiler_output()
    {
        var report = Fixture.Parse(TestOutputFormat.GoTestJson, "go-mixed.json");
        var suite = report.Suites.Single(s => s.Name == "example.com/fixtures/broken");
        var error = Assert.Single(suite.Cases);
        Assert.Equal(TestOutcome.Errored, error.Outcome);
        Assert.StartsWith("the package did not build", error.Message, StringComparison.Ordinal);
        Assert.Contains("undefined: undefinedFunction", error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_timeout_makes_the_test_that_was_running_an_error()
    {
        var report = Fixture.Parse(TestOutputFormat.GoTestJson, "go-timeout.json");
        Assert.Equal(TestOutcome.Passed, report.Case("TestQuick").Outcome);
        var hangs = report.Case("TestHangs");
        Assert.Equal(TestOutcome.Errored, hangs.Outcome);
        Assert.Contains("timed out", hangs.Message, StringComparison.Ordinal);
        Assert.Contains("panic: test timed out", hangs.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stream_cut_mid_test_and_mid_line_reports_the_running_test_as_an_error()
    {
        var lines = File.ReadLines(Fixture.PathOf("go-mixed.json")).ToList();
        var cut = lines.FindIndex(l => l.Contains("\"Test\":\"TestFails\"", StringComparison.Ordinal) && l.Contains("\"output\"", StringComparison.Ordinal));
        var truncated = lines.Take(cut + 1).Append(lines[cut + 1][..20]);

        var report = Fixture.ParseLines(TestOutputFormat.GoTestJson, truncated);
        var fails = report.Case("TestFails");
        Assert.Equal(TestOutcome.Errored, fails.Outcome);
        Assert.Contains("output ended", fails.Message, StringComparison.Ordinal);
        Assert.Equal(TestOutcome.Passed, report.Case("TestPasses").Outcome);
    }

    [Fact]
    public void Ten_megabytes_of_output_from_one_test_are_bounded_to_their_end()
    {
        var lines = new List<string> { Event("run", "TestNoisy") };
        var chunk = new string('x', 100);
        for (var i = 0; i < 100_000; i++)
        {
            lines.Add(Event("output", "TestNoisy", $"{i} {chunk}\n"));
        }

        lines.Add(Event("output", "TestNoisy", "    noisy_test.go:9: the real failure\n"));
        lines.Add(Event("fail", "TestNoisy"));
        var report = Fixture.ParseLines(TestOutputFormat.GoTestJson, lines);
        var noisy = report.Case("TestNoisy");
        Assert.Equal(TestOutcome.Failed, noisy.Outcome);
        Assert.True(noisy.Output.Length < 70 * 1024, $"output kept {noisy.Output.Length} characters");
        Assert.Contains("the real failure", noisy.Output, StringComparison.Ordinal);
        Assert.Contains("earlier characters trimmed", noisy.Output, StringComparison.Ordinal);
        Assert.Equal("the real failure", noisy.Message);
    }

    [Fact]
    public void Output_that_is_not_go_test_json_at_all_becomes_an_error_not_an_empty_pass()
    {
        var report = Fixture.ParseLines(TestOutputFormat.GoTestJson, ["go: cannot find main module, but found .git/config", "\tto create a module there, run: go mod init"]);
        var error = Assert.Single(report.Cases);
        Assert.Equal(TestOutcome.Errored, error.Outcome);
        Assert.Contains("cannot find main module", error.Output, StringComparison.Ordinal);
        Assert.False(report.IsSuccess);
    }

    private static string Event(string action, string test, string? output = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?> { ["Action"] = action, ["Package"] = "example.com/noisy", ["Test"] = test, ["Output"] = output });
}
