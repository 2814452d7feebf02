using CiLab.Scenarios;

namespace CiLab.Build.Upgrade;

/// <summary>
/// Seed 001's test plan — all 11 tests, the 5 its team skipped included — as a CiLab scenario over the lab's VMs:
/// the guests run examples/upgrade-lab (a git-pulling auto-upgrade service with rollback and a golden generation),
/// the host plays the developer pushing commits. Every test starts from the snapshot taken right after installing.
/// </summary>
sealed class UpgradeScenario(ConfigRepository repository, Uri remote, string fixtureDirectory, bool breakRollback)
{
    const string Ready = "upgrade-ready";
    const string Access = "VM setup and access";
    const string Install = "install upgrade-lab";
    const string Workflow = "upgrade workflow";
    const string Golden = "golden generation pinned";
    const string State = "/var/lib/local-upgrade";
    const string RunLog = State + "/log/last-run.log";

    // Set by a step's host setup, read by its body on every VM.
    string _pushed = "";

    public Scenario Build()
    {
        var scenario = new Scenario("TestUpgrade");

        scenario.Step(Access, async (vm, ct) =>
        {
            var user = await vm.RunAsync("id -un", ct);
            vm.Expect(user == vm.Vm.Definition.User, $"SSH logged in as '{user}', expected the lab user '{vm.Vm.Definition.User}'.");
            var state = await vm.RunAsync("systemctl is-system-running --wait || true", ct);
            vm.Expect(state is "running" or "degraded", $"systemd reports '{state}' after boot.");
            await vm.UnitShouldBeActiveAsync("ssh.service", ct);
            vm.Expect(await vm.RunAsync("id -u", elevated: true, ct) == "0", "sudo did not give root.");
        });

        scenario.Step(Install, async (vm, ct) =>
        {
            await PinClockAsync(vm, ct);
            await vm.Vm.Shell.UploadAsync(fixtureDirectory, "/tmp/upgrade-lab", ct);
            await vm.RunAsync($"/tmp/upgrade-lab/install.sh {remote} {vm.Vm.Definition.User} {(breakRollback ? 1 : 0)}", elevated: true, ct);
            await vm.ShouldMatchAsync("golden show", @"^Current golden generation: 1$", ct);
            await vm.UnitShouldBeActiveAsync("local-upgrade.timer", ct);
            // Saved with the timer stopped; each step starts it again (see PinClockAsync).
            await vm.RunAsync("systemctl stop local-upgrade.timer", elevated: true, ct);
            await vm.Vm.SnapshotAsync(Ready, ct);
            vm.Log($"saved snapshot '{Ready}'");
        }).DependsOn(Access);

        Test("service runs as non-root", async (vm, ct) =>
        {
            var user = vm.Vm.Definition.User;
            vm.Expect(await vm.RunAsync("systemctl show -p User --value local-upgrade.service", ct) == user, $"local-upgrade.service is not configured to run as '{user}'.");
            await UpgradeAsync(vm, ct);
            await vm.FileShouldContainAsync(RunLog, $" as {user} (uid ", ct);
            var refused = await vm.ShouldFailAsync("local-upgrade", elevated: true, ct);
            vm.Expect(refused.StandardError.Contains("Don't run local-upgrade as root", StringComparison.Ordinal), "Run as root, local-upgrade did not refuse with its message.");
        }).DependsOn(Install);

        Test(Workflow, async (vm, ct) =>
        {
            var before = await GenerationAsync(vm, ct);
            await UpgradeAsync(vm, ct);
            await ExpectHeadAsync(vm, _pushed, "after the upgrade", ct);
            vm.Expect(await GenerationAsync(vm, ct) == before + 1, $"No new generation after the upgrade (still {before}).");
            await vm.FileShouldContainAsync("/etc/motd", "Upgraded by the workflow test", ct);
            await vm.FileShouldContainAsync(RunLog, "build and validation passed, switching", ct);
            await vm.UnitShouldBeActiveAsync("ssh.service", ct);
        }).DependsOn(Install).BeforeOnHost(async ct => _pushed = await Commit("motd = Upgraded by the workflow test", ct));

        Test("build failure rolls back", async (vm, ct) =>
        {
            await ExpectRolledBackAsync(vm, "build failed: rolling back", ct);
            await vm.FileShouldContainAsync(RunLog, "syntax error at system.conf", ct);
        }).DependsOn(Workflow).BeforeOnHost(async ct => _pushed = await Commit("this is a syntax error that will break the build", ct));

        Test(Golden, async (vm, ct) =>
        {
            await UpgradeAsync(vm, ct);
            var generation = await GenerationAsync(vm, ct);
            await vm.Faults.RebootAsync(ct);
            await WaitForUnitToSettleAsync(vm, "golden-pin.service", ct);
            await vm.ShouldMatchAsync("golden show", $@"^Current golden generation: {generation}$", ct);
            await vm.ShouldMatchAsync("golden show", @"^  ok ssh\.service$", ct);
        }).DependsOn(Workflow).BeforeOnHost(async ct => _pushed = await Commit("motd = Pinned after a validated boot", ct));

        Test("concurrent upgrade on both VMs", async (vm, ct) =>
        {
            vm.Log($"upgrade starts at {DateTimeOffset.UtcNow:HH:mm:ss.fff} (host clock)");
            await UpgradeAsync(vm, ct);
            vm.Log($"upgrade ends at {DateTimeOffset.UtcNow:HH:mm:ss.fff} (host clock)");
            vm.Record("commit", await HeadAsync(vm, ct));
            await ExpectHeadAsync(vm, _pushed, "after the concurrent upgrade", ct);
        }).DependsOn(Workflow).ExpectSameAcrossVms("commit").BeforeOnHost(async ct => _pushed = await Commit("motd = Upgraded concurrently", ct));

        Test("validation failure rolls back", async (vm, ct) =>
        {
            await ExpectRolledBackAsync(vm, "validation check failed", ct);
            await vm.UnitShouldBeActiveAsync("ssh.service", ct);
        }).DependsOn(Workflow).BeforeOnHost(async ct => _pushed = await Commit("motd = No ssh\nenable = local-upgrade.timer", replace: true, ct));

        Test("network failure degrades, then recovers", async (vm, ct) =>
        {
            var head = await HeadAsync(vm, ct);
            var generation = await GenerationAsync(vm, ct);
            // The upgrade starts by itself as soon as the guest sees the cable out. Not a timer: systemd's fire up to a minute
            // late (AccuracySec), and one that fires before the cable is pulled upgrades normally. A guest that never sees
            // it gives up after 900 polls without upgrading: the console wait below has failed the step by then.
            await vm.RunAsync("systemd-run --quiet --unit=upgrade-during-outage sh -c 'n=0; until grep -sqx 0 /sys/class/net/*/carrier; do " +
                "n=$((n + 1)); [ $n -le 900 ] || exit 1; sleep 0.1; done; systemctl start local-upgrade.service'", elevated: true, ct);
            await vm.Faults.LinkDownAsync(ct);
            try
            {
                await vm.WaitForConsoleAsync(@"local-upgrade: network unavailable.*", TimeSpan.FromSeconds(90), ct);
            }
            finally
            {
                await vm.Faults.LinkUpAsync(ct);
            }

            await vm.WaitUntilAsync("! systemctl is-active --quiet local-upgrade.service", TimeSpan.FromSeconds(30), ct);
            vm.Expect(await vm.RunAsync("systemctl show -p Result --value local-upgrade.service", ct) == "success", "The upgrade run during the outage did not end successfully (degraded gracefully).");
            await vm.FileShouldContainAsync(State + "/log/status", "degraded", ct);
            await ExpectHeadAsync(vm, head, "after the outage", ct);
            vm.Expect(await GenerationAsync(vm, ct) == generation, "The generation changed during the outage.");
            vm.Log("recovery: the next run upgrades");
            await UpgradeAsync(vm, ct);
            await ExpectHeadAsync(vm, _pushed, "after recovery", ct);
            vm.Expect(await GenerationAsync(vm, ct) == generation + 1, "No new generation after recovery.");
        }).DependsOn(Workflow).BeforeOnHost(async ct => _pushed = await Commit("motd = Pulled after the outage", ct));

        Test("pre-update hook", async (vm, ct) =>
        {
            var head = await HeadAsync(vm, ct);
            await InstallHookAsync(vm, "10-record", $"echo \"$OLD_COMMIT $(id -un)\" > {State}/log/hook-ran", ct);
            await UpgradeAsync(vm, ct);
            await vm.FileShouldContainAsync(State + "/log/hook-ran", $"{head} {vm.Vm.Definition.User}", ct);
            var log = await vm.RunAsync($"cat {RunLog}", ct);
            vm.Expect(log.IndexOf("pre-update hook:", StringComparison.Ordinal) is >= 0 and var hook && hook < log.IndexOf("pulling from", StringComparison.Ordinal), "The pre-update hook did not run before the pull.");
            await InstallHookAsync(vm, "20-refuse", "echo 'maintenance window closed'; exit 1", ct);
            await vm.ShouldFailAsync("systemctl start local-upgrade.service", elevated: true, ct);
            await vm.FileShouldContainAsync(RunLog, "20-refuse failed: upgrade aborted", ct);
        }).DependsOn(Workflow).BeforeOnHost(async ct => _pushed = await Commit("motd = Upgraded after the hooks", ct));

        Test("timer-triggered upgrade", async (vm, ct) =>
        {
            vm.Expect(await vm.RunAsync("systemctl is-enabled local-upgrade.timer", ct) == "enabled", "local-upgrade.timer is not enabled.");
            await vm.UnitShouldBeActiveAsync("local-upgrade.timer", ct);
            // Hourly: move the guest's clock past the next full hour instead of waiting for it.
            await vm.RunAsync("date -s \"$(date -d '+1 hour' '+%Y-%m-%d %H:00:05')\"", elevated: true, ct);
            await vm.WaitUntilAsync($"test \"$(git -C ~/config rev-parse HEAD)\" = {_pushed} && grep -q 'upgrade complete' {RunLog}", TimeSpan.FromSeconds(90), ct);
            var trigger = await vm.RunAsync("systemctl show -p LastTriggerUSec --value local-upgrade.timer", ct);
            vm.Expect(trigger.Length > 0 && trigger != "n/a", "The timer reports no trigger, yet the upgrade happened.");
        }).DependsOn(Workflow).BeforeOnHost(async ct => _pushed = await Commit("motd = Upgraded on schedule", ct));

        Test("boot failure falls back to golden", async (vm, ct) =>
        {
            var golden = await GenerationAsync(vm, ct);
            await UpgradeAsync(vm, ct);
            var broken = await GenerationAsync(vm, ct);
            vm.Expect(broken == golden + 1, "The upgrade to the generation that cannot boot did not switch.");
            await vm.ShouldMatchAsync("/usr/local/lib/upgrade-lab/bootloader get trial", $"^{broken}$", ct);

            // GRUB boots the new generation on trial; its initrd is not one, the kernel panics and reboots (panic=1), twice,
            // and GRUB boots the golden generation. SSH is down all the while: the serial console tells what happened.
            await vm.Faults.ResetAsync(ct);
            await vm.WaitForConsoleAsync(
                $@"(?s)booting generation {broken} on trial \(try 1 of 2\).*Kernel panic.*booting generation {broken} on trial \(try 2 of 2\).*Kernel panic.*generation {broken} used up its tries: booting golden generation {golden}",
                TimeSpan.FromSeconds(10), ct);
            await WaitForUnitToSettleAsync(vm, "local-upgrade-boot.service", ct);
            await vm.ShouldMatchAsync("cat /proc/cmdline", $@"(^| )upgrade\.generation={golden}( |$)", ct);
            vm.Expect(await GenerationAsync(vm, ct) == golden, $"After the fallback the current generation is {await GenerationAsync(vm, ct)}, not the golden {golden}.");
            await vm.FileShouldContainAsync("/etc/motd", $"(generation {golden},", ct);
            var journal = await vm.RunAsync("journalctl -b -u local-upgrade-boot.service -o cat", elevated: true, ct);
            vm.Expect(journal.Contains($"generation {broken} failed to boot 2 times: the bootloader fell back to golden generation {golden}", StringComparison.Ordinal), "This boot's journal does not tell of the fallback to the golden generation.");
            vm.Expect(await vm.RunAsync("/usr/local/lib/upgrade-lab/bootloader get trial", ct) == "", "The failed generation is still on trial after the fallback.");
        }).DependsOn(Golden).BeforeOnHost(async ct => _pushed = await repository.CommitAsync(
            "a generation whose initrd cannot boot",
            new Dictionary<string, string?> { ["boot/initrd.img"] = "not an initramfs: this generation's kernel finds no root and panics\n" },
            ct));

        return scenario;

        ScenarioStep Test(string name, Func<StepContext, CancellationToken, Task> body) =>
            scenario.Step(name, async (vm, ct) =>
            {
                await PinClockAsync(vm, ct);
                await vm.RunAsync("systemctl start local-upgrade.timer", elevated: true, ct);
                await body(vm, ct);
            }).FromSnapshot(Ready).WithTimeout(TimeSpan.FromMinutes(6));
    }

