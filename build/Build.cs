using CiLab.Build.Bench;
using CiLab.Build.Engine;
using CiLab.Build.Upgrade;
using CiLab.GitHub;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Processes;
using CiLab.Qemu;
using CiLab.Reporting;
using CiLab.Suites;
using CiLab.Testing;

namespace CiLab.Build;

/// <summary>CiLab's build: compile, test and pack the project, and run the default lab's VM jobs.</summary>
internal sealed class Build : NukeBuild
{
    public static int Main() => Execute<Build>(x => x.Compile);

    [Parameter("Configuration to build")]
    readonly Configuration Configuration = Configuration.Debug;

    [Parameter("Run only tests whose class matches this wildcard (e.g. '*Parser*'), or an xunit query filter starting with '/'")]
    readonly string TestFilter = "";

    [Parameter("The lab file")]
    readonly string LabPath = "lab.yaml";

    [Parameter("VMs to act on (default: every VM of the lab)")]
    readonly string[] Vm = [];

    [Parameter("The snapshot VmSnapshot saves and VmRestore restores")]
    readonly string Snapshot = "clean";

    [Parameter("Leave VMs running at the end")]
    readonly bool KeepVm = false;

    [Parameter("The lab suite TestPhase4 runs")]
    readonly string Suite = "phase4";

    [Parameter("Extra environment for the suite, as NAME=value (e.g. MOUNTLAB_FAIL=1)")]
    readonly string[] SuiteEnv = [];

    [Parameter("The VMs TestUpgrade drives (all of them at once)")]
    readonly string[] UpgradeVms = ["sorrow", "torment"];

    [Parameter("Test-only: install the upgrade-lab with its git rollback disabled, to see TestUpgrade's rollback cases fail")]
    readonly bool UpgradeBreakRollback = false;

    [Parameter("Bench: measure only these sections (convert, vm, upgrade); all when empty")]
    readonly string[] BenchOnly = [];

    [Parameter("Confirm destructive targets (VmRestore, VmDestroy) without asking")]
    readonly bool Yes = false;

    [Parameter("When another run holds a VM of the lab: wait for it (true) or fail at once (false)")]
    readonly bool WaitForVm = true;

    string Solution => Path.Combine(RootDirectory, "CiLab.sln");

    string ArtifactsDirectory => Path.Combine(RootDirectory, "artifacts");

    string TestResultsDirectory => Path.Combine(ArtifactsDirectory, "test-results");

    Target Restore => _ => _
        .Description("Restore NuGet packages")
        .Executes(ct => Dotnet(ct, "restore", Solution));

    Target Compile => _ => _
        .Description("Build every project")
        .DependsOn(Restore)
        .Executes(ct => Dotnet(ct, "build", Solution, "--no-restore", "-c", Configuration.ToString(), "-nologo", "-clp:NoSummary"));

    Target Test => _ => _
        .Description("Run every test project; JUnit files under artifacts/test-results/")
        .DependsOn(Compile)
        .Executes(RunTestsAsync);

    Target Pack => _ => _
        .Description("Pack the CiLab library and the cilab tool into artifacts/packages")
        .DependsOn(Compile)
        .Executes(async ct =>
        {
            foreach (var project in new[] { "src/CiLab/CiLab.csproj", "src/CiLab.Cli/CiLab.Cli.csproj" })
            {
                await Dotnet(ct, "pack", Path.Combine(RootDirectory, project), "--no-build", "-c", Configuration.ToString(), "-nologo");
            }

            foreach (var package in Directory.GetFiles(Path.Combine(ArtifactsDirectory, "packages")))
            {
                Console.WriteLine($"  {Path.GetRelativePath(RootDirectory, package)}");
            }
        });

