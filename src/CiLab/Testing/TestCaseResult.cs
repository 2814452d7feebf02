namespace CiLab.Testing;

/// <summary>One test case: its identity, outcome, timing, what it printed and where it failed.</summary>
public sealed record TestCaseResult
{
    /// <summary>The group it belongs to (a Go package, a TAP script, a JUnit classname).</summary>
    public required string ClassName { get; init; }

    /// <summary>The test's name (subtests as <c>Parent/sub</c>).</summary>
    public required string Name { get; init; }

    /// <summary>How it ended.</summary>
    public required TestOutcome Outcome { get; init; }

    /// <summary>How long it ran, when known.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>A one-line reason for a failure, error or skip.</summary>
    public string? Message { get; init; }

    /// <summary>What the test printed (bounded: the end is kept).</summary>
    public string Output { get; init; } = string.Empty;

    /// <summary>The source file of the failure, when the output names one.</summary>
    public string? File { get; init; }

    /// <summary>The line in <see cref="File"/>, when known.</summary>
    public int? Line { get; init; }
}