    async Task<string> Commit(string line, CancellationToken ct) => await Commit(line, replace: false, ct);

    async Task<string> Commit(string line, bool replace, CancellationToken ct)
    {
        await repository.ResetAsync(ct);
        return replace
            ? await repository.CommitAsync(line, new Dictionary<string, string?> { ["system.conf"] = line + "\n" }, ct)
            : await repository.AppendAsync("system.conf", line + "\n", line, ct);
    }

    static async Task UpgradeAsync(StepContext vm, CancellationToken ct)
    {
        var result = await vm.TryRunAsync("systemctl start local-upgrade.service", elevated: true, ct);
        if (result.ExitCode != 0)
        {
            var log = await vm.TryRunAsync($"cat {RunLog}", elevated: false, ct);
            throw new ScenarioAssertionException($"local-upgrade.service failed:{Environment.NewLine}{log.StandardOutput.TrimEnd()}");
        }
    }

    async Task ExpectRolledBackAsync(StepContext vm, string logLine, CancellationToken ct)
    {
        var head = await HeadAsync(vm, ct);
        var generation = await GenerationAsync(vm, ct);
        var result = await vm.TryRunAsync("systemctl start local-upgrade.service", elevated: true, ct);
        if (result.ExitCode == 0)
        {
            // Say what the run did instead: "already at", "network unavailable", or a validation that passed.
            var log = await vm.TryRunAsync($"cat {RunLog}", elevated: false, ct);
            throw new ScenarioAssertionException($"local-upgrade.service was expected to fail ({logLine}) but exited 0. Its run:{Environment.NewLine}{log.StandardOutput.TrimEnd()}");
        }

        await vm.FileShouldContainAsync(RunLog, logLine, ct);
        var after = await HeadAsync(vm, ct);
        vm.Expect(after == head, after == _pushed
            ? $"git was not rolled back: HEAD is still the bad commit {after[..12]}, expected {head[..12]}."
            : $"git HEAD is {after[..12]} after the failed upgrade, expected {head[..12]}.");
        vm.Expect(await GenerationAsync(vm, ct) == generation, "A failed upgrade created a new generation.");
    }

