using System.Text;
using System.Text.RegularExpressions;

namespace CiLab.Testing;

/// <summary>A test case while its output streams in: bounded output, then a result.</summary>
internal sealed partial class CaseBuilder(string className, string name, OutputBudget? budget = null)
{
    internal const int OutputLimit = 64 * 1024;
    private const int PassedOutputLimit = 512; // Passed tests are many; their logs matter little.

    private readonly StringBuilder _output = new();
    private int _trimmed;
    private long _dropped;
    private bool _finished;

    public string ClassName { get; } = className;

    public string Name { get; } = name;

    public void AppendLine(string line) => Append(line + "\n");

    /// <summary>Appends text as it is (it may hold several lines, or part of one).</summary>
    public void Append(string text)
    {
        if (budget is not null && !budget.TryTake(text.Length))
        {
            _dropped += text.Length;
            return;
        }

        _output.Append(text);
        if (_output.Length > OutputLimit)
        {
            // Keep the end: that is where failures and panics are.
            var remove = _output.Length - (OutputLimit * 3 / 4);
            _output.Remove(0, remove);
            _trimmed += remove;
            budget?.Give(remove);
        }
    }

    public string Output =>
        (_trimmed > 0 ? $"[… {_trimmed} earlier characters trimmed …]\n{_output}" : _output.ToString())
        + (_dropped > 0 ? $"[… {_dropped} characters not kept: the suite's output went past what CiLab keeps in memory …]\n" : string.Empty);

    public TestCaseResult Finish(TestOutcome outcome, TimeSpan duration, string? message = null)
    {
        var output = Output;
        if (outcome == TestOutcome.Passed && output.Length > PassedOutputLimit)
        {
            output = "[… trimmed …]\n" + output[^PassedOutputLimit..];
        }

        if (!_finished && budget is not null)
        {
            // From here the result holds the output: account for what it keeps, not for the builder's buffer.
            budget.Give(_output.Length);
            budget.Take(output.Length);
        }

        _finished = true;
        var location = outcome == TestOutcome.Passed ? null : FindLocation(output);
        return new TestCaseResult
        {
            ClassName = ClassName,
            Name = Name,
            Outcome = outcome,
            Duration = duration,
            Message = message ?? (outcome == TestOutcome.Passed ? null : location is { Message.Length: > 0 } ? location.Value.Message : FirstMeaningfulLine(output) ?? $"{outcome.ToString().ToLowerInvariant()} without a message"),
            Output = output,
            File = location?.File,
            Line = location?.Line,
        };
    }

    /// <summary>
    /// The last "file.go:12: message" in the output (Go prints the failing call last), else Test::More's
    /// "at file line 12." or bats' "(in test file file, line 12)".
    /// </summary>
    internal static (string File, int Line, string Message)? FindLocation(string output)
    {
        var match = SourceLocation().Matches(output).LastOrDefault() ?? OtherLocation().Match(output);
        return match.Success && int.TryParse(match.Groups["line"].Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var line)
            ? (match.Groups["file"].Value, line, match.Groups["message"].Value.Trim())
            : null;
    }

    private static string? FirstMeaningfulLine(string output) =>
        output.Split('\n').Select(l => l.Trim().TrimStart('#').Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith("=== ", StringComparison.Ordinal) && !l.StartsWith("--- ", StringComparison.Ordinal));

    [GeneratedRegex(@"^\s*(?<file>[\w./-]+\.\w+):(?<line>\d+):(?<message>.*)$", RegexOptions.Multiline)]
    private static partial Regex SourceLocation();

    [GeneratedRegex(@"(?:\bat (?<file>\S+) line (?<line>\d+)\.|\(in test file (?<file>[^,]+), line (?<line>\d+)\))(?<message>)")]
    private static partial Regex OtherLocation();
}