    Target Report => _ => _
        .Description("Post a GitHub commit status and check run for each JUnit file in artifacts/test-results (needs GITHUB_TOKEN)")
        .After(Test, TestPhase4, TestUpgrade)
        .AssuredAfterFailure()
        .Executes(async ct =>
        {
            var files = Directory.Exists(TestResultsDirectory) ? Directory.GetFiles(TestResultsDirectory, "*.xml").Order(StringComparer.Ordinal).ToList() : [];
            if (files.Count == 0)
            {
                Console.WriteLine("No JUnit files in artifacts/test-results: nothing to report.");
                return;
            }

            var reporter = new GitHubReporter(GitHubContext.FromEnvironment(), Console.Out);
            foreach (var file in files)
            {
                await reporter.PostAsync(Path.GetFileNameWithoutExtension(file), JUnitReader.ReadFile(file), ct);
            }
        });

    Target Bench => _ => _
        .Description("Measure CiLab against the plain shell way on the default lab; writes artifacts/bench/results.md and .json")
        .DependsOn(Compile, VmSnapshot)
        .Executes(async ct =>
        {
            string[] sections = ["convert", "vm", "upgrade"];
            if (BenchOnly.FirstOrDefault(b => !sections.Contains(b, StringComparer.OrdinalIgnoreCase)) is { } unknown)
            {
                throw new TargetFailedException($"--bench-only: there is no section '{unknown}'; the sections are {string.Join(", ", sections)}.");
            }

            await HostPrerequisites.EnsureAsync([new HostTool("gotestsum", "gotestsum"), new HostTool("time", "time"), new HostTool("python3", "python3-minimal")], Console.Out, ct);
            var table = new BenchTable();
            var work = Path.Combine(ArtifactsDirectory, "bench", "work");
            var cilab = Path.Combine(RootDirectory, "src", "CiLab.Cli", "bin", Configuration.ToString(), "net10.0", "CiLab.Cli.dll");
            try
            {
                if (Measures("convert"))
                {
                    await ConvertBench.RunAsync(table, cilab, work, ct);
                }

                var lab = await OpenLabAsync(ct);
                var suiteDefinition = lab.Definition.Suite(Suite);
                var vm = await lab.MachineAsync(suiteDefinition.Vm, ct);
                var upgradeVms = new List<VirtualMachine>();
                foreach (var name in UpgradeVms)
                {
                    upgradeVms.Add(await lab.MachineAsync(name, ct));
                }

                // VmSnapshot may have left them running: idle guests still cost CPU under TCG, and would skew the figures.
                await Task.WhenAll(upgradeVms.Select(u => u.StopAsync(TimeSpan.Zero, ct)));
                if (Measures("vm"))
                {
                    await ImageFigures(table, lab, vm, ct);
                    await VmBench.RunAsync(table, lab, vm, work, ct);
                    await VmBench.QuickCycleAsync(table, lab, vm, suiteDefinition, cilab, work, ct);
                    await vm.StopAsync(TimeSpan.Zero, ct);
                }

                if (Measures("upgrade"))
                {
                    await UpgradeBench.RunAsync(table, upgradeVms, RootDirectory, Snapshot, ct);
                }
            }
            finally
            {
                table.Write(Path.Combine(ArtifactsDirectory, "bench"));
                Console.WriteLine($"Wrote {Path.Combine("artifacts", "bench", "results.md")}");
            }
        });

    bool Measures(string section) => BenchOnly.Length == 0 || BenchOnly.Contains(section, StringComparer.OrdinalIgnoreCase);

    static async Task ImageFigures(BenchTable table, Lab lab, VirtualMachine vm, CancellationToken ct)
    {
        var directory = Path.GetDirectoryName(vm.Image.DiskPath)!;
        if (File.Exists(Path.Combine(directory, "build-seconds")))
        {
            table.Add(new BenchRow("image build (debian recipe, from an empty cache)", double.Parse(File.ReadAllText(Path.Combine(directory, "build-seconds")), System.Globalization.CultureInfo.InvariantCulture), "s"));
        }

        table.Add(new BenchRow("image size (qcow2 + kernel + initrd)", Directory.GetFiles(directory).Sum(f => new FileInfo(f).Length) / 1e6, "MB"));
        // A fresh builder: the lab itself remembers images it resolved, which would time nothing.
        var hit = await Shell.TimeAsync(() => new Images.DebianImageBuilder(Images.ImageCache.Default(), TextWriter.Null).GetAsync(lab.Definition.Image(vm.Definition.Image), vm.Definition.User, lab.PublicKey, ct));
        table.Add(new BenchRow("image cache hit", hit, "s", MaxRatio: null));
    }

