using System.Diagnostics;
using CiLab.Machines;
using CiLab.Scenarios;
using Microsoft.Extensions.Logging;

namespace CiLab.Build.Upgrade;

/// <summary>One run of the upgrade scenario: a fresh config repository served to the guests, the VMs back at their clean snapshot, the steps.</summary>
static class UpgradeRun
{
    /// <returns>The scenario's result, and how long bringing the VMs to the clean snapshot took.</returns>
    public static async Task<(ScenarioResult Result, TimeSpan Startup)> RunAsync(
        IReadOnlyList<IMachine> machines, string rootDirectory, string snapshot, bool breakRollback, ILogger log, CancellationToken ct)
    {
        foreach (var vm in machines)
        {
            if (!await vm.HasSnapshotAsync(snapshot, ct))
            {
                throw new VmException($"VM '{vm.Name}' has no snapshot '{snapshot}' of its current image to start the scenario from: run VmSnapshot first (do not skip it).");
            }
        }

        var fixture = Path.Combine(rootDirectory, "examples", "upgrade-lab");
        var repository = await ConfigRepository.CreateAsync(Path.Combine(rootDirectory, "artifacts", "upgrade-lab"), Path.Combine(fixture, "config-repo"), ct);
        await using var server = new HostFileServer(repository.Root);
        var clock = Stopwatch.StartNew();
        // Restore starts a stopped VM from the snapshot: both come up at once.
        await Task.WhenAll(machines.Select(vm => vm.RestoreAsync(snapshot, ct)));
        var startup = clock.Elapsed;
        log.LogInformation("{Line}", $"{string.Join(" and ", machines.Select(m => m.Name))} at snapshot '{snapshot}' after {startup.TotalSeconds:0.0}s; config served at {server.GuestUrl("config.git")}");
        var scenario = new UpgradeScenario(repository, server.GuestUrl("config.git"), fixture, breakRollback).Build();
        var result = await scenario.RunAsync(machines, new ScenarioRunOptions { Log = log }, ct);
        return (result, startup);
    }
}
