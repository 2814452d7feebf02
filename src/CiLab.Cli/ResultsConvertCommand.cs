using System.CommandLine;
using CiLab.Reporting;
using CiLab.Testing;

namespace CiLab.Cli;

/// <summary><c>cilab results convert</c>: test output in, JUnit out, a summary, and an exit code that says how it went.</summary>
internal static class ResultsConvertCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var format = new Option<string>("--format", "-f")
        {
            Description = "The input's format",
            Required = true,
        };
        format.AcceptOnlyFromAmong([.. TestOutputFormats.Names.Where(n => n != "exit-code")]);
        var outputFile = new Option<string?>("--output", "-o") { Description = "The JUnit file to write (default: standard output, with the summary on standard error)" };
        var name = new Option<string?>("--name") { Description = "The suite name for formats that carry none (default: the input file's name)" };
        var input = new Argument<string>("input") { Description = "The file to read, or - for standard input", DefaultValueFactory = _ => "-" };
        var command = new Command("convert", CliApplication.Help("Convert go test -json, go test -v, TAP or JUnit output to JUnit XML; exits 1 when a test failed.", "go test -json ./... | cilab results convert --format go-test-json --output junit.xml", "cilab results convert -f tap -o bats.xml bats.tap")) { format, outputFile, name, input };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(input)!;
            var target = parse.GetValue(outputFile);
            var suite = parse.GetValue(name) ?? (path == "-" ? "stdin" : Path.GetFileNameWithoutExtension(path));
            TestReport report;
            try
            {
                await using var stream = path == "-" ? Console.OpenStandardInput() : File.OpenRead(path);
                report = await TestOutputFormats.ReadAsync(TestOutputFormats.TryParse(parse.GetValue(format)!)!.Value, stream, suite, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                await error.WriteLineAsync($"error: cannot read {path}: {e.Message}");
                return CliApplication.BadInput;
            }

            var summary = target is null ? error : output;
            if (target is null)
            {
                using var buffer = new MemoryStream();
                JUnitWriter.Write(report, buffer);
                await output.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            }
            else
            {
                JUnitWriter.WriteFile(report, target);
            }

            foreach (var failure in report.Cases.Where(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored))
            {
                await summary.WriteLineAsync($"{failure.Outcome.ToString().ToUpperInvariant()} {failure.ClassName} {failure.Name}: {failure.Message}");
            }

            await summary.WriteLineAsync(report.ToString());
            return report.IsSuccess ? 0 : CliApplication.TestsFailed;
        });
        return command;
    }
}
