using System.Globalization;
using System.Text.RegularExpressions;

namespace CiLab.Testing;

/// <summary>
/// Reads the Test Anything Protocol (12, 13, 14): the plan, test points with SKIP and TODO, <c>Bail out!</c>,
/// YAML diagnostics, comments, and indented subtests (named <c>parent/child</c>).
/// </summary>
internal sealed partial class TapParser : TestOutputParser
{
    private readonly string _suite;
    private readonly string _prefix;
    private readonly List<TestCaseResult> _cases = [];
    private readonly CaseBuilder _preamble;
    private CaseBuilder? _last;
    private TestOutcome _lastOutcome;
    private string? _lastMessage;
    private bool _inYaml;
    private int? _planned;
    private string? _planSkip;
    private int _points;
    private string? _bailOut;
    private TapParser? _subtest;
    private string? _subtestName;

    // Subtests nest by indentation; a hostile line of endless spaces must not recurse without end.
    private const int MaxDepth = 16;
    private readonly int _depth;

    public TapParser(string suite, string prefix = "", int depth = 0, OutputBudget? budget = null)
        : base(budget)
    {
        _suite = suite;
        _prefix = prefix;
        _depth = depth;
        _preamble = new CaseBuilder(suite, prefix + "(preamble)", Budget);
    }

