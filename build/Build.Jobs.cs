using CiLab.Build.Engine;
using CiLab.Build.Upgrade;
using CiLab.GitHub;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Reporting;
using CiLab.Suites;
using CiLab.Testing;

namespace CiLab.Build;

internal sealed partial class Build : NukeBuild
{
    Target SyncCode => _ => _
        .Description("Restore the VMs of the suites to run to their clean snapshot and sync the project in (VMs in parallel)")
        .DependsOn(VmSnapshot)
        .Executes(async ct =>
        {
            var vms = await SuiteMachinesAsync(ct);
            var prepared = await Task.WhenAll(vms.Select(vm => new SuiteRunner(LineLogger.Console).PrepareAsync(vm, SuiteOptions(), ct)));
            for (var i = 0; i < vms.Count; i++)
            {
                preparations[vms[i].Name] = prepared[i];
            }
        });

    Target TestPhase4 => _ => _
        .Description("The main job: restore clean, sync, run the lab's suites in their VMs (as root when asked, VMs in parallel), a JUnit file per suite")
        .DependsOn(SyncCode)
        .Executes(async ct =>
        {
            var suites = SelectedSuites();
            var vms = await SuiteMachinesAsync(ct);
            try
            {
                foreach (var vm in vms.Where(vm => !vm.IsRunning()))
                {
                    var names = string.Join(", ", suites.Where(s => s.Vm == vm.Name).Select(s => $"'{s.Name}'"));
                    throw new TargetFailedException($"VM '{vm.Name}' is not running, so suite {names} has nowhere to run: let SyncCode restore and sync it (do not skip it), or start it (VmStart) and sync it (cilab sync) first.");
                }

                foreach (var vm in vms.Where(vm => !preparations.ContainsKey(vm.Name)))
                {
                    Console.WriteLine($"SyncCode did not run in this build: the suites run on the copy of the project already in VM '{vm.Name}'.");
                }

                // Suites of one VM run in turn (a build before the tests that need it); different VMs at once.
                var perVm = await Task.WhenAll(vms.Select(vm => RunSuitesAsync(vm, [.. suites.Where(s => s.Vm == vm.Name)], suites.Count > 1, ct)));
                var results = suites.Select(s => perVm.SelectMany(r => r).Single(r => r.Suite == s.Name)).ToList();
                PrintSuiteSummary(results);
                PublishReport(nameof(TestPhase4), [.. results.Select(r => new KeyValuePair<string, TestReport>(r.Suite, r.Result.Report))]);
                var failing = results.Where(r => !r.Result.Report.IsSuccess).ToList();
                if (failing.Count > 0)
                {
                    var cases = failing.SelectMany(r => r.Result.Report.Cases).Where(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored).Select(c => c.Name);
                    throw new TargetFailedException($"suite {string.Join(", ", failing.Select(r => $"'{r.Suite}': {r.Result.Report}"))} (failing: {string.Join(", ", cases)}); see {string.Join(", ", failing.Select(r => Path.GetRelativePath(RootDirectory, r.Result.JUnitPath)))}");
                }
            }
            finally
            {
                if (!KeepVm)
                {
                    // Disposable: the next run restores the clean snapshot, so there is nothing to shut down gracefully.
                    await Task.WhenAll(vms.Select(vm => vm.StopAsync(TimeSpan.Zero, CancellationToken.None)));
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
                PublishReport(nameof(TestUpgrade), [new(nameof(TestUpgrade), report)]);
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

    // What SyncCode did per VM, when it ran in this build: its restore and sync lead each VM's timeline.
    readonly Dictionary<string, SuitePreparation> preparations = [];

    // Every report this build wrote, for one HTML page: TestPhase4's suites and TestUpgrade's scenario together.
    readonly List<KeyValuePair<string, TestReport>> publishedReports = [];
    readonly List<string> publishedTargets = [];

    IReadOnlyList<SuiteDefinition> SelectedSuites()
    {
        var unknown = Suite.Where(n => n != "all" && LabDefinition.Suites.All(s => s.Name != n)).ToList();
        return unknown.Count == 0
            ? LabDefinition.SelectSuites(Suite)
            : throw new TargetFailedException($"The lab has no suite {string.Join(", ", unknown.Select(n => $"'{n}'"))} (it has: {string.Join(", ", LabDefinition.Suites.Select(s => s.Name))}; 'all' runs every one).");
    }

    async Task<IReadOnlyList<IMachine>> SuiteMachinesAsync(CancellationToken ct)
    {
        var vms = new List<IMachine>();
        foreach (var name in SelectedSuites().Select(s => s.Vm).Distinct())
        {
            vms.Add(await MachineAsync(name, ct));
        }

        return vms;
    }

    async Task<IReadOnlyList<(string Suite, SuiteRunResult Result)>> RunSuitesAsync(IMachine vm, IReadOnlyList<SuiteDefinition> suites, bool prefixOutput, CancellationToken ct)
    {
        var runner = new SuiteRunner(LineLogger.Console);
        var done = new List<(string Suite, SuiteRunResult Result)>();
        foreach (var suite in suites)
        {
            var failedNeed = suite.Needs.FirstOrDefault(n => done.Any(d => d.Suite == n && !d.Result.Report.IsSuccess));
            var options = SuiteOptions(prefixOutput ? suite.Name + " " : "") with { EarlierTimeline = done.Count == 0 && preparations.TryGetValue(vm.Name, out var p) ? p.Timeline : [] };
            var result = failedNeed is null
                ? await runner.RunAsync(vm, suite, options, ct)
                : runner.WriteNotRun(vm, suite, $"not run: it needs '{failedNeed}', which failed in this run", options);
            done.Add((suite.Name, result));
        }

        return done;
    }

    SuiteRunOptions SuiteOptions(string outputPrefix = "") => new()
    {
        ProjectDirectory = LabDefinition.Directory,
        ResultsDirectory = TestResultsDirectory,
        Snapshot = Snapshot,
        SyncExcludes = LabDefinition.SyncExcludes,
        ExtraEnvironment = SuiteEnv.Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : ""),
        OnOutputLine = line =>
        {
            if (GoTestOutput.Display(line) is { } text)
            {
                Console.WriteLine($"  {outputPrefix}| {text}");
            }
        },
    };

    // The job summary and annotations in Actions, and artifacts/test-results/report.html with everything this build ran.
    void PublishReport(string target, IReadOnlyList<KeyValuePair<string, TestReport>> reports)
    {
        new GitHubReporter(GitHubContext.FromEnvironment(), Console.Out).WriteActionsOutput(target, new TestReport([.. reports.SelectMany(r => r.Value.Suites)]));
        publishedReports.AddRange(reports);
        publishedTargets.Add(target);
        var page = Path.Combine(TestResultsDirectory, "report.html");
        HtmlReport.WriteFile(page, "CiLab: " + string.Join(", ", publishedTargets), publishedReports);
        Console.WriteLine($"Report: {Path.GetRelativePath(RootDirectory, page)}");
    }

    static void PrintSuiteSummary(IReadOnlyList<(string Suite, SuiteRunResult Result)> results)
    {
        Console.WriteLine();
        Console.WriteLine($"{"Suite",-40} {"Passed",7} {"Failed",7} {"Errors",7} {"Skipped",8}");
        foreach (var s in results.SelectMany(r => r.Result.Report.Suites))
        {
            Console.WriteLine($"{s.Name,-40} {s.Count(TestOutcome.Passed),7} {s.Count(TestOutcome.Failed),7} {s.Count(TestOutcome.Errored),7} {s.Count(TestOutcome.Skipped),8}");
        }

        foreach (var vm in results.SelectMany(r => r.Result.Timeline).GroupBy(s => s.Lane))
        {
            Console.WriteLine($"Phases in {vm.Key}: {string.Join(", ", vm.Distinct().Select(p => $"{p.Name} {p.Duration.TotalSeconds:0.0}s"))}");
        }

        Console.WriteLine($"JUnit: {string.Join(", ", results.Select(r => r.Result.JUnitPath))}");
        Console.WriteLine(new TestReport([.. results.SelectMany(r => r.Result.Report.Suites)]).ToString());
    }
}
