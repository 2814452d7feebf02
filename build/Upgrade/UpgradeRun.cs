using System.Diagnostics;
using CiLab.Qemu;
using CiLab.Scenarios;

namespace CiLab.Build.Upgrade;

/// <summary>One run of the upgrade scenario: a fresh config repository served to the guests, the VMs back at their clean snapshot, the steps.</summary>
static class UpgradeRun
{
    /// <returns>The scenario's result, and how long bringing the VMs to the clean snapshot took.</returns>
    public static async Task<(ScenarioResult Result, TimeSpan Startup)> RunAsync(
        IReadOnlyList<VirtualMachine> machines, string rootDirectory, string snapshot, bool breakRollback, TextWriter log, CancellationToken ct)
    {
        var fixture = Path.Combine(rootDirectory, "examples", "upgrade-lab");
        var repository = await ConfigRepository.CreateAsync(Path.Combine(rootDirectory, "artifacts", "upgrade-lab"), Path.Combine(fixture, "config-repo"), ct);
        await using var server = new HostFileServer(repository.Root);
        var clock = Stopwatch.StartNew();
        // Restore starts a stopped VM from the snapshot: both come up at once.
        await Task.WhenAll(machines.Select(vm => vm.RestoreAsync(snapshot, ct)));
        var startup = clock.Elapsed;
        log.WriteLine($"{string.Join(" and ", machines.Select(m => m.Name))} at snapshot '{snapshot}' after {startup.TotalSeconds:0.0}s; config served at {server.GuestUrl("config.git")}");
        var scenario = new UpgradeScenario(repository, server.GuestUrl("config.git"), fixture, breakRollback).Build();
        var result = await scenario.RunAsync(machines, new ScenarioRunOptions { Log = log }, ct);
        return (result, startup);
    }
}
