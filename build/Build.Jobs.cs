using CiLab.Build.Engine;
using CiLab.Build.Upgrade;
using CiLab.GitHub;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Reporting;
using CiLab.Suites;
using CiLab.Testing;

namespace CiLab.Build;

internal sealed partial class Build : NukeBuild
{
    Target SyncCode => _ => _
        .Description("Restore the suite's VM to its clean snapshot and sync the project in")
        .DependsOn(VmSnapshot)
        .Executes(async ct =>
        {
            var suite = LabDefinition.Suite(Suite);
            preparation = await new SuiteRunner(LineLogger.Console).PrepareAsync(await MachineAsync(suite.Vm, ct), SuiteOptions(), ct);
        });

    Target TestPhase4 => _ => _
        .Description("The main job: restore clean, sync, run the lab's suite in its VM (as root when asked), write JUnit")
        .DependsOn(SyncCode)
        .Executes(async ct =>
        {
            var suite = LabDefinition.Suite(Suite);
            var vm = await MachineAsync(suite.Vm, ct);
            try
            {
                if (!vm.IsRunning())
                {
                    throw new TargetFailedException($"VM '{vm.Name}' is not running, so suite '{suite.Name}' has nowhere to run: let SyncCode restore and sync it (do not skip it), or start it (VmStart) and sync it (cilab sync) first.");
                }

                if (preparation is null)
                {
                    Console.WriteLine($"SyncCode did not run in this build: suite '{suite.Name}' runs on the copy of the project already in VM '{vm.Name}'.");
                }

                var result = await new SuiteRunner(LineLogger.Console).RunAsync(vm, suite, SuiteOptions() with { EarlierPhases = preparation?.Phases ?? [] }, ct);
                PrintSuiteSummary(result);
                new GitHubReporter(GitHubContext.FromEnvironment(), Console.Out).WriteActionsOutput(nameof(TestPhase4), result.Report, result.Phases);
                if (!result.Report.IsSuccess)
                {
                    var failed = result.Report.Cases.Where(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored).Select(c => c.Name);
                    throw new TargetFailedException($"suite '{suite.Name}': {result.Report} (failing: {string.Join(", ", failed)}); see {Path.GetRelativePath(RootDirectory, result.JUnitPath)}");
                }
            }
            finally
            {
                if (!KeepVm)
                {
                    // Disposable: the next run restores the clean snapshot, so there is nothing to shut down gracefully.
                    await vm.StopAsync(TimeSpan.Zero, CancellationToken.None);
                }
            }
        });

    Target TestUpgrade => _ => _
        .Description("Drive the upgrade VMs through seed 001's 11 tests with injected faults; JUnit in artifacts/test-results/TestUpgrade.xml")
        .DependsOn(VmSnapshot)
        .Executes(async ct =>
        {
            await HostPrerequisites.EnsureAsync([new HostTool("git", "git")], LineLogger.Console, ct);
            var machines = await MachinesAsync(ct);
            try
            {
                var (result, startup) = await UpgradeRun.RunAsync(machines, RootDirectory, Snapshot, UpgradeBreakRollback, LineLogger.Console, ct);
                var report = result.Report;
                var path = Path.Combine(TestResultsDirectory, nameof(TestUpgrade) + ".xml");
                JUnitWriter.WriteFile(report, path);
                Console.WriteLine();
                Console.WriteLine($"{"VM",-12} {"Passed",7} {"Failed",7} {"Errors",7} {"Skipped",8} {"Busy",8} {"Restore/boot",13}");
                foreach (var vm in machines)
                {
                    var s = report.Suites.Single(x => x.Name == $"{nameof(TestUpgrade)}.{vm.Name}");
                    Console.WriteLine($"{vm.Name,-12} {s.Count(TestOutcome.Passed),7} {s.Count(TestOutcome.Failed),7} {s.Count(TestOutcome.Errored),7} {s.Count(TestOutcome.Skipped),8} {result.BusyTime[vm.Name].TotalSeconds,7:0}s {result.MachineTime[vm.Name].TotalSeconds,12:0}s");
                }

                Console.WriteLine($"Wall: {result.Wall.TotalSeconds:0}s of steps after {startup.TotalSeconds:0}s to bring the VMs to '{Snapshot}'. JUnit: {Path.GetRelativePath(RootDirectory, path)}");
                Console.WriteLine(report.ToString());
                new GitHubReporter(GitHubContext.FromEnvironment(), Console.Out).WriteActionsOutput(nameof(TestUpgrade), report, [new("restore", startup), new("steps", result.Wall)]);
                if (!report.IsSuccess)
                {
                    var failed = report.Cases.Where(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored).Select(c => $"{c.ClassName}: {c.Name}");
                    throw new TargetFailedException($"{report} — {string.Join("; ", failed)}");
                }
            }
            finally
            {
                if (!KeepVm)
                {
                    await Task.WhenAll(machines.Select(vm => vm.StopAsync(TimeSpan.Zero, CancellationToken.None)));
                }
            }
        });

    // What SyncCode did, when it ran in this build: its phases lead TestPhase4's timings.
    SuitePreparation? preparation;

    SuiteRunOptions SuiteOptions() => new()
    {
        ProjectDirectory = LabDefinition.Directory,
        ResultsDirectory = TestResultsDirectory,
        ReportName = nameof(TestPhase4),
        Snapshot = Snapshot,
        SyncExcludes = LabDefinition.SyncExcludes,
        ExtraEnvironment = SuiteEnv.Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : ""),
        OnOutputLine = line =>
        {
            if (GoTestOutput.Display(line) is { } text)
            {
                Console.WriteLine($"  | {text}");
            }
        },
    };

    static void PrintSuiteSummary(SuiteRunResult result)
    {
        Console.WriteLine();
        Console.WriteLine($"{"Suite",-40} {"Passed",7} {"Failed",7} {"Errors",7} {"Skipped",8}");
        foreach (var s in result.Report.Suites)
        {
            Console.WriteLine($"{s.Name,-40} {s.Count(TestOutcome.Passed),7} {s.Count(TestOutcome.Failed),7} {s.Count(TestOutcome.Errored),7} {s.Count(TestOutcome.Skipped),8}");
        }

        Console.WriteLine($"Phases: {string.Join(", ", result.Phases.Select(p => $"{p.Key} {p.Value.TotalSeconds:0.0}s"))}");
        Console.WriteLine($"JUnit: {result.JUnitPath}");
        Console.WriteLine(result.Report.ToString());
    }
}
