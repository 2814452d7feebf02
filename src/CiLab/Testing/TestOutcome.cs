namespace CiLab.Testing;

/// <summary>How one test case ended.</summary>
public enum TestOutcome
{
    /// <summary>It ran and passed.</summary>
    Passed,

    /// <summary>An assertion failed.</summary>
    Failed,

    /// <summary>It could not finish: a panic, a timeout, a crash, a truncated stream, a build failure.</summary>
    Errored,

    /// <summary>It was skipped (or is a TODO that did not count).</summary>
    Skipped,
}
