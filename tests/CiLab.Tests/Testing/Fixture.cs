using CiLab.Testing;

namespace CiLab.Tests.Testing;

/// <summary>Reads the captured outputs under Testing/Fixtures (see capture.sh there for how they were made).</summary>
internal static class Fixture
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Testing", "Fixtures", name);

    public static TestReport Parse(TestOutputFormat format, string name) => ParseLines(format, File.ReadLines(PathOf(name)));

    public static TestReport ParseLines(TestOutputFormat format, IEnumerable<string> lines, string suite = "suite")
    {
        var parser = TestOutputParser.Create(format, suite);
        foreach (var line in lines)
        {
            parser.ReadLine(line);
        }

        return parser.Complete();
    }

    public static TestCaseResult Case(this TestReport report, string name) => report.Cases.Single(c => c.Name == name);
}
