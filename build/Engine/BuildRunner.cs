using System.Diagnostics;
using System.Globalization;

namespace CiLab.Build.Engine;

/// <summary>Runs a build object: parses arguments, binds parameters, plans and executes targets, prints the summary.</summary>
public static class BuildRunner
{
    /// <summary>Runs <paramref name="build"/> with <paramref name="options"/>; never throws for bad usage or failing targets.</summary>
    public static async Task<BuildResult> RunAsync(NukeBuild build, BuildRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(options);
        var output = options.Output;
        TargetGraph graph;
        ParameterBinder parameters;
        List<TargetDefinition> plan;
        HashSet<TargetDefinition> skipped;
        try
        {
            build.RootDirectory = options.RootDirectory;
            graph = TargetGraph.Discover(build);
            parameters = ParameterBinder.Discover(build);
            var commandLine = CommandLine.Parse(options.Arguments);
            if (commandLine.Help)
            {
                HelpWriter.Write(output, graph, parameters, options.DefaultTarget);
                return new BuildResult(0, []);
            }

            foreach (var option in commandLine.Options.Keys.Where(o => parameters.FindByOption(o) is null))
            {
                var known = parameters.Parameters.Select(p => "--" + p.OptionName).Concat(["--help", "--plan", "--skip", "--target"]);
                throw new BuildUsageException($"Unknown parameter '--{option}'.{Suggestions.DidYouMean("--" + option, known)} Run with --help to list the parameters.");
            }

            parameters.Bind(build, commandLine.Options, options.Environment, options.RootDirectory);
            build.SchemaText = () => SchemaWriter.Generate(graph, parameters);
            var names = commandLine.Targets.Count > 0 ? commandLine.Targets : [options.DefaultTarget ?? throw new BuildUsageException("Name a target to run (see --help).")];
            var invoked = names.Select(graph.Find).ToList();
            build.InvokedTargets = [.. invoked.Select(t => t.Name)];
            plan = [.. graph.Plan(invoked)];
            skipped = commandLine.Skip switch
            {
                null => [],
                [] => [.. plan.Except(invoked)],
                var list => [.. list.Select(graph.Find)],
            };
            if (commandLine.Plan)
            {
                WritePlan(output, plan, skipped);
                return new BuildResult(0, []);
            }
        }
        catch (BuildUsageException e)
        {
            output.WriteLine($"error: {e.Message}");
            return new BuildResult(BuildResult.UsageError, []);
        }

        var outcomes = await ExecuteAsync(plan, skipped, output, build.IsExplainedFailure, options.CancellationToken).ConfigureAwait(false);
        SummaryWriter.Write(output, outcomes);
        var exitCode = outcomes.Any(o => o.Status == TargetStatus.Failed)
            ? options.CancellationToken.IsCancellationRequested ? BuildResult.Cancelled : 1
            : 0;
        output.WriteLine(exitCode == 0 ? "Build succeeded." : exitCode == BuildResult.Cancelled ? "Build cancelled." : "Build failed.");
        return new BuildResult(exitCode, outcomes);
    }

    private static void WritePlan(TextWriter output, List<TargetDefinition> plan, HashSet<TargetDefinition> skipped)
    {
        output.WriteLine("Execution plan:");
        for (var i = 0; i < plan.Count; i++)
        {
            var note = skipped.Contains(plan[i]) ? "  (skipped)" : string.Empty;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {i + 1}. {plan[i].Name}{note}"));
        }
    }

    private static async Task<List<TargetOutcome>> ExecuteAsync(List<TargetDefinition> plan, HashSet<TargetDefinition> skipped, TextWriter output, Func<Exception, bool> isExplained, CancellationToken cancellationToken)
    {
        var outcomes = new Dictionary<TargetDefinition, TargetOutcome>();
        string? stopReason = null;
        foreach (var target in plan)
        {
            if (skipped.Contains(target))
            {
                outcomes[target] = new TargetOutcome(target.Name, TargetStatus.Skipped, TimeSpan.Zero, "skipped on request");
                continue;
            }

            if (stopReason is not null && !target.IsAssured)
            {
                var failedDependency = target.DependencyTargets.FirstOrDefault(d => outcomes.TryGetValue(d, out var o) && o.Status is TargetStatus.Failed or TargetStatus.NotRun);
                var note = failedDependency is not null ? $"{failedDependency.Name} did not succeed" : stopReason;
                outcomes[target] = new TargetOutcome(target.Name, TargetStatus.NotRun, TimeSpan.Zero, note);
                continue;
            }

            // After a failure or Ctrl-C, assured targets (clean-up, reports) still get a live token of their own.
            var token = stopReason is null ? cancellationToken : CancellationToken.None;
            var outcome = await RunTargetAsync(target, output, isExplained, token).ConfigureAwait(false);
            outcomes[target] = outcome;
            if (outcome.Status == TargetStatus.Failed && stopReason is null)
            {
                stopReason = cancellationToken.IsCancellationRequested ? "build cancelled" : $"{target.Name} failed";
            }
        }

        return [.. plan.Select(t => outcomes[t])];
    }

    private static async Task<TargetOutcome> RunTargetAsync(TargetDefinition target, TextWriter output, Func<Exception, bool> isExplained, CancellationToken cancellationToken)
    {
        output.WriteLine();
        output.WriteLine($"═══ {target.Name} ═══");
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var action in target.Actions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await action(cancellationToken).ConfigureAwait(false);
            }

            return new TargetOutcome(target.Name, TargetStatus.Succeeded, clock.Elapsed, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.WriteLine($"{target.Name} was cancelled.");
            return new TargetOutcome(target.Name, TargetStatus.Failed, clock.Elapsed, "cancelled");
        }
        catch (Exception e)
        {
            output.WriteLine($"error: {target.Name}: {e.Message}");
            if (e is not TargetFailedException && !isExplained(e))
            {
                // An unexpected exception: its type and origin help more than they hurt.
                output.WriteLine($"  ({e.GetType().FullName}{FirstFrame(e)})");
            }

            return new TargetOutcome(target.Name, TargetStatus.Failed, clock.Elapsed, FirstLine(e.Message));
        }
    }

    private static string FirstFrame(Exception e) =>
        e.StackTrace?.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() is { } frame ? $" {frame}" : string.Empty;

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
