using System.Globalization;
using System.Xml;

namespace CiLab.Testing;

/// <summary>
/// Reads JUnit XML written by a suite (for example inside the guest), streaming, nested suites flattened. The file is
/// untrusted: DTDs are refused, each case's output is bounded, and so are the number of cases and the document's size.
/// </summary>
public static class JUnitReader
{
    /// <summary>At most this many test cases are read from one file.</summary>
    public const int MaxCases = 200_000;

    private const long MaxCharacters = 512L * 1024 * 1024;

    /// <summary>Reads the JUnit file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not JUnit XML, or too large; the message names the file and line.</exception>
    public static TestReport ReadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads JUnit XML from <paramref name="stream"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The stream is not JUnit XML, or too large.</exception>
    public static TestReport Read(Stream stream, string source)
    {
        var suites = new List<TestSuiteResult>();
        var stack = new Stack<SuiteState>();
        var cases = 0;
        var budget = new OutputBudget(OutputBudget.Default);
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreWhitespace = true, MaxCharactersInDocument = MaxCharacters };
        using var reader = XmlReader.Create(stream, settings);
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
                    var state = new SuiteState(reader.GetAttribute("name") ?? "(unnamed)", Durations.ParseSeconds(reader.GetAttribute("time")), reader.GetAttribute("timestamp"), Count(reader, "failures") + Count(reader, "errors"));
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
                    if (++cases > MaxCases)
                    {
                        throw new InvalidDataException($"{source}: more than {MaxCases:N0} test cases; refusing to read on.");
                    }

                    stack.Peek().Cases.Add(ReadCase(reader, stack.Peek().Name, budget));
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

    private static TestCaseResult ReadCase(XmlReader reader, string suiteName, OutputBudget budget)
    {
        var name = reader.GetAttribute("name") ?? "(unnamed)";
        var builder = new CaseBuilder(reader.GetAttribute("classname") ?? suiteName, name, budget);
        var duration = Durations.ParseSeconds(reader.GetAttribute("time")) ?? TimeSpan.Zero;
        var file = reader.GetAttribute("file");
        int? line = int.TryParse(reader.GetAttribute("line"), NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : null;
        var outcome = TestOutcome.Passed;
        string? message = null;
        if (reader.IsEmptyElement)
        {
            reader.Read();
        }
        else
        {
            using (var inner = reader.ReadSubtree())
            {
                inner.Read();
                inner.Read();
                while (!inner.EOF)
                {
                    if (inner.NodeType != XmlNodeType.Element || inner.Depth != 1)
                    {
                        inner.Read();
                        continue;
                    }

                    // Every branch leaves the reader just past the element it read. Reading on from there as well would
                    // step over a <failure> that directly follows a <system-out>, and a failed test would read as passed.
                    switch (inner.LocalName)
                    {
                        case "failure" or "error" or "skipped":
                            var found = inner.LocalName switch { "failure" => TestOutcome.Failed, "error" => TestOutcome.Errored, _ => TestOutcome.Skipped };
                            var attribute = inner.GetAttribute("message");
                            var body = ReadText(inner, builder);
                            if (Severity(found) > Severity(outcome))
                            {
                                // The worst outcome wins: a <skipped/> after a <failure> does not hide it.
                                outcome = found;
                                message = attribute ?? body.Split('\n').FirstOrDefault(x => x.Trim().Length > 0)?.Trim();
                            }

                            break;
                        case "system-out" or "system-err":
                            ReadText(inner, builder);
                            break;
                        default:
                            inner.Skip();
                            break;
                    }
                }
            }

            reader.Read();
        }

        var result = builder.Finish(outcome, duration, outcome == TestOutcome.Passed ? null : message ?? $"{outcome.ToString().ToLowerInvariant()} without a message");
        return result with { File = file ?? result.File, Line = file is not null ? line : result.Line };
    }

    /// <summary>Appends the element's text (nested elements' included) to the case's bounded output and leaves the reader past it; returns the text's beginning.</summary>
    private static string ReadText(XmlReader reader, CaseBuilder builder)
    {
        var beginning = new System.Text.StringBuilder();
        var chunk = new char[16 * 1024];
        using (var element = reader.ReadSubtree())
        {
            while (element.Read())
            {
                if (element.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace or XmlNodeType.Whitespace)
                {
                    // In chunks: one text node may be hundreds of megabytes.
                    int read;
                    while ((read = element.ReadValueChunk(chunk, 0, chunk.Length)) > 0)
                    {
                        builder.Append(new string(chunk, 0, read));
                        beginning.Append(chunk, 0, Math.Min(read, Math.Max(0, 4096 - beginning.Length)));
                    }
                }
            }
        }

        reader.Read();
        return beginning.ToString();
    }

    private static int Count(XmlReader reader, string attribute) =>
        int.TryParse(reader.GetAttribute(attribute), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static int Severity(TestOutcome outcome) => outcome switch
    {
        TestOutcome.Passed => 0,
        TestOutcome.Skipped => 1,
        TestOutcome.Failed => 2,
        _ => 3,
    };

    private sealed class SuiteState(string name, TimeSpan? duration, string? timestamp, int declaredFailures)
    {
        public string Name { get; } = name;

        public List<TestCaseResult> Cases { get; } = [];

        public Dictionary<string, string> Properties { get; } = [];

        public TestSuiteResult ToSuite()
        {
            // A suite that says it failed must not read as green because its failing cases are missing (a writer cut short).
            var found = Cases.Count(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored);
            var cases = declaredFailures > found
                ? [.. Cases, new TestCaseResult
                {
                    ClassName = Name,
                    Name = "(suite)",
                    Outcome = TestOutcome.Errored,
                    Message = $"the suite declares {declaredFailures} failures and errors, but only {found} failing test case(s) are in the file",
                }]
                : Cases;
            return new()
            {
                Name = Name,
                Cases = cases,
                Duration = duration,
                Properties = Properties,
                Timestamp = DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null,
            };
        }
    }
}
