using CiLab.Sync;

namespace CiLab.Suites;

/// <summary>A VM made ready for a suite: restored and synced.</summary>
/// <param name="Sync">What the code sync did.</param>
/// <param name="Phases">restore, sync: how long each took (pass them on as <see cref="SuiteRunOptions.EarlierPhases"/>).</param>
public sealed record SuitePreparation(SyncResult Sync, IReadOnlyList<KeyValuePair<string, TimeSpan>> Phases);
