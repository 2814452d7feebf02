using CiLab.Labs;
using CiLab.Machines;
using CiLab.Suites;
using CiLab.Testing;
using CiLab.Tests.Machines;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.Tests.Suites;

/// <summary>
/// The suite runner's verdicts through a test double of the machine: every way a run can go wrong becomes an error case
/// in a JUnit file that is still written — never a pass. (The same flow runs against a real guest in the integration tests.)
/// </summary>
public sealed class SuiteRunnerTests : IDisposable
{
    private const string PassLine = """{"Action":"pass","Package":"example.com/m","Test":"TestOk","Elapsed":0.01}""";
    private readonly string _results = Directory.CreateTempSubdirectory("cilab-suite-").FullName;
    private readonly FakeMachine _vm = new("guest") { Running = true };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_results, recursive: true);

    [Fact]
    public async Task A_passing_suite_is_green_and_carries_its_vm_image_and_phases()
    {
        _vm.OnRun = Emits(0, PassLine);

        var result = await Run(Suite(TestOutputFormat.GoTestJson), Options() with { EarlierTimeline = [new("guest", "restore", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1))] });

        Assert.True(result.Report.IsSuccess);
        var passed = Assert.Single(result.Report.Cases);
        Assert.Equal(("TestOk", TestOutcome.Passed), (passed.Name, passed.Outcome));
        Assert.Equal("guest", result.Report.Suites[0].Properties["vm"]);
        Assert.Equal("fake-image", result.Report.Suites[0].Properties["image"]);
        Assert.Equal([("restore", (TestOutcome?)null), ("unit", TestOutcome.Passed)], result.Timeline.Select(p => (p.Name, p.Outcome)));
        Assert.True(JUnitReader.ReadFile(result.JUnitPath).IsSuccess);
    }

    [Fact]
    public void A_suite_not_run_because_a_need_failed_is_a_written_error_never_an_absence()
    {
        var result = new SuiteRunner(NullLogger.Instance).WriteNotRun(_vm, Suite(TestOutputFormat.Tap), "not run: it needs 'build', which failed in this run", Options());

        var read = JUnitReader.ReadFile(result.JUnitPath);
        Assert.False(read.IsSuccess);
        var error = Assert.Single(read.Cases);
        Assert.Equal((TestOutcome.Errored, "not run: it needs 'build', which failed in this run"), (error.Outcome, error.Message));
        Assert.Equal(TestOutcome.Errored, Assert.Single(CiLab.Reporting.Timeline.Of(read)).Outcome);
        Assert.Empty(_vm.Calls);
    }

    [Fact]
    public async Task A_suite_past_its_timeout_is_an_error_case_in_a_written_report()
    {
        _vm.OnRun = (command, _) => throw new GuestCommandTimeoutException("guest", command, TimeSpan.FromSeconds(5));

        var result = await Run(Suite(TestOutputFormat.GoTestJson), Options());

        var error = Assert.Single(result.Report.Cases);
        Assert.Equal(("(timeout)", TestOutcome.Errored), (error.Name, error.Outcome));
        Assert.False(JUnitReader.ReadFile(result.JUnitPath).IsSuccess);
    }

    [Fact]
    public async Task A_vm_that_dies_mid_suite_is_an_error_case_with_its_console()
    {
        _vm.Console = "[ 12.0] Kernel panic - not syncing: Attempted to kill init!";
        _vm.OnRun = async (command, _) =>
        {
            command.OnOutputLine?.Invoke(PassLine);
            _vm.Running = false;
            await Task.Yield();
            throw new GuestConnectionException("guest", "Connection reset by peer");
        };

        var result = await Run(Suite(TestOutputFormat.GoTestJson), Options());

        var error = Assert.Single(result.Report.Cases, c => c.Outcome == TestOutcome.Errored);
        Assert.Equal("(vm)", error.Name);
        Assert.Contains("VM 'guest' died during the suite", error.Message, StringComparison.Ordinal);
        Assert.Contains("Kernel panic", error.Message, StringComparison.Ordinal);
        Assert.False(JUnitReader.ReadFile(result.JUnitPath).IsSuccess);
    }

    [Fact]
    public async Task A_non_zero_exit_with_no_failing_case_is_an_error_not_a_pass()
    {
        _vm.OnRun = Emits(2, PassLine);

        var result = await Run(Suite(TestOutputFormat.GoTestJson), Options());

        Assert.Equal(["TestOk Passed", "(exit code) Errored"], result.Report.Cases.Select(c => $"{c.Name} {c.Outcome}"));
        Assert.Contains("exited with code 2 but no test case failed", result.Report.Cases.Last().Message, StringComparison.Ordinal);
        Assert.False(JUnitReader.ReadFile(result.JUnitPath).IsSuccess);
    }

    [Fact]
    public async Task A_missing_junit_artifact_is_an_error_case_naming_the_file()
    {
        var suite = Suite(TestOutputFormat.JUnit) with { Artifacts = ["out/junit.xml"] };

        var result = await Run(suite, Options());

        var error = Assert.Single(result.Report.Cases);
        Assert.Equal(("(junit)", TestOutcome.Errored), (error.Name, error.Outcome));
        Assert.Contains("/home/cilab/project/tests/out/junit.xml", error.Message, StringComparison.Ordinal);
        Assert.False(JUnitReader.ReadFile(result.JUnitPath).IsSuccess);
    }

    [Fact]
    public async Task A_junit_artifact_the_guest_wrote_is_read_back_with_its_failures()
    {
        _vm.OnDownload = (_, host) => File.WriteAllTextAsync(host, """<testsuite name="s"><testcase classname="s" name="bad"><failure message="no"/></testcase></testsuite>""", Ct);

        var result = await Run(Suite(TestOutputFormat.JUnit), Options());

        var failed = Assert.Single(result.Report.Cases);
        Assert.Equal(("bad", TestOutcome.Failed), (failed.Name, failed.Outcome));
        Assert.Contains("download /home/cilab/project/tests/junit.xml", _vm.Calls);
    }

    [Fact]
    public async Task A_dotnet_test_suite_gets_the_junit_logger_and_reads_every_projects_file_from_a_fresh_folder()
    {
        string? folder = null;
        _vm.OnDownload = async (guest, host) =>
        {
            folder = guest;
            await File.WriteAllTextAsync(Path.Combine(host, "Api.Tests.net10.0.xml"), """<testsuites><testsuite name="Api.Tests"><testcase classname="Api" name="Ok"/></testsuite></testsuites>""", Ct);
            await File.WriteAllTextAsync(Path.Combine(host, "Core.Tests.net10.0.xml"), """<testsuites><testsuite name="Core.Tests"><testcase classname="Core" name="Broken"><failure message="expected 2"/></testcase></testsuite></testsuites>""", Ct);
        };
        var suite = Suite(TestOutputFormat.DotnetTest) with { Run = "dotnet test Lab.sln" };

        var result = await Run(suite, Options());

        Assert.StartsWith("/tmp/cilab-dotnet-test-", folder, StringComparison.Ordinal);
        Assert.Contains($"run dotnet test Lab.sln --logger 'junit;LogFilePath={folder}/{{assembly}}.{{framework}}.xml'", _vm.Calls);
        Assert.Equal([("Ok", TestOutcome.Passed), ("Broken", TestOutcome.Failed)], result.Report.Cases.Select(c => (c.Name, c.Outcome)));
        Assert.False(result.Report.IsSuccess);
        Assert.Contains($"run rm -rf {folder}", _vm.Calls);

        // The next run writes into a folder of its own: nothing from this one can be read as its result.
        await Run(suite, Options());
        Assert.Equal(2, _vm.Calls.Count(c => c.StartsWith("download /tmp/cilab-dotnet-test-", StringComparison.Ordinal)));
        Assert.DoesNotContain($"download {folder}", _vm.Calls.Skip(_vm.Calls.IndexOf($"run rm -rf {folder}")));
    }

    [Fact]
    public async Task A_dotnet_test_suite_that_wrote_no_junit_file_is_an_error_even_when_it_exits_zero()
    {
        _vm.OnDownload = (_, _) => Task.CompletedTask;

        var result = await Run(Suite(TestOutputFormat.DotnetTest) with { Run = "dotnet test" }, Options());

        var error = Assert.Single(result.Report.Cases);
        Assert.Equal(("(junit)", TestOutcome.Errored), (error.Name, error.Outcome));
        Assert.Contains("JunitXml.TestLogger", error.Message, StringComparison.Ordinal);
        Assert.False(JUnitReader.ReadFile(result.JUnitPath).IsSuccess);
    }

    [Fact]
    public async Task Prepare_restores_the_snapshot_when_there_is_one_and_boots_the_vm_otherwise()
    {
        var runner = new SuiteRunner(NullLogger.Instance);
        _vm.Running = false;

        var booted = await runner.PrepareAsync(_vm, Options(), Ct);
        await _vm.SnapshotAsync("clean", Ct);
        var restored = await runner.PrepareAsync(_vm, Options(), Ct);

        Assert.Equal(["start", "sync /home/cilab/project", "restore clean", "sync /home/cilab/project"], _vm.Calls);
        Assert.Equal(["restore", "sync"], booted.Timeline.Select(p => p.Name));
        Assert.Equal("fake", restored.Sync.Method);
    }

    private static Func<GuestCommand, CancellationToken, Task<GuestCommandResult>> Emits(int exitCode, params string[] lines) => (command, _) =>
    {
        foreach (var line in lines)
        {
            command.OnOutputLine?.Invoke(line);
        }

        return Task.FromResult(new GuestCommandResult(exitCode, string.Join('\n', lines), string.Empty, TimeSpan.FromSeconds(1)));
    };

    private static SuiteDefinition Suite(TestOutputFormat format) =>
        new() { Name = "unit", Vm = "guest", Run = "go test -json ./...", Directory = "tests", Format = format };

    private SuiteRunOptions Options() => new() { ProjectDirectory = _results, ResultsDirectory = _results, ReportName = "Unit" };

    private Task<SuiteRunResult> Run(SuiteDefinition suite, SuiteRunOptions options) => new SuiteRunner(NullLogger.Instance).RunAsync(_vm, suite, options, Ct);
}
