using System.Text.RegularExpressions;

namespace CiLab.Testing;

/// <summary>
/// Reads plain <c>go test -v</c> text. Cases are known by name until the package's closing
/// <c>ok</c>/<c>FAIL</c> line names their package; lines go to the test that ran or reported last.
/// </summary>
internal sealed partial class GoTestTextParser : TestOutputParser
{
    private readonly Dictionary<string, CaseBuilder> _running = new(StringComparer.Ordinal);
    private readonly List<(CaseBuilder Builder, TestOutcome Outcome, TimeSpan Duration)> _ended = [];
    private readonly List<TestSuiteResult> _suites = [];
    private CaseBuilder _packageOutput = new("", "(package)");
    private readonly Dictionary<string, CaseBuilder> _buildOutput = new(StringComparer.Ordinal);
    private CaseBuilder? _current;
    private CaseBuilder? _build;

    public override void ReadLine(string line)
    {
        if (line.StartsWith("# ", StringComparison.Ordinal))
        {
            // "# pkg [pkg.test]" opens the compiler's output for a package that will end "[build failed]".
            var package = line[2..].Split(' ')[0];
            _build = _buildOutput[package] = new CaseBuilder(package, "(build)", Budget);
            _build.AppendLine(line);
            return;
        }

        if (_build is not null && !line.StartsWith("=== ", StringComparison.Ordinal) && !PackageEnd().IsMatch(line))
        {
            _build.AppendLine(line);
            return;
        }

        _build = null;
        if (Marker().Match(line) is { Success: true } marker)
        {
            var name = marker.Groups["name"].Value;
            _current = marker.Groups["verb"].Value == "RUN" ? (_running[name] = new CaseBuilder("", name, Budget)) : Running(name);
            if (marker.Groups["verb"].Value == "RUN")
            {
                return;
            }

            _current.AppendLine(line);
            return;
        }

        if (Result().Match(line) is { Success: true } result)
        {
            var name = result.Groups["name"].Value;
            var builder = Running(name);
            _running.Remove(name);
            var outcome = result.Groups["verb"].Value switch { "PASS" => TestOutcome.Passed, "FAIL" => TestOutcome.Failed, _ => TestOutcome.Skipped };
            _ended.Add((builder, outcome, Durations.ParseSeconds(result.Groups["seconds"].Value) ?? TimeSpan.Zero));
            Tally.Add(outcome);
            _current = builder; // Older Go prints a test's log lines after its result line.
            return;
        }

        if (PackageEnd().Match(line) is { Success: true } end)
        {
            EndPackage(end.Groups["package"].Value, end.Groups["status"].Value, end.Groups["rest"].Value);
            return;
        }

        if (line is "PASS" or "FAIL")
        {
            _current = null;
            return;
        }

        (_current ?? _packageOutput).AppendLine(line);
    }

    public override TestReport Complete()
    {
        if (_running.Count > 0 || _ended.Count > 0)
        {
            EndPackage("(unknown package)", "truncated", "");
        }

        return new TestReport(_suites);
    }

    private CaseBuilder Running(string name)
    {
        if (!_running.TryGetValue(name, out var builder))
        {
            _running[name] = builder = new CaseBuilder("", name, Budget);
        }

        return builder;
    }

    private void EndPackage(string package, string status, string rest)
    {
        var cases = _ended.Select(e => Rename(e.Builder.Finish(e.Outcome, e.Duration), package)).ToList();
        var reason = status == "truncated"
            ? "the output ended while this test was still running"
            : _packageOutput.Output.Contains("panic: test timed out", StringComparison.Ordinal) ? "the test timed out (go test -timeout)"
            : "the package ended while this test was still running";
        foreach (var builder in _running.Values)
        {
            builder.AppendLine(_packageOutput.Output.TrimEnd('\n'));
            cases.Add(Rename(builder.Finish(TestOutcome.Errored, TimeSpan.Zero, reason), package));
        }

        if (status == "FAIL" && !cases.Any(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored))
        {
            var build = rest.Contains("[build failed]", StringComparison.Ordinal) ? _buildOutput.GetValueOrDefault(package) ?? new CaseBuilder(package, "(build)", Budget) : null;
            var message = build is not null ? "the package did not build" : "the package failed outside any test";
            cases.Add(Rename((build ?? _packageOutput).Finish(TestOutcome.Errored, TimeSpan.Zero, message + FirstError(build)), package));
        }

        if (cases.Count > 0 || status == "FAIL")
        {
            _suites.Add(new TestSuiteResult { Name = package, Cases = cases, Output = _packageOutput.Output });
        }

        _running.Clear();
        _ended.Clear();
        _packageOutput = new CaseBuilder("", "(package)", Budget);
        _current = null;
    }

    private static string FirstError(CaseBuilder? build) =>
        build?.Output.Split('\n').FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#')) is { } line ? ": " + line : string.Empty;

    private static TestCaseResult Rename(TestCaseResult result, string package) => result with { ClassName = package };

    [GeneratedRegex(@"^=== (?<verb>RUN|PAUSE|CONT|NAME)\s+(?<name>\S+)")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^\s*--- (?<verb>PASS|FAIL|SKIP): (?<name>\S+) \((?<seconds>[\d.]+)s\)")]
    private static partial Regex Result();

    [GeneratedRegex(@"^(?<status>ok|FAIL)\s+(?<package>\S+)(?<rest>.*)$")]
    private static partial Regex PackageEnd();
}
