using System.Text.Json;

namespace CiLab.Testing;

/// <summary>
/// Reads <c>go test -json</c> (test2json) events: a suite per package, subtests as <c>Parent/sub</c>;
/// build failures, panics, timeouts and tests left running become errors carrying the output that explains them.
/// </summary>
internal sealed partial class GoTestJsonParser : TestOutputParser
{
    private readonly Dictionary<string, GoPackage> _packages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CaseBuilder> _buildOutput = new(StringComparer.Ordinal);
    private readonly CaseBuilder _stray;
    private bool _hasStray;

    public GoTestJsonParser(OutputBudget? budget = null)
        : base(budget) => _stray = new CaseBuilder("go test", "(output)", Budget);
    private string? _plainBuildPackage;

    public override void ReadLine(string line)
    {
        if (!TryParse(line, out var e))
        {
            ReadPlainLine(line);
            return;
        }

        switch (e.Action)
        {
            case "build-output":
                BuildOutputFor(e.ImportPath).AppendLine(e.Output?.TrimEnd('\n') ?? string.Empty);
                return;
            case "build-fail":
                return;
        }

        if (e.Package is null)
        {
            return;
        }

        var package = Package(e.Package);
        switch (e.Action)
        {
            case "run" when e.Test is not null:
                package.Run(e.Test);
                break;
            case "output" when e.Test is not null:
                package.Running(e.Test).AppendLine(e.Output?.TrimEnd('\n') ?? string.Empty);
                break;
            case "output":
                package.Output.AppendLine(e.Output?.TrimEnd('\n') ?? string.Empty);
                break;
            case "pass" or "fail" or "skip" when e.Test is not null:
                package.End(e.Test, e.Action switch { "pass" => TestOutcome.Passed, "fail" => TestOutcome.Failed, _ => TestOutcome.Skipped }, e.Elapsed);
                break;
            case "pass" or "fail" or "skip":
                package.Finish(e.Action, e.Elapsed, _buildOutput.GetValueOrDefault(e.Package));
                break;
        }
    }

    public override TestReport Complete()
    {
        foreach (var package in _packages.Values.Where(p => !p.Finished))
        {
            package.Abandon("the output ended while this test was still running (truncated stream, or the test binary was killed)");
        }

        var suites = _packages.Values.Select(p => p.ToSuite()).ToList();
        if (_hasStray && suites.All(s => s.Cases.Count == 0))
        {
            // Nothing parsed at all: the go command itself failed (bad flags, no module, ...).
            suites.Add(new TestSuiteResult { Name = "go test", Cases = [_stray.Finish(TestOutcome.Errored, TimeSpan.Zero)] });
        }
        else if (_hasStray && suites.Count > 0)
        {
            suites[^1] = suites[^1] with { Output = suites[^1].Output + _stray.Output };
        }

        return new TestReport(suites);
    }

    // Before Go 1.24 the go command prints build failures as plain text, not as events:
    // "# pkg [pkg.test]", the compiler's lines, then "FAIL\tpkg [build failed]".
    private void ReadPlainLine(string line)
    {
        if (line.StartsWith("# ", StringComparison.Ordinal))
        {
            _plainBuildPackage = line[2..].Split(' ')[0];
            BuildOutputFor(_plainBuildPackage).AppendLine(line);
        }
        else if (BuildFailed().Match(line) is { Success: true } failed)
        {
            var name = failed.Groups["package"].Value;
            var package = Package(name);
            if (!package.Finished)
            {
                package.Output.AppendLine(line);
                package.Finish("fail", null, _buildOutput.GetValueOrDefault(name));
            }

            _plainBuildPackage = null;
        }
        else if (_plainBuildPackage is not null)
        {
            BuildOutputFor(_plainBuildPackage).AppendLine(line);
        }
        else
        {
            // The go command's own messages, or a line cut short by truncation.
            _stray.AppendLine(line);
            _hasStray |= line.Trim().Length > 0;
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^FAIL\s+(?<package>\S+) \[(?:build|setup) failed\]")]
    private static partial System.Text.RegularExpressions.Regex BuildFailed();

    private CaseBuilder BuildOutputFor(string? importPath)
    {
        // "example.com/m [example.com/m.test]" builds the test binary of example.com/m.
        var package = (importPath ?? "").Split(' ')[0];
        if (!_buildOutput.TryGetValue(package, out var builder))
        {
            _buildOutput[package] = builder = new CaseBuilder(package, "(build)", Budget);
        }

        return builder;
    }

    private GoPackage Package(string name)
    {
        if (!_packages.TryGetValue(name, out var package))
        {
            _packages[name] = package = new GoPackage(name, Budget, Tally);
        }

        return package;
    }

    private static bool TryParse(string line, out GoTestEvent e)
    {
        e = default;
        if (!line.StartsWith('{'))
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(line));
            string? action = null, package = null, test = null, output = null, importPath = null;
            double? elapsed = null;
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                {
                    continue;
                }

                var property = reader.GetString();
                reader.Read();
                switch (property)
                {
                    case "Action": action = Text(ref reader); break;
                    case "Package": package = Text(ref reader); break;
                    case "Test": test = Text(ref reader); break;
                    case "Output": output = Text(ref reader); break;
                    case "ImportPath": importPath = Text(ref reader); break;
                    case "Elapsed": elapsed = reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var d) ? d : throw new JsonException("Elapsed is not a number"); break;
                    default: reader.Skip(); break;
                }
            }

