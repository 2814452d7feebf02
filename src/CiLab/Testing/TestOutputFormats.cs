namespace CiLab.Testing;

/// <summary>The names formats go by in lab files and on the command line (<c>go-test-json</c>, <c>tap</c>, ...).</summary>
public static class TestOutputFormats
{
    private static readonly Dictionary<string, TestOutputFormat> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["go-test-json"] = TestOutputFormat.GoTestJson,
        ["go-test-text"] = TestOutputFormat.GoTestText,
        ["tap"] = TestOutputFormat.Tap,
        ["junit"] = TestOutputFormat.JUnit,
        ["exit-code"] = TestOutputFormat.ExitCode,
        ["dotnet-test"] = TestOutputFormat.DotnetTest,
    };

    /// <summary>Every name, for help texts and schemas.</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    /// <summary>The format called <paramref name="name"/>, or null when there is none.</summary>
    public static TestOutputFormat? TryParse(string name) => ByName.TryGetValue(name, out var format) ? format : null;

    /// <summary>The name of <paramref name="format"/>.</summary>
    public static string NameOf(TestOutputFormat format) => ByName.First(p => p.Value == format).Key;

    /// <summary>
    /// Reads a whole suite output in <paramref name="format"/> from <paramref name="input"/>, streaming.
    /// <paramref name="name"/> names suites the format leaves unnamed (TAP, exit-code).
    /// </summary>
    /// <exception cref="InvalidDataException">JUnit input that is not JUnit XML.</exception>
    public static async Task<TestReport> ReadAsync(TestOutputFormat format, Stream input, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (format is TestOutputFormat.JUnit or TestOutputFormat.DotnetTest)
        {
            return JUnitReader.Read(input, name);
        }

        using var reader = new StreamReader(input, leaveOpen: true);
        if (format == TestOutputFormat.ExitCode)
        {
            var text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodeResult.Create(name, 0, text, TimeSpan.Zero);
        }

        return await TestOutputParser.Create(format, name).ParseAsync(reader, cancellationToken).ConfigureAwait(false);
    }
}
