namespace CiLab.Testing;

/// <summary>
/// Reads a suite's output line by line as it streams and turns it into results. Feed it with
/// <see cref="ReadLine"/> (for example from a command's output callback), then call <see cref="Complete"/>:
/// tests still running when the stream ends become errors, never passes.
/// </summary>
public abstract class TestOutputParser
{
    /// <summary>A parser whose cases share <paramref name="budget"/> (a fresh default one when null).</summary>
    private protected TestOutputParser(OutputBudget? budget = null) => Budget = budget ?? new OutputBudget(OutputBudget.Default);

    /// <summary>How much output this parser's cases may still keep in memory.</summary>
    private protected OutputBudget Budget { get; }

    /// <summary>The cases ended so far, for progress while the output streams.</summary>
    public TestTally Tally { get; } = new();

    /// <summary>Reads one line of output (without its line break).</summary>
    public abstract void ReadLine(string line);

    /// <summary>Ends the stream and returns the results.</summary>
    public abstract TestReport Complete();

    /// <summary>A parser for a line-oriented <paramref name="format"/>; <paramref name="suiteName"/> names suites the format leaves unnamed.</summary>
    /// <exception cref="ArgumentException">The format is not line-oriented (use <see cref="JUnitReader"/> or <see cref="ExitCodeResult"/>).</exception>
    public static TestOutputParser Create(TestOutputFormat format, string suiteName) => format switch
    {
        TestOutputFormat.GoTestJson => new GoTestJsonParser(),
        TestOutputFormat.GoTestText => new GoTestTextParser(),
        TestOutputFormat.Tap => new TapParser(suiteName),
        _ => throw new ArgumentException($"{format} output is not read line by line; use {nameof(JUnitReader)} or {nameof(ExitCodeResult)}.", nameof(format)),
    };

    /// <summary>Reads <paramref name="reader"/> to its end and returns the results.</summary>
    public async Task<TestReport> ParseAsync(TextReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            ReadLine(line);
        }

        return Complete();
    }
}
