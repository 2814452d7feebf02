using System.Xml.Linq;

namespace CiLab.Build;

/// <summary>Counts read back from the JUnit files the test runners wrote.</summary>
internal sealed record TestRunSummary(int Passed, int Failed, int Skipped)
{
    public static TestRunSummary Zero { get; } = new(0, 0, 0);

    public static TestRunSummary operator +(TestRunSummary a, TestRunSummary b) =>
        new(a.Passed + b.Passed, a.Failed + b.Failed, a.Skipped + b.Skipped);

    public static TestRunSummary FromJUnit(string path)
    {
        var cases = XDocument.Load(path).Descendants("testcase").ToList();
        var failed = cases.Count(c => c.Element("failure") is not null || c.Element("error") is not null);
        var skipped = cases.Count(c => c.Element("skipped") is not null);
        return new TestRunSummary(cases.Count - failed - skipped, failed, skipped);
    }

    public override string ToString() => $"{Passed} passed, {Failed} failed, {Skipped} skipped";
}
