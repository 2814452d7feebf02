using System.Globalization;
using System.Text;
using System.Xml;
using CiLab.Testing;

namespace CiLab.Reporting;

/// <summary>
/// Writes a <see cref="TestReport"/> as JUnit XML: flat <c>&lt;testsuite&gt;</c>s, times in decimal seconds,
/// <c>file</c>/<c>line</c> when known, bounded output, text cleaned for XML 1.0, and the file replaced atomically.
/// </summary>
public static class JUnitWriter
{
    /// <summary>The most output kept per test case.</summary>
    public const int CaseOutputLimit = 64 * 1024;

    /// <summary>The most output kept per suite.</summary>
    public const int SuiteOutputLimit = 256 * 1024;

    /// <summary>Writes <paramref name="report"/> to <paramref name="path"/>: a reader sees the old file or the whole new one, never half.</summary>
    public static void WriteFile(TestReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(report);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                Write(report, stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Writes <paramref name="report"/> to <paramref name="stream"/> as UTF-8 JUnit XML.</summary>
    public static void Write(TestReport report, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(report);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), CheckCharacters = true };
        using var xml = XmlWriter.Create(stream, settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("testsuites");
        xml.WriteAttributeString("tests", Count(report.Cases.Count()));
        xml.WriteAttributeString("failures", Count(report.Failed));
        xml.WriteAttributeString("errors", Count(report.Errored));
        xml.WriteAttributeString("time", Seconds(report.Suites.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.EffectiveDuration)));
        foreach (var suite in report.Suites)
        {
            WriteSuite(xml, suite);
        }

        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    private static void WriteSuite(XmlWriter xml, TestSuiteResult suite)
    {
        xml.WriteStartElement("testsuite");
        xml.WriteAttributeString("name", XmlText.Clean(suite.Name));
        xml.WriteAttributeString("tests", Count(suite.Cases.Count));
        xml.WriteAttributeString("failures", Count(suite.Count(TestOutcome.Failed)));
        xml.WriteAttributeString("errors", Count(suite.Count(TestOutcome.Errored)));
        xml.WriteAttributeString("skipped", Count(suite.Count(TestOutcome.Skipped)));
        xml.WriteAttributeString("time", Seconds(suite.EffectiveDuration));
        if (suite.Timestamp is { } timestamp)
        {
            xml.WriteAttributeString("timestamp", timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
        }

        if (suite.Properties.TryGetValue("host", out var host))
        {
            xml.WriteAttributeString("hostname", XmlText.Clean(host));
        }

        if (suite.Properties.Count > 0)
        {
            xml.WriteStartElement("properties");
            foreach (var (name, value) in suite.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                xml.WriteStartElement("property");
                xml.WriteAttributeString("name", XmlText.Clean(name));
                xml.WriteAttributeString("value", XmlText.Clean(value));
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        foreach (var testCase in suite.Cases)
        {
            WriteCase(xml, testCase);
        }

        if (suite.Output.Length > 0)
        {
            xml.WriteElementString("system-out", XmlText.Bound(XmlText.Clean(suite.Output), SuiteOutputLimit));
        }

        xml.WriteEndElement();
    }

    private static void WriteCase(XmlWriter xml, TestCaseResult testCase)
    {
        xml.WriteStartElement("testcase");
        xml.WriteAttributeString("classname", XmlText.Clean(testCase.ClassName));
        xml.WriteAttributeString("name", XmlText.Clean(testCase.Name));
        xml.WriteAttributeString("time", Seconds(testCase.Duration));
        if (testCase.File is not null)
        {
            xml.WriteAttributeString("file", XmlText.Clean(testCase.File));
            if (testCase.Line is { } line)
            {
                xml.WriteAttributeString("line", Count(line));
            }
        }

        var output = XmlText.Bound(XmlText.Clean(testCase.Output), CaseOutputLimit);
        var element = testCase.Outcome switch
        {
            TestOutcome.Failed => "failure",
            TestOutcome.Errored => "error",
            TestOutcome.Skipped => "skipped",
            _ => null,
        };
        if (element is not null)
        {
            xml.WriteStartElement(element);
            xml.WriteAttributeString("message", XmlText.Clean(testCase.Message ?? element));
            if (element != "skipped")
            {
                xml.WriteAttributeString("type", element == "failure" ? "AssertionFailure" : "Error");
                xml.WriteString(output);
            }

            xml.WriteEndElement();
        }

        if (output.Length > 0 && element is null or "skipped")
        {
            xml.WriteElementString("system-out", output);
        }

        xml.WriteEndElement();
    }

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
