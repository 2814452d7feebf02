using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using CiLab.Reporting;
using CiLab.Testing;
using CiLab.Tests.Testing;

namespace CiLab.Tests.Reporting;

public sealed class JUnitWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-junit-").FullName;

    [Theory]
    [InlineData(TestOutputFormat.GoTestJson, "go-mixed.json")]
    [InlineData(TestOutputFormat.GoTestJson, "go-timeout.json")]
    [InlineData(TestOutputFormat.GoTestText, "go-mixed.txt")]
    [InlineData(TestOutputFormat.Tap, "perl-more.tap")]
    [InlineData(TestOutputFormat.Tap, "bats.tap")]
    public void Reports_of_real_output_validate_against_the_junit_schema(TestOutputFormat format, string fixture)
    {
        var report = Fixture.Parse(format, fixture).WithProperties(new Dictionary<string, string> { ["vm"] = "phase4", ["host"] = "runner-1" });
        var path = Path.Combine(_directory, "report.xml");
        JUnitWriter.WriteFile(report, path);
        Validate(path);
        var reread = JUnitReader.ReadFile(path);
        Assert.Equal(report.Cases.Select(c => (c.Name, c.Outcome, c.File, c.Line)), reread.Cases.Select(c => (c.Name, c.Outcome, c.File, c.Line)));
    }

    [Fact]
    public void Ansi_escapes_control_characters_and_lone_surrogates_are_stripped()
    {
        var dirty = "\u001b[31mred\u001b[0m bell\u0007 nul\0 lone\ud800 ok";
        var report = Report(new TestCaseResult { ClassName = "c", Name = "dirty\u001b[1m", Outcome = TestOutcome.Failed, Message = dirty, Output = dirty });
        var path = Path.Combine(_directory, "dirty.xml");
        JUnitWriter.WriteFile(report, path);
        Validate(path);
        var failure = XDocument.Load(path).Descendants("failure").Single();
        Assert.Equal("red bell nul lone ok", failure.Attribute("message")!.Value);
        Assert.Equal("dirty", XDocument.Load(path).Descendants("testcase").Single().Attribute("name")!.Value);
    }

    [Fact]
    public void Huge_output_is_bounded_and_keeps_its_end()
    {
        var output = string.Concat(Enumerable.Range(0, 200_000).Select(i => $"line {i}\n")) + "the end";
        var report = Report(new TestCaseResult { ClassName = "c", Name = "noisy", Outcome = TestOutcome.Failed, Output = output });
        var path = Path.Combine(_directory, "big.xml");
        JUnitWriter.WriteFile(report, path);
        Assert.True(new FileInfo(path).Length < 100_000);
        Assert.EndsWith("the end", XDocument.Load(path).Descendants("failure").Single().Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Times_are_decimal_seconds_and_counts_add_up()
    {
        var report = Report(
            new TestCaseResult { ClassName = "c", Name = "a", Outcome = TestOutcome.Passed, Duration = TimeSpan.FromMilliseconds(1500) },
            new TestCaseResult { ClassName = "c", Name = "b", Outcome = TestOutcome.Errored, Message = "vm died" },
            new TestCaseResult { ClassName = "c", Name = "c", Outcome = TestOutcome.Skipped, Message = "later" });
        var path = Path.Combine(_directory, "counts.xml");
        JUnitWriter.WriteFile(report, path);
        var suite = XDocument.Load(path).Descendants("testsuite").Single();
        Assert.Equal(("3", "0", "1", "1", "1.5"), ((string)suite.Attribute("tests")!, (string)suite.Attribute("failures")!, (string)suite.Attribute("errors")!, (string)suite.Attribute("skipped")!, (string)suite.Attribute("time")!));
        Assert.Equal("1.5", XDocument.Load(path).Descendants("testcase").First().Attribute("time")!.Value);
    }

    [Fact]
    public void Writing_replaces_the_file_whole_and_leaves_no_temporary_files()
    {
        var path = Path.Combine(_directory, "atomic.xml");
        File.WriteAllText(path, "old");
        JUnitWriter.WriteFile(Report(new TestCaseResult { ClassName = "c", Name = "a", Outcome = TestOutcome.Passed }), path);
        Assert.Equal(["atomic.xml"], Directory.GetFiles(_directory).Select(Path.GetFileName));
        Assert.StartsWith("<?xml", File.ReadAllText(path), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static TestReport Report(params TestCaseResult[] cases) => new([new TestSuiteResult { Name = "suite", Cases = cases }]);

    /// <summary>Validates against the reference schema, extended only with file and line on testcase.</summary>
    private static void Validate(string path)
    {
        var schemaDocument = XDocument.Load(Path.Combine(AppContext.BaseDirectory, "Reporting", "junit-10.xsd"));
        XNamespace xs = "http://www.w3.org/2001/XMLSchema";
        var testcase = schemaDocument.Descendants(xs + "element").Single(e => (string?)e.Attribute("name") == "testcase").Element(xs + "complexType")!;
        testcase.Add(new XElement(xs + "attribute", new XAttribute("name", "file"), new XAttribute("type", "xs:string")));
        testcase.Add(new XElement(xs + "attribute", new XAttribute("name", "line"), new XAttribute("type", "xs:nonNegativeInteger")));
        var schemas = new XmlSchemaSet();
        schemas.Add(null, schemaDocument.CreateReader());
        var errors = new List<string>();
        XDocument.Load(path).Validate(schemas, (_, e) => errors.Add(e.Message));
        Assert.Empty(errors);
    }
}
