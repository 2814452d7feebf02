using CiLab.Build.Upgrade;
using CiLab.Machines;
using CiLab.Scenarios;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.Build.Bench;

/// <summary>
/// The TestUpgrade scenario's figures: its wall time on both VMs, the share spent restoring and rebooting, and whether
/// the VMs really run at once (both together against the slower one alone).
/// </summary>
internal static class UpgradeBench
{
    public static async Task RunAsync(BenchTable table, IReadOnlyList<IMachine> machines, string rootDirectory, string snapshot, CancellationToken ct)
    {
        var together = await RunAsync(machines, rootDirectory, snapshot, ct);
        var machineShare = together.Result.MachineTime.Values.Sum(t => t.TotalSeconds) / together.Result.BusyTime.Values.Sum(t => t.TotalSeconds);
        table.Add(new BenchRow($"TestUpgrade scenario on {machines.Count} VMs (wall, after {together.Startup.TotalSeconds:0} s to the clean snapshot)", together.Result.Wall.TotalSeconds, "s"));
        table.Add(new BenchRow("TestUpgrade: share of VM time spent restoring and rebooting", machineShare * 100, "%"));

        var alone = 0.0;
        foreach (var vm in machines)
        {
            alone = Math.Max(alone, (await RunAsync([vm], rootDirectory, snapshot, ct)).Result.Wall.TotalSeconds);
        }

        table.Add(new BenchRow("TestUpgrade scenario on all VMs at once", together.Result.Wall.TotalSeconds, "s", "the slower VM alone", alone, 1.3));
    }

    private static async Task<(ScenarioResult Result, TimeSpan Startup)> RunAsync(IReadOnlyList<IMachine> machines, string rootDirectory, string snapshot, CancellationToken ct)
    {
        var run = await UpgradeRun.RunAsync(machines, rootDirectory, snapshot, breakRollback: false, NullLogger.Instance, ct);
        if (!run.Result.Report.IsSuccess)
        {
            throw new InvalidOperationException($"The upgrade scenario failed during the benchmark ({run.Result.Report}); run ./nuke.sh TestUpgrade to see why.");
        }

        return run;
    }
}