            e = new GoTestEvent(action ?? string.Empty, package, test, output, importPath, elapsed);
            return action is not null;
        }
        catch (JsonException)
        {
            // Not an event after all (wrong types, cut short): read as plain text, so a test it would have ended stays running and becomes an error.
            return false;
        }
    }

    private static string? Text(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"expected a string, found {reader.TokenType}"),
    };

    private readonly record struct GoTestEvent(string Action, string? Package, string? Test, string? Output, string? ImportPath, double? Elapsed);

    /// <summary>One package's cases while its events stream in.</summary>
    private sealed class GoPackage(string name, OutputBudget budget, TestTally tally)
    {
        private readonly Dictionary<string, CaseBuilder> _running = new(StringComparer.Ordinal);
        private readonly List<TestCaseResult> _done = [];
        private TimeSpan? _elapsed;

        public CaseBuilder Output { get; } = new(name, "(package)", budget);

        public bool Finished { get; private set; }

        public void Run(string test) => _running[test] = new CaseBuilder(name, test, budget);

        public CaseBuilder Running(string test)
        {
            if (!_running.TryGetValue(test, out var builder))
            {
                _running[test] = builder = new CaseBuilder(name, test, budget);
            }

            return builder;
        }

        public void End(string test, TestOutcome outcome, double? elapsed)
        {
            var builder = Running(test);
            _running.Remove(test);
            _done.Add(builder.Finish(outcome, Seconds(elapsed)));
            tally.Add(outcome);
        }

        public void Finish(string action, double? elapsed, CaseBuilder? buildOutput)
        {
            Finished = true;
            _elapsed = Seconds(elapsed);
            var output = Output.Output;
            if (_running.Count > 0)
            {
                var runningOutput = output + string.Concat(_running.Values.Select(r => r.Output));
                var reason = runningOutput.Contains("panic: test timed out", StringComparison.Ordinal)
                    ? "the test timed out (go test -timeout)"
                    : runningOutput.Contains("panic:", StringComparison.Ordinal)
                        ? "the test binary panicked while this test was running"
                        : "the package ended while this test was still running";
                Abandon(reason);
            }

            var anyFailed = _done.Any(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored);
            if (action == "fail" && !anyFailed)
            {
                // The package failed but no test did: a build failure, a TestMain failure, a panic in init.
                var why = buildOutput is not null ? buildOutput : Output;
                var message = buildOutput is not null ? "the package did not build" : "the package failed outside any test";
                _done.Add(why.Finish(TestOutcome.Errored, TimeSpan.Zero, message + ": " + FirstLine(why.Output)));
            }
        }

        public void Abandon(string reason)
        {
            foreach (var builder in _running.Values)
            {
                builder.AppendLine(Output.Output.TrimEnd('\n'));
                _done.Add(builder.Finish(TestOutcome.Errored, TimeSpan.Zero, reason));
            }

            _running.Clear();
            if (!Finished && _done.Count == 0)
            {
                _done.Add(Output.Finish(TestOutcome.Errored, TimeSpan.Zero, reason));
            }

            Finished = true;
        }

        public TestSuiteResult ToSuite() => new() { Name = name, Cases = _done, Duration = _elapsed, Output = Output.Output };

        private static TimeSpan Seconds(double? seconds) => Durations.FromSeconds(seconds) ?? TimeSpan.Zero;

        private static string FirstLine(string text) =>
            text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#')) ?? string.Empty;
    }
}
