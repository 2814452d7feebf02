using CiLab.Testing;

namespace CiLab.Labs;

/// <summary>A test suite the lab runs inside one of its VMs.</summary>
public sealed record SuiteDefinition
{
    /// <summary>Its name (the JUnit file and status check are named after it).</summary>
    public required string Name { get; init; }

    /// <summary>The VM it runs in.</summary>
    public required string Vm { get; init; }

    /// <summary>The command, run by the guest's shell.</summary>
    public required string Run { get; init; }

    /// <summary>The working directory, relative to the synced project in the guest.</summary>
    public string Directory { get; init; } = ".";

    /// <summary>How it gains root.</summary>
    public Elevation Elevation { get; init; } = Elevation.None;

    /// <summary>What its output looks like.</summary>
    public TestOutputFormat Format { get; init; } = TestOutputFormat.ExitCode;

    /// <summary>How long it may run.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Environment variables for the command.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Guest paths (relative to the synced project) copied back to the host afterwards.</summary>
    public IReadOnlyList<string> Artifacts { get; init; } = [];

    /// <summary>Suites of the same VM that run first (a build step); if one of them fails, this one does not run and errs.</summary>
    public IReadOnlyList<string> Needs { get; init; } = [];
}
