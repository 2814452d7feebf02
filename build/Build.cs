using CiLab.Build.Engine;
using CiLab.GitHub;
using CiLab.Host;
using CiLab.Processes;
using CiLab.Testing;
using CliWrap;

namespace CiLab.Build;

/// <summary>CiLab's build: compile, test and pack the project, and run the default lab's VM jobs.</summary>
internal sealed partial class Build : NukeBuild
{
    public static int Main() => Execute<Build>(x => x.Compile);

    [Parameter("Configuration to build")]
    readonly Configuration Configuration = Configuration.Debug;

    [Parameter("Run only tests whose full name contains this (e.g. 'Parser' or '*Parser*'), or a dotnet test --filter expression (e.g. 'FullyQualifiedName~Ssh&Name!~Kill')")]
    readonly string TestFilter = "";

    [Parameter("The lab file")]
    readonly string LabPath = "lab.yaml";

    [Parameter("VMs to act on (default: every VM of the lab)")]
    readonly string[] Vm = [];

    [Parameter("The snapshot VmSnapshot saves and VmRestore restores")]
    readonly string Snapshot = "clean";

    [Parameter("Leave VMs running at the end")]
    readonly bool KeepVm = false;

    [Parameter("The lab suites TestPhase4 runs: names (e.g. unit,e2e), or all; the lab's default-suites when not given")]
    readonly string[] Suite = [];

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

    // The library's exceptions name what failed in their message; the build shows that sentence alone.
    protected override bool IsExplainedFailure(Exception exception) => exception is CiLabException;

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
            foreach (var project in new[] { "src/CiLab/CiLab.csproj", "src/CiLab.Cli/CiLab.Cli.csproj", "src/CiLab.Xunit/CiLab.Xunit.csproj" })
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

    Target GenerateSchema => _ => _
        .Description("Regenerate .nuke/build.schema.json from this build class")
        .Executes(() => File.WriteAllText(Path.Combine(RootDirectory, ".nuke", "build.schema.json"), BuildSchemaJson()));

    static Task EnsureHostAsync(CancellationToken ct) =>
        HostPrerequisites.EnsureAsync([.. HostTool.Virtualization, .. HostTool.ImageBuilding], LineLogger.Console, ct);

    async Task RunTestsAsync(CancellationToken ct)
    {
        // The integration tests boot real guests, make a bootable installer ISO (grub-mkrescue) and open the HTML report in a
        // browser: a fresh Debian machine gets what they need here.
        await HostPrerequisites.EnsureAsync(
            [.. HostTool.Virtualization, .. HostTool.ImageBuilding, new HostTool("chromium", "chromium"),
             new HostTool("grub-mkrescue", "grub-common"), new HostTool("/usr/lib/grub/i386-pc/cdboot.img", "grub-pc-bin"), new HostTool("xorriso", "xorriso")],
            LineLogger.Console, ct);
        Directory.CreateDirectory(TestResultsDirectory);
        var total = TestRunSummary.Zero;
        var projects = Directory.GetDirectories(Path.Combine(RootDirectory, "tests")).Order(StringComparer.Ordinal);
        foreach (var project in projects)
        {
            var name = Path.GetFileName(project);
            var report = Path.Combine(TestResultsDirectory, name + ".xml");
            File.Delete(report);
            // dotnet test, as .NET users run tests, with JunitXml.TestLogger writing the report read below.
            var arguments = new List<string> { "test", Path.Combine(project, name + ".csproj"), "--no-build", "-c", Configuration.ToString(), "--nologo", "--logger", $"junit;LogFilePath={report}" };
            if (TestFilter.Length > 0)
            {
                arguments.AddRange(["--filter", TestFilter.IndexOfAny(['=', '~', '!', '|', '&']) >= 0 ? TestFilter : $"FullyQualifiedName~{TestFilter.Trim('*')}"]);
            }

            if (IsServerBuild)
            {
                // In CI a skipped test hides a missing prerequisite: count it as a failure.
                arguments.AddRange(["--", "xUnit.FailSkips=true"]);
            }

            Console.WriteLine($"── {name}");
            var result = await DotnetCommand(arguments).ExecuteBoundedAsync(ct);
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
        Cli.Wrap("dotnet").WithArguments(arguments)
            .WithWorkingDirectory(RootDirectory)
            .WithValidation(false)
            .WithStandardOutputLine(Console.WriteLine)
            .WithStandardErrorLine(Console.Error.WriteLine);

    async Task Dotnet(CancellationToken ct, params string[] arguments)
    {
        var result = await DotnetCommand(arguments).ExecuteBoundedAsync(ct);
        if (!result.IsSuccess)
        {
            // Its output was streamed above; repeating it would only bury the cause.
            throw new TargetFailedException($"dotnet {arguments[0]} exited with code {result.ExitCode} (output above).");
        }
    }
}
