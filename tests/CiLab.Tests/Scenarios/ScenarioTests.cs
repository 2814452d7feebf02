using CiLab.Machines;
using CiLab.Scenarios;
using CiLab.Testing;
using CiLab.Tests.Machines;

namespace CiLab.Tests.Scenarios;

/// <summary>
/// The scenario engine's bookkeeping through test doubles of the machine seam: outcomes, dependencies, timeouts,
/// cross-VM checks, parallelism, faults a backend cannot inject. The faults themselves run against real guests in the
/// integration tests.
/// </summary>
public sealed class ScenarioTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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

    [Fact]
    public async Task A_fault_the_backend_cannot_inject_errs_the_step_with_that_sentence()
    {
        var scenario = new Scenario("faults");
        scenario.Step("cable out", (vm, ct) => vm.Faults.LinkDownAsync(ct));
        scenario.Step("reset", (vm, ct) => vm.Faults.ResetAsync(ct));
        scenario.Step("console", (vm, ct) => vm.WaitForConsoleAsync("login:", TimeSpan.FromSeconds(1), ct));

        var report = (await scenario.RunAsync(Machines("a"), new ScenarioRunOptions(), Ct)).Report;

        Assert.Equal(
            ["VM 'a' cannot pull its network cable: its backend (fake) does not offer it.", "VM 'a' cannot be reset: its backend (fake) does not offer it.", "VM 'a' cannot show its serial console: its backend (fake) does not offer it."],
            report.Cases.Select(c => c.Message));
        Assert.All(report.Cases, c => Assert.Equal(TestOutcome.Errored, c.Outcome));
    }

    [Fact]
    public async Task A_reboot_waits_for_a_new_boot_id_through_the_guest_profile_and_a_step_restores_its_snapshot_first()
    {
        var vm = new FakeMachine("a") { Running = true };
        var boots = 0;
        vm.OnRun = (command, _) => Task.FromResult(command.Script switch
        {
            "cat /proc/sys/kernel/random/boot_id" => new GuestCommandResult(0, $"boot-{boots}\n", string.Empty, TimeSpan.Zero),
            "systemctl reboot" => Reboot(),
            var probe when probe.Contains("boot_id", StringComparison.Ordinal) => new GuestCommandResult(probe.Contains($"'boot-{boots}'", StringComparison.Ordinal) ? 1 : 0, string.Empty, string.Empty, TimeSpan.Zero),
            _ => new GuestCommandResult(127, string.Empty, "not found", TimeSpan.Zero),
        });
        var scenario = new Scenario("reboot");
        scenario.Step("reboots", (context, ct) => context.Faults.RebootAsync(ct)).FromSnapshot("clean");

        var report = (await scenario.RunAsync([vm], new ScenarioRunOptions(), Ct)).Report;

        Assert.Equal(TestOutcome.Passed, Assert.Single(report.Cases).Outcome);
        Assert.Equal(1, boots);
        Assert.Equal("restore clean", vm.Calls[0]);
        Assert.Contains("run systemctl reboot", vm.Calls);

        GuestCommandResult Reboot()
        {
            boots++;
            return new GuestCommandResult(0, string.Empty, string.Empty, TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task A_reboot_after_which_the_boot_id_never_changes_fails_the_step()
    {
        var vm = new FakeMachine("a", bootTimeout: TimeSpan.FromSeconds(2)) { Running = true };
        vm.OnRun = (command, _) => Task.FromResult(new GuestCommandResult(command.Script.StartsWith("test ", StringComparison.Ordinal) ? 1 : 0, "same-boot\n", string.Empty, TimeSpan.Zero));
        var scenario = new Scenario("reboot");
        scenario.Step("reboots", (context, ct) => context.Faults.RebootAsync(ct)).WithTimeout(TimeSpan.FromSeconds(30));

        var report = (await scenario.RunAsync([vm], new ScenarioRunOptions(), Ct)).Report;

        var failed = Assert.Single(report.Cases);
        Assert.Equal(TestOutcome.Failed, failed.Outcome);
        Assert.Contains("did not come back after a reboot", failed.Message, StringComparison.Ordinal);
    }

    private static List<IMachine> Machines(params string[] names) => [.. names.Select(n => (IMachine)new FakeMachine(n) { Running = true })];
}
