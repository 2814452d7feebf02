using CiLab.Reporting;
using CiLab.Sync;

namespace CiLab.Suites;

/// <summary>A VM made ready for a suite: restored and synced.</summary>
/// <param name="Sync">What the code sync did.</param>
/// <param name="Timeline">restore and sync in the VM's lane (pass it on as <see cref="SuiteRunOptions.EarlierTimeline"/>).</param>
public sealed record SuitePreparation(SyncResult Sync, IReadOnlyList<TimelineSpan> Timeline);
