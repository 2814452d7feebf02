using CiLab.Images;
using CiLab.Labs;
using CiLab.Qemu;
using CiLab.Scenarios;
using CiLab.Testing;

namespace CiLab.Tests.Scenarios;

/// <summary>
/// The scenario engine's bookkeeping: outcomes, dependencies, timeouts, cross-VM checks, parallelism. The steps here do
/// not touch their VMs (the machines are never started); the fault and guest-command side runs against real guests in
/// the integration tests.
/// </summary>
public sealed class ScenarioTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-scenario-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Every_step_and_vm_becomes_a_case_with_its_outcome_message_and_output()
    {
        var scenario = new Scenario("demo");
        scenario.Step("passes", (vm, _) =>
        {
            vm.Log($"hello from {vm.VmName}");
            return Task.CompletedTask;
        });
        scenario.Step("fails on b", (vm, _) =>
        {
            vm.Expect(vm.VmName != "b", "b is not welcome here");
            return Task.CompletedTask;
        });
        scenario.Step("throws", (_, _) => throw new InvalidOperationException("boom")).On("a");

        var report = (await scenario.RunAsync(Machines("a", "b"), new ScenarioRunOptions(), Ct)).Report;

        Assert.Equal(["demo.a", "demo.b"], report.Suites.Select(s => s.Name));
        Assert.Equal(
            ["demo.a/passes Passed", "demo.a/fails on b Passed", "demo.a/throws Errored", "demo.b/passes Passed", "demo.b/fails on b Failed"],
            report.Cases.Select(c => $"{c.ClassName}/{c.Name} {c.Outcome}"));
        var failed = report.Cases.Single(c => c.Outcome == TestOutcome.Failed);
        Assert.Equal("b is not welcome here", failed.Message);
        Assert.Contains("b is not welcome here", failed.Output, StringComparison.Ordinal);
        Assert.Contains("hello from a", report.Cases.First().Output, StringComparison.Ordinal);
        Assert.Equal("InvalidOperationException: boom", report.Cases.Single(c => c.Outcome == TestOutcome.Errored).Message);
    }

    [Fact]
    public async Task A_step_whose_dependency_failed_on_a_vm_is_skipped_there_with_the_reason_and_runs_elsewhere()
    {
        var ran = new List<string>();
        var scenario = new Scenario("deps");
        scenario.Step("setup", (vm, _) =>
        {
            vm.Expect(vm.VmName == "a", "setup broke");
            return Task.CompletedTask;
        });
        scenario.Step("use", (vm, _) =>
        {
            lock (ran)
            {
                ran.Add(vm.VmName);
            }

            return Task.CompletedTask;
        }).DependsOn("setup");
        scenario.Step("use more", (_, _) => Task.CompletedTask).DependsOn("use");

        var report = (await scenario.RunAsync(Machines("a", "b"), new ScenarioRunOptions(), Ct)).Report;

        Assert.Equal(["a"], ran);
        var skipped = report.Cases.Where(c => c.ClassName == "deps.b" && c.Name != "setup").ToList();
        Assert.All(skipped, c => Assert.Equal(TestOutcome.Skipped, c.Outcome));
        Assert.Equal("Not run: it depends on 'setup', which failed on VM 'b'.", skipped[0].Message);
        Assert.Equal("Not run: it depends on 'use', which was skipped on VM 'b'.", skipped[1].Message);
        Assert.All(report.Cases.Where(c => c.ClassName == "deps.a"), c => Assert.Equal(TestOutcome.Passed, c.Outcome));
    }

    [Fact]
    public async Task A_step_past_its_timeout_errs_and_the_next_step_still_runs()
    {
        var scenario = new Scenario("slow");
        scenario.Step("hangs", (_, ct) => Task.Delay(Timeout.Infinite, ct)).WithTimeout(TimeSpan.FromMilliseconds(200));
        scenario.Step("after", (_, _) => Task.CompletedTask);

        var report = (await scenario.RunAsync(Machines("a"), new ScenarioRunOptions(), Ct)).Report;

        Assert.Equal([TestOutcome.Errored, TestOutcome.Passed], report.Cases.Select(c => c.Outcome));
        Assert.Equal("The step did not finish within 0.2s.", report.Cases.First().Message);
    }

    [Fact]
    public async Task Parallel_steps_run_on_all_vms_at_once()
    {
        // Each VM waits for the other to arrive: run one after another, the first would time out.
        using var barrier = new Barrier(2);
        var scenario = new Scenario("together");
        scenario.Step("meet", (_, ct) => Task.Run(() => Assert.True(barrier.SignalAndWait(TimeSpan.FromSeconds(10), ct), "the other VM never arrived"), ct));

        var report = (await scenario.RunAsync(Machines("a", "b"), new ScenarioRunOptions { Parallel = true }, Ct)).Report;

        Assert.True(report.IsSuccess, string.Join("; ", report.Cases.Select(c => c.Message)));
    }

    [Fact]
    public async Task A_value_expected_equal_across_vms_fails_every_vm_when_it_differs()
    {
        var scenario = new Scenario("agree");
        scenario.Step("same", (vm, _) =>
        {
            vm.Record("commit", "abc");
            return Task.CompletedTask;
        }).ExpectSameAcrossVms("commit");
        scenario.Step("different", (vm, _) =>
        {
            vm.Record("commit", vm.VmName == "a" ? "abc" : "def");
            return Task.CompletedTask;
        }).ExpectSameAcrossVms("commit");

        var report = (await scenario.RunAsync(Machines("a", "b"), new ScenarioRunOptions(), Ct)).Report;

        Assert.All(report.Cases.Where(c => c.Name == "same"), c => Assert.Equal(TestOutcome.Passed, c.Outcome));
        Assert.All(report.Cases.Where(c => c.Name == "different"), c =>
        {
            Assert.Equal(TestOutcome.Failed, c.Outcome);
            Assert.Equal("'commit' differs across VMs: a=abc, b=def", c.Message);
        });
    }

    [Fact]
    public async Task A_failing_host_setup_errs_the_step_on_every_vm_without_running_it()
    {
        var ran = false;
        var scenario = new Scenario("host");
        scenario.Step("needs the host", (_, _) =>
        {
            ran = true;
            return Task.CompletedTask;
        }).BeforeOnHost(_ => throw new IOException("git push failed"));

        var report = (await scenario.RunAsync(Machines("a", "b"), new ScenarioRunOptions(), Ct)).Report;

        Assert.False(ran);
        Assert.All(report.Cases, c => Assert.Equal((TestOutcome.Errored, "The step's setup on the host failed: git push failed"), (c.Outcome, c.Message)));
    }

    [Fact]
    public async Task Bad_wiring_is_reported_before_anything_runs()
    {
        var scenario = new Scenario("wiring");
        scenario.Step("first", (_, _) => Task.CompletedTask).DependsOn("second").On("nope");
        scenario.Step("second", (_, _) => Task.CompletedTask).DependsOn("missing");

        var e = await Assert.ThrowsAsync<ArgumentException>(() => scenario.RunAsync(Machines("a"), new ScenarioRunOptions(), Ct));

        Assert.Equal(
            string.Join(Environment.NewLine, [
                "Step 'first' depends on 'second', which comes after it.",
                "Step 'first' runs on VM 'nope', which the scenario was not given.",
                "Step 'second' depends on 'missing', which is not a step of scenario 'wiring'."]),
            e.Message);
        Assert.Throws<ArgumentException>(() => scenario.Step("first", (_, _) => Task.CompletedTask));
    }

    private List<QemuMachine> Machines(params string[] names)
    {
        var state = new LabState(_directory);
        var image = new BootableImage { Id = "test", DiskPath = "/nonexistent.qcow2" };
        return [.. names.Select(n => new QemuMachine(new VmDefinition { Name = n, Image = "test" }, image, state, TextWriter.Null))];
    }
}