    Target GenerateSchema => _ => _
        .Description("Regenerate .nuke/build.schema.json from this build class")
        .Executes(() => File.WriteAllText(Path.Combine(RootDirectory, ".nuke", "build.schema.json"), BuildSchemaJson()));

    Target VmSetup => _ => _
        .Description("Create each lab VM's disk over its base image, building the image when needed")
        .Executes(async ct =>
        {
            await EnsureHostAsync(ct);
            foreach (var vm in await MachinesAsync(ct))
            {
                Console.WriteLine(await vm.SetupAsync(ct) ? $"VM '{vm.Name}': disk created over image {vm.Image.Id}." : $"VM '{vm.Name}': up to date.");
            }
        });

    Target VmStart => _ => _
        .Description("Start the lab's VMs and wait until SSH answers (they keep running)")
        .DependsOn(VmSetup)
        .Executes(async ct =>
        {
            foreach (var vm in await MachinesAsync(ct))
            {
                await vm.StartAsync(detached: true, fromSnapshot: null, ct);
            }
        });

    Target VmStatus => _ => _
        .Description("Show each VM's state, process, port, uptime and accelerator")
        .Executes(() =>
        {
            // Read only: a status never builds an image, boots a VM or writes state.
            var lab = LabFile.Load(Path.Combine(RootDirectory, LabPath));
            Console.WriteLine(CiLab.Qemu.VmStatus.Header);
            foreach (var status in Lab.ReadStatus(lab, SelectedVms(lab)))
            {
                Console.WriteLine(status);
            }
        });

    Target VmSnapshot => _ => _
        .Description("Boot each lab VM to ready and save its snapshot (skipped when one of the same base exists)")
        .DependsOn(VmSetup)
        .Executes(async ct =>
        {
            // Several VMs boot at once rather than one after another.
            await Task.WhenAll((await MachinesAsync(ct)).Select(async vm =>
            {
                if (await vm.HasSnapshotAsync(Snapshot, ct))
                {
                    Console.WriteLine($"VM '{vm.Name}': snapshot '{Snapshot}' of image {vm.Image.Id} exists; skipped.");
                    return;
                }

                // A VM booted here is owned by this run: later targets use it, and it goes when the run ends.
                await vm.StartAsync(detached: KeepVm, fromSnapshot: null, ct);
                await vm.SnapshotAsync(Snapshot, ct);
                Console.WriteLine($"VM '{vm.Name}': snapshot '{Snapshot}' saved.");
            }));
        });

    Target VmRestore => _ => _
        .Description("Restore each VM to its snapshot (discards the VM's current state: needs --yes when not interactive)")
        .Executes(async ct =>
        {
            Confirm("restore");
            foreach (var vm in await MachinesAsync(ct))
            {
                await vm.RestoreAsync(Snapshot, ct);
            }
        });

    Target VmStop => _ => _
        .Description("Power the lab's VMs off")
        .Executes(async ct =>
        {
            foreach (var vm in await MachinesAsync(ct))
            {
                await vm.StopAsync(TimeSpan.FromSeconds(30), ct);
            }
        });

    Target VmDestroy => _ => _
        .Description("Stop the lab's VMs and delete their disks and state (needs --yes when not interactive)")
        .Executes(async ct =>
        {
            Confirm("destroy");
            foreach (var vm in await MachinesAsync(ct))
            {
                await vm.DestroyAsync(ct);
            }
        });

