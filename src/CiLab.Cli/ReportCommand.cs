using System.CommandLine;
using CiLab.GitHub;
using CiLab.Testing;

namespace CiLab.Cli;

/// <summary><c>cilab report</c>: post a GitHub commit status and check run for JUnit files just written.</summary>
internal static class ReportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var files = new Argument<string[]>("junit-files") { Description = "JUnit files; each becomes the status cilab/<file name>", Arity = ArgumentArity.OneOrMore };
        var command = new Command("report", CliApplication.Help("Post GitHub commit statuses and check runs for JUnit results (needs GITHUB_TOKEN; without it, says so and skips).", "cilab report artifacts/test-results/phase4.xml", "GITHUB_TOKEN=… cilab report merged/*.xml")) { files };
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new GitHubReporter(GitHubContext.FromEnvironment(), output);
            foreach (var file in parse.GetValue(files)!)
            {
                TestReport report;
                try
                {
                    report = JUnitReader.ReadFile(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    await error.WriteLineAsync($"error: cannot read {file}: {e.Message}");
                    return CliApplication.BadInput;
                }

                try
                {
                    await reporter.PostAsync(Path.GetFileNameWithoutExtension(file), report, ct);
                }
                catch (GitHubApiException e)
                {
                    await error.WriteLineAsync($"error: {e.Message}");
                    return 1;
                }
            }

            return 0;
        });
        return command;
    }
}
