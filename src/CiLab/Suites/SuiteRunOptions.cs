using CiLab.Reporting;

namespace CiLab.Suites;

/// <summary>Where a suite run takes the project from and puts its results.</summary>
public sealed record SuiteRunOptions
{
    /// <summary>The host folder synced into the guest.</summary>
    public required string ProjectDirectory { get; init; }

    /// <summary>Where the JUnit file and copied-back artifacts go.</summary>
    public required string ResultsDirectory { get; init; }

    /// <summary>The JUnit file's name (without .xml); the suite's name when null.</summary>
    public string? ReportName { get; init; }

    /// <summary>The snapshot restored before syncing.</summary>
    public string Snapshot { get; init; } = "clean";

    /// <summary>Extra sync excludes (the lab's).</summary>
    public IReadOnlyList<string> SyncExcludes { get; init; } = [];

    /// <summary>Environment added to the suite's own (e.g. a test-only switch).</summary>
    public IReadOnlyDictionary<string, string> ExtraEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Spans timed before the run (<see cref="SuitePreparation.Timeline"/>), put first in the result's.</summary>
    public IReadOnlyList<TimelineSpan> EarlierTimeline { get; init; } = [];

    /// <summary>Each output line of the suite, as it arrives.</summary>
    public Action<string>? OnOutputLine { get; init; }
}
