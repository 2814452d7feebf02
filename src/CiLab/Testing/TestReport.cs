namespace CiLab.Testing;

/// <summary>The results of one or more suites: what a JUnit file holds.</summary>
/// <param name="Suites">The suites, flat.</param>
public sealed record TestReport(IReadOnlyList<TestSuiteResult> Suites)
{
    /// <summary>Every case of every suite.</summary>
    public IEnumerable<TestCaseResult> Cases => Suites.SelectMany(s => s.Cases);

    /// <summary>Cases that passed.</summary>
    public int Passed => Cases.Count(c => c.Outcome == TestOutcome.Passed);

    /// <summary>Cases that failed an assertion.</summary>
    public int Failed => Cases.Count(c => c.Outcome == TestOutcome.Failed);

    /// <summary>Cases that could not finish.</summary>
    public int Errored => Cases.Count(c => c.Outcome == TestOutcome.Errored);

    /// <summary>Cases that were skipped.</summary>
    public int Skipped => Cases.Count(c => c.Outcome == TestOutcome.Skipped);

    /// <summary>True when no case failed or errored.</summary>
    public bool IsSuccess => Failed == 0 && Errored == 0;

    /// <summary>Adds <paramref name="properties"/> (vm, image, accelerator, host) to every suite.</summary>
    public TestReport WithProperties(IReadOnlyDictionary<string, string> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return new TestReport([.. Suites.Select(s => s with
        {
            Properties = s.Properties.Concat(properties.Where(p => !s.Properties.ContainsKey(p.Key))).ToDictionary(),
        })]);
    }

    /// <summary>Both reports' suites in one report.</summary>
    public TestReport Merge(TestReport other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new TestReport([.. Suites, .. other.Suites]);
    }

    /// <summary>"N passed, N failed, N skipped" (errors count as failed).</summary>
    public override string ToString() => $"{Passed} passed, {Failed + Errored} failed, {Skipped} skipped";
}