    public override void ReadLine(string line)
    {
        if (_bailOut is not null)
        {
            return;
        }

        if (_inYaml)
        {
            ReadYaml(line);
            return;
        }

        if (_depth < MaxDepth && line.StartsWith("    ", StringComparison.Ordinal) && (_subtest is not null || SubtestContent().IsMatch(line)))
        {
            _subtest ??= new TapParser(_suite, _prefix + (_subtestName ?? "subtest") + "/", _depth + 1, Budget);
            _subtest.ReadLine(line[4..]);
            return;
        }

        if (SubtestHeader().Match(line) is { Success: true } header)
        {
            FlushLast();
            _subtestName = header.Groups["name"].Value.Trim();
            return;
        }

        if (TestPoint().Match(line) is { Success: true } point)
        {
            ReadTestPoint(point);
            return;
        }

        if (Plan().Match(line) is { Success: true } plan)
        {
            if (!int.TryParse(plan.Groups["count"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var planned))
            {
                _cases.Add(Error("(plan)", $"the plan '{line}' asks for more tests than can exist"));
                return;
            }

            _planned = planned;
            _planSkip = plan.Groups["skip"].Success ? plan.Groups["skip"].Value.Trim() : null;
            return;
        }

        if (BailOut().Match(line) is { Success: true } bail)
        {
            FlushLast();
            _bailOut = bail.Groups["reason"].Value.Trim();
            var builder = new CaseBuilder(_suite, _prefix + "Bail out!", Budget);
            builder.AppendLine(line);
            _cases.Add(builder.Finish(TestOutcome.Errored, TimeSpan.Zero, $"Bail out! {_bailOut}".Trim()));
            return;
        }

        if (line.TrimStart().StartsWith("---", StringComparison.Ordinal) && _last is not null && line.TrimStart() == "---")
        {
            _inYaml = true;
            return;
        }

        // Comments and anything else: diagnostics belong to the test point just before them (Test::More prints them after "not ok").
        (_last ?? _preamble).AppendLine(line);
    }

    public override TestReport Complete()
    {
        var cases = CompleteCases();
        return new TestReport([new TestSuiteResult { Name = _suite, Cases = cases, Output = _preamble.Output }]);
    }

    private List<TestCaseResult> CompleteCases()
    {
        FlushLast();
        if (_bailOut is null)
        {
            if (_planned is null && _points > 0)
            {
                _cases.Add(Error("(plan)", "the stream ended without a plan (1..N): it may have been cut short"));
            }
            else if (_planned is { } planned && _points < planned)
            {
                _cases.Add(Error("(missing tests)", $"planned {planned} tests but only {_points} ran"));
            }
            else if (_planned == 0 && _planSkip is not null)
            {
                _cases.Add(new CaseBuilder(_suite, _prefix + "(all)", Budget).Finish(TestOutcome.Skipped, TimeSpan.Zero, _planSkip.Length > 0 ? _planSkip : "skipped"));
            }
        }

        return _cases;
    }

    private void ReadTestPoint(Match point)
    {
        FlushLast();
        _points++;
        var ok = !point.Groups["not"].Success;
        var number = point.Groups["number"].Success ? point.Groups["number"].Value : _points.ToString(CultureInfo.InvariantCulture);
        var description = point.Groups["description"].Value.Trim();
        var directive = point.Groups["directive"].Success ? point.Groups["directive"].Value.ToUpperInvariant() : null;
        var reason = point.Groups["reason"].Value.Trim();

        var name = _subtest is not null ? null : (description.Length > 0 ? description : $"test {number}");
        if (_subtest is not null)
        {
            // The test point after an indented block closes that subtest: its cases stand for it.
            var children = _subtest.CompleteCases();
            _cases.AddRange(children);
            var subtestFailed = !ok && directive != "TODO";
            _subtest = null;
            _subtestName = null;
            if (!subtestFailed || children.Any(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored))
            {
                _last = null;
                return;
            }

            name = description.Length > 0 ? description : $"test {number}";
        }

        _last = new CaseBuilder(_suite, _prefix + name, Budget);
        (_lastOutcome, _lastMessage) = directive switch
        {
            "SKIP" => (TestOutcome.Skipped, (string?)(reason.Length > 0 ? reason : "skipped")),
            "TODO" => (TestOutcome.Skipped, "TODO" + (reason.Length > 0 ? ": " + reason : string.Empty)),
            _ => ok ? (TestOutcome.Passed, null) : (TestOutcome.Failed, null),
        };
    }

    private void ReadYaml(string line)
    {
        var trimmed = line.Trim();
        if (trimmed == "...")
        {
            _inYaml = false;
            return;
        }

        _last!.AppendLine(line);
        if (_lastOutcome == TestOutcome.Failed && YamlKey().Match(trimmed) is { Success: true } key && key.Groups["key"].Value == "message")
        {
            _lastMessage ??= key.Groups["value"].Value.Trim().Trim('\'', '"');
        }
    }

    private void FlushLast()
    {
        if (_last is null)
        {
            return;
        }

        var result = _last.Finish(_lastOutcome, TimeSpan.Zero, _lastMessage);
        if (result.Outcome == TestOutcome.Failed && result.File is null && YamlLocation(result.Output) is { } location)
        {
            result = result with { File = location.File, Line = location.Line };
        }

        _cases.Add(result);
        Tally.Add(result.Outcome);
        _last = null;
        _inYaml = false;
    }

    private TestCaseResult Error(string name, string message) => new CaseBuilder(_suite, _prefix + name, Budget).Finish(TestOutcome.Errored, TimeSpan.Zero, message);

    private static (string File, int Line)? YamlLocation(string output)
    {
        var file = YamlFile().Match(output);
        var line = YamlLine().Match(output);
        return file.Success && line.Success && int.TryParse(line.Groups["v"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? (file.Groups["v"].Value.Trim().Trim('\'', '"'), number)
            : null;
    }

    [GeneratedRegex(@"^(?<not>not )?ok\b(?:\s+(?<number>\d+))?(?:\s*-)?(?<description>[^#]*)(?:#\s*(?<directive>SKIP|TODO)\S*(?<reason>.*))?", RegexOptions.IgnoreCase)]
    private static partial Regex TestPoint();

    [GeneratedRegex(@"^1\.\.(?<count>\d+)(?:\s*#\s*(?:SKIP|skip)\S*(?<skip>.*))?")]
    private static partial Regex Plan();

    [GeneratedRegex(@"^Bail out!(?<reason>.*)$")]
    private static partial Regex BailOut();

    [GeneratedRegex(@"^\s*#\s*Subtest:?(?<name>.*)$")]
    private static partial Regex SubtestHeader();

    [GeneratedRegex(@"^    (?:(?:not )?ok\b|1\.\.\d|TAP version)")]
    private static partial Regex SubtestContent();

    [GeneratedRegex(@"^(?<key>[\w-]+):\s*(?<value>.*)$")]
    private static partial Regex YamlKey();

    [GeneratedRegex(@"^\s*file:\s*(?<v>.+)$", RegexOptions.Multiline)]
    private static partial Regex YamlFile();

    [GeneratedRegex(@"^\s*line:\s*(?<v>\d+)", RegexOptions.Multiline)]
    private static partial Regex YamlLine();
}
