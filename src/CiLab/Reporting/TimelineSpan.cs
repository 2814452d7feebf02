using CiLab.Testing;

namespace CiLab.Reporting;

/// <summary>One bar of a run's timeline: what a lane (a VM) was doing — a restore, a sync, a suite, a step, a reboot — and when.</summary>
/// <param name="Lane">Whose time it was: the VM's name.</param>
/// <param name="Name">What it was.</param>
/// <param name="Start">When it began.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="Outcome">For a suite or a step, how it ended; null for machine work.</param>
public sealed record TimelineSpan(string Lane, string Name, DateTimeOffset Start, TimeSpan Duration, TestOutcome? Outcome = null)
{
    /// <summary>When it ended.</summary>
    public DateTimeOffset End => Start + Duration;
}
