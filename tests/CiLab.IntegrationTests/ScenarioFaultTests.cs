using CiLab.Machines;
using CiLab.Qemu;
using CiLab.Scenarios;
using CiLab.Testing;

namespace CiLab.IntegrationTests;

/// <summary>The scenario engine's faults and checks against a real guest, as one scenario whose every case is asserted.</summary>
public sealed class ScenarioFaultTests(GuestLab lab) : IAsyncLifetime
{
    private readonly QemuMachine _vm = lab.Machine("faults");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _vm.StartAsync(MachineStartOptions.Owned, CancellationToken.None);

    public async ValueTask DisposeAsync() => await _vm.DestroyAsync(CancellationToken.None);

    [Fact]
    public async Task Faults_are_injected_and_seen_by_the_guest_and_a_failed_step_skips_its_dependents()
    {
        var served = Directory.CreateTempSubdirectory("cilab-served-").FullName;
        await File.WriteAllTextAsync(Path.Combine(served, "greeting.txt"), "hello from the host\n", Ct);
        await using var server = new HostFileServer(served);
        var scenario = new Scenario("faults");

        scenario.Step("link down and up", async (vm, ct) =>
        {
            // The guest reports its carrier on the console once it sees the cable pulled (if it never does, what it sees after 600 polls):
            // SSH cannot reach it then. A polling loop, not a timer: systemd's timers fire up to a minute late (AccuracySec).
            await vm.RunAsync("systemd-run --quiet sh -c 'for i in $(seq 600); do [ \"$(cat /sys/class/net/eth0/carrier)\" = 0 ] && break; sleep 0.1; done; " +
                "echo carrier=$(cat /sys/class/net/eth0/carrier) > /dev/console'", elevated: true, ct);
            await vm.Faults.LinkDownAsync(ct);
            try
            {
                await vm.WaitForConsoleAsync("carrier=0", TimeSpan.FromSeconds(60), ct);
            }
            finally
            {
                await vm.Faults.LinkUpAsync(ct);
            }

            vm.Expect(await vm.RunAsync("cat /sys/class/net/eth0/carrier", ct) == "1", "The carrier did not come back.");
        });

        scenario.Step("kill a process", async (vm, ct) =>
        {
            await vm.RunAsync("systemd-run --quiet --unit=sleeper sleep 1000", elevated: true, ct);
            vm.Expect(await vm.Faults.KillProcessAsync("sleep", "KILL", ct) == 1, "kill found no sleep process.");
            await vm.ShouldFailAsync("pgrep -x sleep", elevated: false, ct);
        });

        scenario.Step("fill a disk", async (vm, ct) =>
        {
            var filler = await vm.Faults.FillDiskAsync("/var/tmp", 8L << 20, ct);
            var available = long.Parse(await vm.RunAsync("df --output=avail -B1 /var/tmp | tail -n 1", ct), System.Globalization.CultureInfo.InvariantCulture);
            vm.Expect(available < 32L << 20, $"{available} bytes are still free after filling the disk.");
            await vm.ShouldFailAsync("head -c 64M /dev/zero > /var/tmp/more", elevated: true, ct);
            await vm.RunAsync($"rm -rf {filler} /var/tmp/more", elevated: true, ct);
        });

        scenario.Step("hard reset", async (vm, ct) =>
        {
            // What the guest synced is on the disk after a reset; the reset starts a new boot.
            await vm.RunAsync("echo synced > /var/tmp/before-reset && sync", ct);
            await vm.Faults.ResetAsync(ct);
            var uptime = double.Parse((await vm.RunAsync("cut -d' ' -f1 /proc/uptime", ct)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            vm.Expect(uptime < 300, $"Uptime is {uptime}s: the guest did not restart.");
            vm.Expect(await vm.RunAsync("cat /var/tmp/before-reset", ct) == "synced", "A file synced before the reset is gone.");
        });

        scenario.Step("clean reboot", async (vm, ct) =>
        {
            // Not synced by hand: the guest's own shutdown must write it before the VM starts again.
            await vm.RunAsync("echo kept > /var/tmp/before-reboot", ct);
            await vm.Faults.RebootAsync(ct);
            vm.Expect(await vm.RunAsync("cat /var/tmp/before-reboot", ct) == "kept", "A file written before the reboot is gone.");
        });

        scenario.Step("host files reach the guest", async (vm, ct) =>
        {
            var url = server.GuestUrl("greeting.txt");
            // bash's /dev/tcp: the guest has no HTTP client, and this is the plainest one there is.
            var request = $"exec 3<>/dev/tcp/{url.Host}/{url.Port}; printf 'GET {url.AbsolutePath} HTTP/1.0\\r\\n\\r\\n' >&3; tr -d '\\r' <&3 | sed '1,/^$/d'";
            var body = await vm.RunAsync("bash -c " + Processes.ShellQuoting.Quote(request), ct);
            vm.Expect(body == "hello from the host", $"The guest read '{body}'.");
        });

        scenario.Step("fails", (vm, ct) => vm.RunAsync("echo 'something broke' >&2; exit 3", ct));
        scenario.Step("depends on the failure", (_, _) => Task.CompletedTask).DependsOn("fails");

        var result = await scenario.RunAsync([_vm], new ScenarioRunOptions(), Ct);
        Directory.Delete(served, recursive: true);

        var cases = result.Report.Cases.ToDictionary(c => c.Name);
        Assert.All(cases.Values.Take(6), c => Assert.True(c.Outcome == TestOutcome.Passed, $"{c.Name}: {c.Outcome}: {c.Message}\n{c.Output}"));
        Assert.Equal(TestOutcome.Failed, cases["fails"].Outcome);
        Assert.Contains("exited with code 3", cases["fails"].Message, StringComparison.Ordinal);
        Assert.Contains("something broke", cases["fails"].Output, StringComparison.Ordinal);
        Assert.Equal((TestOutcome.Skipped, "Not run: it depends on 'fails', which failed on VM 'faults'."), (cases["depends on the failure"].Outcome, cases["depends on the failure"].Message));
        Assert.True(result.MachineTime["faults"] > TimeSpan.Zero, "The reset's time was not counted as machine time.");
    }
}