    Target VmSsh => _ => _
        .Description("Open a shell in the first selected VM (in a terminal), or print the ssh command line")
        .Executes(async ct =>
        {
            var vm = (await MachinesAsync(ct))[0];
            var argv = vm.Ssh.InteractiveArguments();
            if (Console.IsInputRedirected || Console.IsOutputRedirected)
            {
                Console.WriteLine(ShellQuoting.Join(argv));
                return;
            }

            using var shell = System.Diagnostics.Process.Start("ssh", argv.Skip(1))!;
            await shell.WaitForExitAsync(ct);
        });

    Target SyncCode => _ => _
        .Description("Restore the suite's VM to its clean snapshot and sync the project in")
        .DependsOn(VmSnapshot)
        .Executes(async ct =>
        {
            var lab = await OpenLabAsync(ct);
            suite = lab.Definition.Suite(Suite);
            suiteVm = await lab.MachineAsync(suite.Vm, ct);
            await runner.PrepareAsync(suiteVm, SuiteOptions(lab), ct);
        });

    Target TestPhase4 => _ => _
        .Description("The main job: restore clean, sync, run the lab's suite in its VM (as root when asked), write JUnit")
        .DependsOn(SyncCode)
        .Executes(async ct =>
        {
            var lab = await OpenLabAsync(ct);
            try
            {
                var result = await runner.RunAsync(suiteVm!, suite!, SuiteOptions(lab), ct);
                PrintSuiteSummary(result);
                new GitHubReporter(GitHubContext.FromEnvironment(), Console.Out).WriteActionsOutput(nameof(TestPhase4), result.Report, result.Phases);
                if (!result.Report.IsSuccess)
                {
                    var failed = result.Report.Cases.Where(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored).Select(c => c.Name);
                    throw new TargetFailedException($"suite '{suite!.Name}': {result.Report} (failing: {string.Join(", ", failed)}); see {Path.GetRelativePath(RootDirectory, result.JUnitPath)}");
                }
            }
            finally
            {
                if (!KeepVm)
                {
                    // Disposable: the next run restores the clean snapshot, so there is nothing to shut down gracefully.
                    await suiteVm!.StopAsync(TimeSpan.Zero, CancellationToken.None);
                }
            }
        });

