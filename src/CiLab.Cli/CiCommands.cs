using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using CiLab.GitHub;
using CiLab.Labs;
using CiLab.Reporting;
using CiLab.Testing;

namespace CiLab.Cli;

/// <summary>
/// <c>cilab ci matrix|merge</c>: fan a lab's suites out over CI jobs and bring their results back together. One job per
/// suite (with what it needs), then one merged report, summary and page, in which a suite that wrote nothing is a failure.
/// </summary>
internal static class CiCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var ci = new Command("ci", CliApplication.Help("Fan a lab's suites out over CI jobs (GitHub Actions' strategy.matrix) and merge their results.", "cilab ci matrix --suite all", "cilab ci merge downloaded/ --output merged"));
        ci.Subcommands.Add(Matrix(output, error));
        ci.Subcommands.Add(Merge(output, error));
        return ci;
    }

    private static Command Matrix(TextWriter output, TextWriter error)
    {
        var lab = new Option<string>("--lab") { Description = "The lab file", DefaultValueFactory = _ => "lab.yaml" };
        var suite = new Option<string[]>("--suite") { Description = "Suite names, or all (default: the lab's default-suites)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("matrix", """
            Print the lab's suites as a job matrix for GitHub Actions' strategy.matrix: {"include":[{"suite":…,"vm":…}]}.
            A suite that another listed suite needs gets no job of its own: it runs first in each job that needs it.

            Examples:
              cilab ci matrix --suite all
              echo "matrix=$(cilab ci matrix --suite all)" >> "$GITHUB_OUTPUT"
            """) { lab, suite };
        command.SetAction(async (parse, _) =>
        {
            try
            {
                var selected = LabFile.Load(parse.GetValue(lab)!).SelectSuites(SuiteNames(parse.GetValue(suite)));
                var jobs = selected.Where(s => !selected.Any(other => other.Needs.Contains(s.Name))).ToList();
                if (jobs.Count == 0)
                {
                    // GitHub refuses an empty matrix with an error far from its cause.
                    await error.WriteLineAsync("error: the lab has no suites: there is no job to run.");
                    return CliApplication.BadInput;
                }

                var matrix = new JsonObject { ["include"] = new JsonArray([.. jobs.Select(s => (JsonNode)new JsonObject { ["suite"] = s.Name, ["vm"] = s.Vm })]) };
                await output.WriteLineAsync(matrix.ToJsonString());
                return 0;
            }
            catch (Exception e) when (e is CiLabException or FileNotFoundException or ArgumentException)
            {
                await error.WriteLineAsync($"error: {e.Message}");
                return CliApplication.BadInput;
            }
        });
        return command;
    }

    private static Command Merge(TextWriter output, TextWriter error)
    {
        var inputs = new Argument<string[]>("inputs") { Description = "JUnit files, or folders searched for *.xml (e.g. the folder actions/download-artifact filled)", Arity = ArgumentArity.OneOrMore };
        var into = new Option<string>("--output", "-o") { Description = "Where the merged JUnit files and report.html go", DefaultValueFactory = _ => "artifacts/merged" };
        var matrix = new Option<string?>("--matrix") { Description = "The job matrix 'cilab ci matrix' printed: each of its suites must have results" };
        var title = new Option<string>("--title") { Description = "The report's title", DefaultValueFactory = _ => "CiLab" };
        var command = new Command("merge", """
            Merge the JUnit files of several CI jobs into one file per suite, one HTML report (report.html) and one job summary.
            With --matrix, each suite of the planned matrix must have results: one that has none is reported as an error,
            so a job that died before writing its file cannot read as green. Exits 1 when anything failed.
            Post the merged files as commit statuses with 'cilab report'.

            Examples:
              cilab ci merge downloaded/ --matrix '${{ needs.plan.outputs.matrix }}' --output merged
              cilab report merged/*.xml
            """) { inputs, into, matrix, title };
        command.SetAction(async (parse, _) =>
        {
            var reports = new SortedDictionary<string, TestReport>(StringComparer.Ordinal);
            try
            {
                foreach (var file in Files(parse.GetValue(inputs)!, Path.GetFullPath(parse.GetValue(into)!)))
                {
                    // One suite's file from several jobs (a build step each dependent ran): keep every run of it.
                    var name = Path.GetFileNameWithoutExtension(file);
                    var report = JUnitReader.ReadFile(file);
                    reports[name] = reports.TryGetValue(name, out var earlier) ? earlier.Merge(report) : report;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                await error.WriteLineAsync($"error: {e.Message}");
                return CliApplication.BadInput;
            }

            if (parse.GetValue(matrix) is { } planned)
            {
                if (PlannedSuites(planned) is not { } suites)
                {
                    await error.WriteLineAsync("error: --matrix is not a job matrix of 'cilab ci matrix' ({\"include\":[{\"suite\":…}]}).");
                    return CliApplication.BadInput;
                }

                foreach (var missing in suites.Where(s => !reports.ContainsKey(s)))
                {
                    reports[missing] = new TestReport([new TestSuiteResult
                    {
                        Name = missing,
                        Cases = [new TestCaseResult { ClassName = missing, Name = "(results)", Outcome = TestOutcome.Errored, Message = $"no JUnit file for suite '{missing}': its job ended before writing one" }],
                    }]);
                }
            }

            if (reports.Count == 0)
            {
                await error.WriteLineAsync("error: no JUnit files in the inputs: nothing to merge (a merge of nothing is not a pass).");
                return CliApplication.BadInput;
            }

            var directory = Directory.CreateDirectory(parse.GetValue(into)!).FullName;
            foreach (var (name, report) in reports)
            {
                JUnitWriter.WriteFile(report, Path.Combine(directory, name + ".xml"));
                await output.WriteLineAsync($"{name,-30} {report}");
            }

            var all = new TestReport([.. reports.SelectMany(r => r.Value.Suites)]);
            HtmlReport.WriteFile(Path.Combine(directory, "report.html"), parse.GetValue(title)!, [.. reports]);
            new GitHubReporter(GitHubContext.FromEnvironment(), output).WriteActionsOutput(parse.GetValue(title)!, all);
            await output.WriteLineAsync($"Merged {reports.Count} suite(s) into {directory} (report.html beside them).");
            await output.WriteLineAsync(all.ToString());
            return all.IsSuccess ? 0 : CliApplication.TestsFailed;
        });
        return command;
    }

    // A suite's copied-back artifacts sit in a folder named after it beside its JUnit file (results/e2e/ next to
    // results/e2e.xml): XML in there is the suite's own data, not another suite's results.
    private static bool InSuiteArtifacts(string file, string input)
    {
        for (var directory = Path.GetDirectoryName(Path.GetFullPath(file))!; directory.Length > input.TrimEnd('/').Length; directory = Path.GetDirectoryName(directory)!)
        {
            if (File.Exists(directory + ".xml"))
            {
                return true;
            }
        }

        return false;
    }

    private static List<string>? PlannedSuites(string json)
    {
        try
        {
            var include = JsonNode.Parse(json)?["include"]?.AsArray();
            var suites = include?.Select(job => job?["suite"]?.GetValue<string>() ?? string.Empty).ToList();
            return suites is null || !suites.All(Names.IsValidName) ? null : suites;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static string[] SuiteNames(string[]? values) =>
        [.. (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];

    // Every *.xml under the inputs, except what this merge writes (so a rerun into the same folder does not count twice).
    private static IEnumerable<string> Files(string[] inputs, string output)
    {
        foreach (var input in inputs)
        {
            if (File.Exists(input))
            {
                yield return input;
            }
            else if (Directory.Exists(input))
            {
                var found = Directory.EnumerateFiles(input, "*.xml", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
                    .Where(f => Path.GetDirectoryName(Path.GetFullPath(f)) != output && !InSuiteArtifacts(f, Path.GetFullPath(input)))
                    .Order(StringComparer.Ordinal);
                foreach (var file in found)
                {
                    yield return file;
                }
            }
            else
            {
                throw new FileNotFoundException($"no file or folder {input}");
            }
        }
    }
}
