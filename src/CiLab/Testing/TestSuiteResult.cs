namespace CiLab.Testing;

/// <summary>A suite of test cases (a Go package, a TAP stream, a JUnit testsuite) with its properties.</summary>
public sealed record TestSuiteResult
{
    /// <summary>The suite's name.</summary>
    public required string Name { get; init; }

    /// <summary>Its cases, in the order they finished.</summary>
    public IReadOnlyList<TestCaseResult> Cases { get; init; } = [];

    /// <summary>Its wall time, when known (otherwise the sum of its cases).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>When it started, when known.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>Where it ran and how: vm, image, accelerator, host.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>Output that belongs to no single case (bounded).</summary>
    public string Output { get; init; } = string.Empty;

    /// <summary>The number of cases with <paramref name="outcome"/>.</summary>
    public int Count(TestOutcome outcome) => Cases.Count(c => c.Outcome == outcome);

    /// <summary>The suite's duration, or the sum of its cases' when it was not measured.</summary>
    public TimeSpan EffectiveDuration => Duration ?? Cases.Aggregate(TimeSpan.Zero, (sum, c) => sum + c.Duration);
}
