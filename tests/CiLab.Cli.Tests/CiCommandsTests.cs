using System.Text.Json;
using CiLab.Cli;
using CiLab.Reporting;
using CiLab.Testing;

namespace CiLab.Cli.Tests;

public sealed class CiCommandsTests : IDisposable
{
    private const string Lab = """
        images:
          - name: debian
            recipe: debian
        vms:
          - name: a
            image: debian
          - name: b
            image: debian
        default-suites: [unit]
        suites:
          - name: build
            vm: a
            run: make
          - name: e2e
            vm: a
            run: make e2e
            needs: [build]
          - name: unit
            vm: b
            run: make check
          - name: phase4
            vm: a
            run: make phase4
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-ci-").FullName;
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    [Fact]
    public async Task The_matrix_is_an_include_list_of_suite_and_vm_with_a_job_per_suite_and_needs_run_inside_their_dependents()
    {
        var code = await Run("ci", "matrix", "--lab", LabFile(), "--suite", "all");

        Assert.Equal(0, code);
        using var matrix = JsonDocument.Parse(_output.ToString());
        // What strategy.matrix accepts: an object whose include is a non-empty array of objects of strings.
        var include = matrix.RootElement.GetProperty("include");
        Assert.Equal(["include"], matrix.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            [("e2e", "a"), ("unit", "b"), ("phase4", "a")],
            include.EnumerateArray().Select(j => (j.GetProperty("suite").GetString(), j.GetProperty("vm").GetString())));
        Assert.Single(_output.ToString().TrimEnd().Split('\n')); // One line, for $GITHUB_OUTPUT.
    }

    [Fact]
    public async Task Without_suite_the_matrix_is_the_lab_default_set_and_an_unknown_suite_is_bad_input()
    {
        Assert.Equal(0, await Run("ci", "matrix", "--lab", LabFile()));
        Assert.Equal("{\"include\":[{\"suite\":\"unit\",\"vm\":\"b\"}]}", _output.ToString().Trim());

        Assert.Equal(CliApplication.BadInput, await Run("ci", "matrix", "--lab", LabFile(), "--suite", "nope"));
        Assert.Contains("no suite 'nope'", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Merge_puts_several_jobs_results_into_one_report_and_fails_when_one_failed()
    {
        var start = DateTimeOffset.UtcNow;
        Write("job-unit/unit.xml", Timeline.Attach(Report("unit", TestOutcome.Passed), [new("b", "unit", start, TimeSpan.FromSeconds(5), TestOutcome.Passed)]));
        Write("job-e2e/build.xml", Report("build", TestOutcome.Passed));
        Write("job-e2e/e2e.xml", Timeline.Attach(Report("e2e", TestOutcome.Failed), [new("a", "e2e", start, TimeSpan.FromSeconds(9), TestOutcome.Failed)]));
        Write("job-e2e/e2e/reports/junit.xml", Report("junit", TestOutcome.Passed)); // e2e's copied-back artifacts: not a suite of their own.
        var merged = Path.Combine(_directory, "merged");

        var code = await Run("ci", "merge", Path.Combine(_directory, "job-unit"), Path.Combine(_directory, "job-e2e"), "--output", merged, "--title", "nightly");

        Assert.Equal(CliApplication.TestsFailed, code);
        Assert.Equal(["build.xml", "e2e.xml", "report.html", "unit.xml"], Directory.GetFiles(merged).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.False(JUnitReader.ReadFile(Path.Combine(merged, "e2e.xml")).IsSuccess);
        Assert.Contains("2 passed, 1 failed, 0 skipped", _output.ToString(), StringComparison.Ordinal);
        var html = File.ReadAllText(Path.Combine(merged, "report.html"));
        Assert.Contains("<h1 id=\"title\">nightly</h1>", html, StringComparison.Ordinal);
        Assert.Contains("data-lane=\"a\"", html, StringComparison.Ordinal); // Both jobs' timelines, one lane each.
        Assert.Contains("data-lane=\"b\"", html, StringComparison.Ordinal);

        // Merging again into the same folder reads the jobs' files only, not its own output.
        Assert.Equal(CliApplication.TestsFailed, await Run("ci", "merge", _directory, "--output", merged));
        Assert.Contains("2 passed, 1 failed, 0 skipped", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_planned_suite_whose_job_wrote_nothing_is_an_error_in_the_merge_never_a_pass()
    {
        Write("job-unit/unit.xml", Report("unit", TestOutcome.Passed));
        var merged = Path.Combine(_directory, "merged");

        var code = await Run("ci", "merge", Path.Combine(_directory, "job-unit"), "--output", merged, "--matrix", "{\"include\":[{\"suite\":\"unit\",\"vm\":\"b\"},{\"suite\":\"phase4\",\"vm\":\"a\"}]}");

        Assert.Equal(CliApplication.TestsFailed, code);
        var missing = Assert.Single(JUnitReader.ReadFile(Path.Combine(merged, "phase4.xml")).Cases);
        Assert.Equal((TestOutcome.Errored, "no JUnit file for suite 'phase4': its job ended before writing one"), (missing.Outcome, missing.Message));
    }

    [Fact]
    public async Task A_corrupt_junit_file_or_no_file_at_all_is_bad_input_naming_the_problem()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "empty"));
        Assert.Equal(CliApplication.BadInput, await Run("ci", "merge", Path.Combine(_directory, "empty"), "--output", Path.Combine(_directory, "m")));
        Assert.Contains("no JUnit files", _error.ToString(), StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(_directory, "empty", "cut.xml"), "<testsuites><testsuite name=\"x\"><testcase");
        Assert.Equal(CliApplication.BadInput, await Run("ci", "merge", Path.Combine(_directory, "empty"), "--output", Path.Combine(_directory, "m")));
        Assert.Contains("cut.xml", _error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "m", "report.html")));

        File.Delete(Path.Combine(_directory, "empty", "cut.xml"));
        Write("empty/unit.xml", Report("unit", TestOutcome.Passed));
        Assert.Equal(CliApplication.BadInput, await Run("ci", "merge", Path.Combine(_directory, "empty"), "--output", Path.Combine(_directory, "m"), "--matrix", "{\"include\":[{\"suite\":\"../x\"}]}"));
        Assert.Contains("--matrix is not a job matrix", _error.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static TestReport Report(string suite, TestOutcome outcome) =>
        new([new TestSuiteResult { Name = suite, Cases = [new TestCaseResult { ClassName = suite, Name = "t", Outcome = outcome, Message = outcome == TestOutcome.Passed ? null : "boom" }] }]);

    private void Write(string relative, TestReport report) => JUnitWriter.WriteFile(report, Path.Combine(_directory, relative));

    private string LabFile()
    {
        var path = Path.Combine(_directory, "lab.yaml");
        File.WriteAllText(path, Lab);
        return path;
    }

    private async Task<int> Run(params string[] args)
    {
        _output.GetStringBuilder().Clear();
        _error.GetStringBuilder().Clear();
        return await CliApplication.RunAsync(args, _output, _error, TestContext.Current.CancellationToken);
    }
}