    static async Task ExpectHeadAsync(StepContext vm, string expected, string when, CancellationToken ct)
    {
        var head = await HeadAsync(vm, ct);
        vm.Expect(head == expected, $"The guest's config is at {head[..Math.Min(12, head.Length)]} {when}, expected {expected[..12]}.");
    }

    static Task<string> HeadAsync(StepContext vm, CancellationToken ct) => vm.RunAsync("git -C ~/config rev-parse HEAD", ct);

    static async Task<int> GenerationAsync(StepContext vm, CancellationToken ct) =>
        int.Parse(await vm.RunAsync($"basename \"$(readlink -f {State}/current)\"", ct), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// A restored guest's clock follows the host's, while its timers are as the snapshot left them: a calendar timer due
    /// between the snapshot and the restore fires at the restore. So the hourly timer, running in a snapshot taken at
    /// 10:58, would start an upgrade the moment a step restores it at 11:01 — before the step has set anything up (the
    /// pre-update hook test then joined a run that never saw its hook). The snapshot is therefore saved with the timer
    /// stopped, and each step first puts the clock at five past the current hour, then starts the timer: its next run is
    /// 55 minutes away, far beyond any step, and only the timer test moves the clock there.
    /// </summary>
    static Task PinClockAsync(StepContext vm, CancellationToken ct) =>
        vm.RunAsync("date -s \"$(date '+%Y-%m-%d %H:05:00')\" >/dev/null", elevated: true, ct);

    static Task WaitForUnitToSettleAsync(StepContext vm, string unit, CancellationToken ct) =>
        vm.WaitUntilAsync($"systemctl show -p ActiveState --value {unit} | grep -qxE 'active|failed'", TimeSpan.FromSeconds(120), ct);

    static Task InstallHookAsync(StepContext vm, string name, string body, CancellationToken ct) =>
        vm.RunAsync($"printf '#!/bin/sh\\n%s\\n' {Processes.ShellQuoting.Quote(body)} > /etc/local-upgrade/pre-update.d/{name} && chmod +x /etc/local-upgrade/pre-update.d/{name}", elevated: true, ct);
}
