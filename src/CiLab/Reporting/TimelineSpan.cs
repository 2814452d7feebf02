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

    /// <summary>Runs <paramref name="work"/> and returns the span it took in <paramref name="lane"/>.</summary>
    public static async Task<TimelineSpan> MeasureAsync(string lane, string name, Func<Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var start = DateTimeOffset.UtcNow;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await work().ConfigureAwait(false);
        return new TimelineSpan(lane, name, start, clock.Elapsed);
    }
}
