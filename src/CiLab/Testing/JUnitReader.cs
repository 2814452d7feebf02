using System.Globalization;
using System.Xml;

namespace CiLab.Testing;

/// <summary>Reads JUnit XML written by a suite (for example inside the guest), streaming, nested suites flattened.</summary>
public static class JUnitReader
{
    /// <summary>Reads the JUnit file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not JUnit XML; the message names the file and line.</exception>
    public static TestReport ReadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads JUnit XML from <paramref name="stream"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The stream is not JUnit XML.</exception>
    public static TestReport Read(Stream stream, string source)
    {
        var suites = new List<TestSuiteResult>();
        var stack = new Stack<SuiteState>();
        using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = true });
        try
        {
            if (reader.MoveToContent() != XmlNodeType.Element || reader.LocalName is not ("testsuites" or "testsuite"))
            {
                throw new InvalidDataException($"{source}: not a JUnit report (the root element is <{reader.LocalName}>, expected <testsuites> or <testsuite>).");
            }

            while (!reader.EOF)
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "testsuite")
                {
                    var state = new SuiteState(reader.GetAttribute("name") ?? "(unnamed)", Seconds(reader.GetAttribute("time")), reader.GetAttribute("timestamp"));
                    if (reader.IsEmptyElement)
                    {
                        suites.Add(state.ToSuite());
                    }
                    else
                    {
                        stack.Push(state);
                    }

                    reader.Read();
                }
                else if (reader.NodeType == XmlNodeType.EndElement && reader.LocalName == "testsuite")
                {
                    suites.Add(stack.Pop().ToSuite());
                    reader.Read();
                }
                else if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "testcase" && stack.Count > 0)
                {
                    stack.Peek().Cases.Add(ReadCase(reader, stack.Peek().Name));
                }
                else if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "property" && stack.Count > 0)
                {
                    stack.Peek().Properties[reader.GetAttribute("name") ?? ""] = reader.GetAttribute("value") ?? "";
                    reader.Read();
                }
                else
                {
                    reader.Read();
                }
            }
        }
        catch (XmlException e)
        {
            throw new InvalidDataException($"{source}:{e.LineNumber}: not well-formed JUnit XML: {e.Message}", e);
        }

        return new TestReport(suites);
    }

    private static TestCaseResult ReadCase(XmlReader reader, string suiteName)
    {
        var name = reader.GetAttribute("name") ?? "(unnamed)";
        var className = reader.GetAttribute("classname") ?? suiteName;
        var duration = Seconds(reader.GetAttribute("time")) ?? TimeSpan.Zero;
        var file = reader.GetAttribute("file");
        int? line = int.TryParse(reader.GetAttribute("line"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null;
        var outcome = TestOutcome.Passed;
        string? message = null;
        var output = new System.Text.StringBuilder();
        if (reader.IsEmptyElement)
        {
            reader.Read();
        }
        else
        {
            using var inner = reader.ReadSubtree();
            inner.Read();
            while (inner.Read())
            {
                if (inner.NodeType != XmlNodeType.Element || inner.Depth != 1)
                {
                    continue;
                }

                switch (inner.LocalName)
                {
                    case "failure" or "error" or "skipped":
                        outcome = inner.LocalName switch { "failure" => TestOutcome.Failed, "error" => TestOutcome.Errored, _ => TestOutcome.Skipped };
                        message = inner.GetAttribute("message");
                        var body = inner.ReadElementContentAsString();
                        output.Append(body);
                        message ??= body.Split('\n').FirstOrDefault(x => x.Trim().Length > 0)?.Trim();
                        break;
                    case "system-out" or "system-err":
                        output.Append(inner.ReadElementContentAsString());
                        break;
                }
            }

            reader.Read();
        }

        return new TestCaseResult { ClassName = className, Name = name, Outcome = outcome, Duration = duration, Message = message, Output = output.ToString(), File = file, Line = line };
    }

    private static TimeSpan? Seconds(string? text) =>
        double.TryParse(text?.Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? TimeSpan.FromSeconds(s) : null;

    private sealed class SuiteState(string name, TimeSpan? duration, string? timestamp)
    {
        public string Name { get; } = name;

        public List<TestCaseResult> Cases { get; } = [];

        public Dictionary<string, string> Properties { get; } = [];

        public TestSuiteResult ToSuite() => new()
        {
            Name = Name,
            Cases = Cases,
            Duration = duration,
            Properties = Properties,
            Timestamp = DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null,
        };
    }
}
