using CiLab.Reporting;
using CiLab.Testing;

namespace CiLab.Scenarios;

/// <summary>What a scenario run produced: one test case per step × VM, and where its time went.</summary>
/// <param name="Report">One suite per VM (scenario.vm), one case per step.</param>
/// <param name="Wall">The whole run's wall-clock time.</param>
/// <param name="MachineTime">Per VM, the time spent restoring, rebooting and resetting (the rest is steps' own work).</param>
/// <param name="BusyTime">Per VM, the time its steps took in total (machine time included).</param>
public sealed record ScenarioResult(TestReport Report, TimeSpan Wall, IReadOnlyDictionary<string, TimeSpan> MachineTime, IReadOnlyDictionary<string, TimeSpan> BusyTime)
{
    /// <summary>Each step × VM, and the restores and reboots within them, as bars per VM (also recorded in <see cref="Report"/>).</summary>
    public IReadOnlyList<TimelineSpan> Timeline { get; init; } = [];
}
