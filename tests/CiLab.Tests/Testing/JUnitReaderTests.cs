using System.Text;
using CiLab.Testing;

namespace CiLab.Tests.Testing;

public sealed class JUnitReaderTests
{
    [Fact]
    public void A_report_from_xunit_v3_reads_back_with_its_outcomes()
    {
        var report = JUnitReader.ReadFile(Fixture.PathOf("xunit-v3.junit.xml"));
        Assert.Equal(3, report.Cases.Count());
        Assert.Equal(TestOutcome.Skipped, report.Case("T.B").Outcome);
        Assert.Equal(TestOutcome.Failed, report.Case("T.C").Outcome);
        Assert.StartsWith("Assert.Equal() Failure", report.Case("T.C").Message, StringComparison.Ordinal);
        Assert.Equal(TestOutcome.Passed, report.Case("T.A").Outcome);
    }

    [Fact]
    public void Nested_suites_are_flattened_and_file_and_line_are_kept()
    {
        const string xml = """
            <testsuites><testsuite name="outer" tests="1" failures="0" errors="0">
              <testsuite name="inner" tests="1" failures="1" errors="0">
                <properties><property name="vm" value="phase4"/></properties>
                <testcase classname="worker" name="mounts" time="1.5" file="worker_test.go" line="12"><failure message="busy">stack</failure></testcase>
              </testsuite>
              <testcase classname="worker" name="plain" time="0.25"/>
            </testsuite></testsuites>
            """;
        var report = JUnitReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(xml)), "inline");
        Assert.Equal(["inner", "outer"], report.Suites.Select(s => s.Name));
        var mounts = report.Case("mounts");
        Assert.Equal(("worker_test.go", 12), (mounts.File, mounts.Line!.Value));
        Assert.Equal(TimeSpan.FromSeconds(1.5), mounts.Duration);
        Assert.Equal("busy", mounts.Message);
        Assert.Equal("phase4", report.Suites[0].Properties["vm"]);
    }

    [Fact]
    public void Malformed_xml_names_the_source_and_line()
    {
        var e = Assert.Throws<InvalidDataException>(() => JUnitReader.Read(new MemoryStream(Encoding.UTF8.GetBytes("<testsuites>\n<testsuite name='x'>\n</testsuites>")), "guest.xml"));
        Assert.StartsWith("guest.xml:3:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Xml_that_is_not_junit_is_refused()
    {
        var e = Assert.Throws<InvalidDataException>(() => JUnitReader.Read(new MemoryStream(Encoding.UTF8.GetBytes("<html/>")), "page.xml"));
        Assert.Contains("root element is <html>", e.Message, StringComparison.Ordinal);
    }
}
