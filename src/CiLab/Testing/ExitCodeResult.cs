namespace CiLab.Testing;

/// <summary>Results for a suite with no structured output: one case that passes when the command exits 0.</summary>
public static class ExitCodeResult
{
    /// <summary>A report with one suite and one case named <paramref name="name"/>, carrying the command's output.</summary>
    public static TestReport Create(string name, int exitCode, string output, TimeSpan duration)
    {
        var builder = new CaseBuilder(name, name);
        foreach (var line in (output ?? string.Empty).Split('\n'))
        {
            builder.AppendLine(line);
        }

        var outcome = exitCode == 0 ? TestOutcome.Passed : TestOutcome.Failed;
        var result = builder.Finish(outcome, duration, exitCode == 0 ? null : $"exited with code {exitCode}");
        return new TestReport([new TestSuiteResult { Name = name, Cases = [result], Duration = duration }]);
    }
}