    Target TestUpgrade => _ => _
        .Description("Drive the upgrade VMs through seed 001's 11 tests with injected faults; JUnit in artifacts/test-results/TestUpgrade.xml")
        .DependsOn(VmSnapshot)
        .Executes(async ct =>
        {
            await HostPrerequisites.EnsureAsync([new HostTool("git", "git")], Console.Out, ct);
            var machines = await MachinesAsync(ct);
            try
            {
                var (result, startup) = await UpgradeRun.RunAsync(machines, RootDirectory, Snapshot, UpgradeBreakRollback, Console.Out, ct);
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

    readonly SuiteRunner runner = new(Console.Out);
    SuiteDefinition? suite;
    VirtualMachine? suiteVm;

    async Task<Lab> OpenLabAsync(CancellationToken ct)
    {
        var lab = await Lab.OpenAsync(LabFile.Load(Path.Combine(RootDirectory, LabPath)), Console.Out, cache: null, ct);
        lab.WaitWhenBusy = WaitForVm;
        return lab;
    }

    SuiteRunOptions SuiteOptions(Lab lab) => new()
    {
        ProjectDirectory = lab.Definition.Directory,
        ResultsDirectory = TestResultsDirectory,
        ReportName = nameof(TestPhase4),
        Snapshot = Snapshot,
        SyncExcludes = lab.Definition.SyncExcludes,
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

    async Task<IReadOnlyList<VirtualMachine>> MachinesAsync(CancellationToken ct)
    {
        var lab = await OpenLabAsync(ct);
        var machines = new List<VirtualMachine>();
        foreach (var name in SelectedVms(lab.Definition))
        {
            machines.Add(await lab.MachineAsync(name, ct));
        }

        return machines;
    }

    // --vm when given; otherwise the VMs of the jobs asked for (so TestPhase4 never boots the upgrade VMs); otherwise all.
    string[] SelectedVms(LabDefinition lab)
    {
        if (Vm.Length > 0)
        {
            return Vm;
        }

        var names = new List<string>();
        if (InvokedTargets.Any(t => t is nameof(TestPhase4) or nameof(SyncCode) or nameof(Bench)))
        {
            names.Add(lab.Suite(Suite).Vm);
        }

        if (InvokedTargets.Any(t => t is nameof(TestUpgrade) or nameof(Bench)))
        {
            names.AddRange(UpgradeVms);
        }

        return names.Count > 0 ? [.. names.Distinct()] : [.. lab.Vms.Select(v => v.Name)];
    }

    static Task EnsureHostAsync(CancellationToken ct) =>
        HostPrerequisites.EnsureAsync([.. HostTool.Virtualization, .. HostTool.ImageBuilding], Console.Out, ct);

    // Destructive targets ask on a terminal; in CI or without one they need --yes.
    void Confirm(string what)
    {
        var answer = Yes ? ConfirmationAnswer.Yes : Confirmation.Ask($"{what} the lab's VMs, discarding their state?", Console.Out);
        if (answer != ConfirmationAnswer.Yes)
        {
            throw new TargetFailedException(answer == ConfirmationAnswer.NotInteractive
                ? $"'{what}' discards VM state and needs confirmation; this run is not interactive, so pass --yes."
                : $"'{what}' was not confirmed.");
        }
    }

    async Task RunTestsAsync(CancellationToken ct)
    {
        // The integration tests boot real guests: a fresh Debian machine gets what they need here.
        await EnsureHostAsync(ct);
        Directory.CreateDirectory(TestResultsDirectory);
        var total = TestRunSummary.Zero;
        var projects = Directory.GetDirectories(Path.Combine(RootDirectory, "tests")).Order(StringComparer.Ordinal);
        foreach (var project in projects)
        {
            var name = Path.GetFileName(project);
            var assembly = Path.Combine(project, "bin", Configuration.ToString(), "net10.0", name + ".dll");
            var report = Path.Combine(TestResultsDirectory, name + ".xml");
            File.Delete(report);
            var arguments = new List<string> { assembly, "-noLogo", "-noColor", "-junit", report };
            if (IsServerBuild)
            {
                // In CI a skipped test hides a missing prerequisite: count it as a failure.
                arguments.Add("-failSkips");
            }

            if (TestFilter.Length > 0)
            {
                arguments.AddRange(TestFilter.StartsWith('/') ? ["-filter", TestFilter] : ["-class", TestFilter]);
            }

            Console.WriteLine($"── {name}");
            var result = await DotnetCommand(arguments).ExecuteAsync(ct);
            var summary = File.Exists(report)
                ? TestRunSummary.FromJUnit(report)
                : new TestRunSummary(0, 1, 0); // The runner died before writing its report: that is a failure.
            if (!File.Exists(report))
            {
                Console.WriteLine($"{name}: the test runner exited with code {result.ExitCode} and wrote no report.");
            }

            total += summary;
        }

        Console.WriteLine();
        Console.WriteLine(total.ToString());
        if (total.Failed > 0)
        {
            throw new TargetFailedException($"{total.Failed} test(s) failed; see artifacts/test-results/.");
        }
    }

    // dotnet in the repository root, its output streamed, its exit code judged by the caller.
    Command DotnetCommand(IEnumerable<string> arguments) =>
        Command.Create("dotnet").WithArguments(arguments)
            .WithWorkingDirectory(RootDirectory)
            .WithValidation(false)
            .WithStandardOutputLine(Console.WriteLine)
            .WithStandardErrorLine(Console.Error.WriteLine);

    async Task Dotnet(CancellationToken ct, params string[] arguments)
    {
        var result = await DotnetCommand(arguments).ExecuteAsync(ct);
        if (!result.IsSuccess)
        {
            // Its output was streamed above; repeating it would only bury the cause.
            throw new TargetFailedException($"dotnet {arguments[0]} exited with code {result.ExitCode} (output above).");
        }
    }
}
