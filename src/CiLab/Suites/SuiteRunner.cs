using System.Diagnostics;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Reporting;
using CiLab.Sync;
using CiLab.Testing;
using Microsoft.Extensions.Logging;

namespace CiLab.Suites;

/// <summary>
/// Runs a lab suite in its VM the way seed 003 did by hand: restore the clean snapshot, sync the code in,
/// run the suite (as root when asked), stream its output into the parser, copy artifacts back, and write
/// the JUnit report — also when the VM died or the suite timed out (those become error cases). It holds no state
/// of its own between runs: one runner can serve many VMs at once.
/// </summary>
/// <param name="log">Where progress lines go.</param>
public sealed class SuiteRunner(ILogger log)
{
    /// <summary>How often, at most, a running count of results is logged while a suite streams.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(10);

    /// <summary>The guest folder the project is synced into: <c>project</c> in the lab user's home.</summary>
    public static string GuestProjectDirectory(IMachine vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        return vm.Profile.HomeDirectory(vm.Definition.User).TrimEnd('/') + "/project";
    }

    /// <summary>Restores <see cref="SuiteRunOptions.Snapshot"/> (booting from it when stopped) and syncs the project in.</summary>
    public async Task<SuitePreparation> PrepareAsync(IMachine vm, SuiteRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(options);
        await vm.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        if (await vm.HasSnapshotAsync(options.Snapshot, cancellationToken).ConfigureAwait(false))
        {
            await vm.RestoreAsync(options.Snapshot, cancellationToken).ConfigureAwait(false);
            log.Line($"VM '{vm.Name}' restored to '{options.Snapshot}' in {clock.Elapsed.TotalSeconds:0.0}s.");
        }
        else
        {
            log.Line($"VM '{vm.Name}' has no snapshot '{options.Snapshot}': booting it as it is.");
            await vm.StartAsync(MachineStartOptions.Owned, cancellationToken).ConfigureAwait(false);
        }

        var restore = new TimelineSpan(vm.Name, "restore", started, clock.Elapsed);
        clock.Restart();
        var sync = await vm.Shell.SyncAsync(options.ProjectDirectory, GuestProjectDirectory(vm), new SyncOptions { Excludes = options.SyncExcludes, StateDirectory = vm.StateDirectory }, cancellationToken).ConfigureAwait(false);
        return new SuitePreparation(sync, [restore, new TimelineSpan(vm.Name, "sync", restore.End, clock.Elapsed)]);
    }

    /// <summary>Runs <paramref name="suite"/> in <paramref name="vm"/> and writes the JUnit report; never throws for a failing or dying suite.</summary>
    public async Task<SuiteRunResult> RunAsync(IMachine vm, SuiteDefinition suite, SuiteRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(options);
        Names.RequireValidName(suite.Name, "suite");
        await vm.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var guestDirectory = $"{GuestProjectDirectory(vm)}/{suite.Directory}".TrimEnd('/', '.');
        var report = await RunSuiteAsync(vm, suite, options, guestDirectory, cancellationToken).ConfigureAwait(false);
        report = report.WithProperties(new Dictionary<string, string>
        {
            ["vm"] = vm.Name,
            ["image"] = vm.ImageId,
            ["accelerator"] = vm.GetStatus().Accelerator ?? "unknown",
            ["host"] = Environment.MachineName,
            ["suite"] = suite.Name,
        });
        await CopyArtifactsAsync(vm, suite, guestDirectory, options, cancellationToken).ConfigureAwait(false);
        var outcome = report.IsSuccess ? TestOutcome.Passed : report.Errored > 0 && report.Failed == 0 ? TestOutcome.Errored : TestOutcome.Failed;
        return Write(report, new TimelineSpan(vm.Name, suite.Name, started, clock.Elapsed, outcome), suite, options);
    }

    /// <summary>
    /// Writes the JUnit report of a suite that was not run (a suite it needs failed): one error case saying
    /// <paramref name="reason"/>, so that a check waiting on this suite fails rather than passing by absence.
    /// </summary>
    public SuiteRunResult WriteNotRun(IMachine vm, SuiteDefinition suite, string reason, SuiteRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(options);
        Names.RequireValidName(suite.Name, "suite");
        log.Line($"Suite '{suite.Name}' in VM '{vm.Name}': {reason}.");
        var report = new TestReport([new TestSuiteResult { Name = suite.Name, Cases = [Error(suite, "(needs)", reason, string.Empty)], Properties = new Dictionary<string, string> { ["vm"] = vm.Name, ["suite"] = suite.Name } }]);
        return Write(report, new TimelineSpan(vm.Name, suite.Name, DateTimeOffset.UtcNow, TimeSpan.Zero, TestOutcome.Errored), suite, options);
    }

    // The JUnit file carries the timeline (the earlier spans and this suite's), so a report merged later can draw it.
    private static SuiteRunResult Write(TestReport report, TimelineSpan span, SuiteDefinition suite, SuiteRunOptions options)
    {
        List<TimelineSpan> timeline = [.. options.EarlierTimeline, span];
        report = Timeline.Attach(report, timeline);
        var junit = Path.Combine(options.ResultsDirectory, (options.ReportName ?? suite.Name) + ".xml");
        JUnitWriter.WriteFile(report, junit);
        return new SuiteRunResult(report, junit, timeline);
    }

    private async Task<TestReport> RunSuiteAsync(IMachine vm, SuiteDefinition suite, SuiteRunOptions options, string guestDirectory, CancellationToken cancellationToken)
    {
        var parser = suite.Format is TestOutputFormat.GoTestJson or TestOutputFormat.GoTestText or TestOutputFormat.Tap
            ? TestOutputParser.Create(suite.Format, suite.Name)
            : null;
        var environment = suite.Environment.Concat(options.ExtraEnvironment).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        Exception? parserFailure = null;
        var running = Stopwatch.StartNew();
        var shown = Stopwatch.StartNew();
        var shownTotal = 0;
        var dotnetResults = suite.Format == TestOutputFormat.DotnetTest ? DotnetTestResults.NewGuestDirectory() : null;
        var command = new GuestCommand
        {
            Script = dotnetResults is null ? suite.Run : DotnetTestResults.CommandLine(suite.Run, dotnetResults),
            WorkingDirectory = guestDirectory,
            Elevation = suite.Elevation,
            Environment = environment,
            Timeout = suite.Timeout,
            ValidateExitCode = false,
            OnOutputLine = line =>
            {
                if (parser is not null && parserFailure is null)
                {
                    try
                    {
                        parser.ReadLine(line);
                        if (parser.Tally.Total != shownTotal && shown.Elapsed >= ProgressInterval)
                        {
                            // A running count, not a line per test: long suites stay readable in a CI log.
                            shownTotal = parser.Tally.Total;
                            shown.Restart();
                            log.Line($"Suite '{suite.Name}': {parser.Tally} so far ({running.Elapsed.TotalSeconds:0}s).");
                        }
                    }
                    catch (Exception e)
                    {
                        // Keep draining the guest's output (a stopped reader would block it on a full pipe); report it below.
                        parserFailure = e;
                    }
                }

                options.OnOutputLine?.Invoke(line);
            },
            OnErrorLine = options.OnOutputLine,
        };
        log.Line($"Running suite '{suite.Name}' in VM '{vm.Name}' ({suite.Elevation}): {suite.Run}");
        GuestCommandResult? result = null;
        TestCaseResult? failure = null;
        try
        {
            result = await vm.Shell.RunAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (GuestCommandTimeoutException e)
        {
            failure = Error(suite, "(timeout)", e.Message, string.Empty);
        }
        catch (GuestConnectionException e)
        {
            var why = vm.IsRunning() ? e.Message : $"VM '{vm.Name}' died during the suite.{vm.Diagnostics()}";
            failure = Error(suite, "(vm)", why, e.Detail);
        }

        var report = suite.Format switch
        {
            TestOutputFormat.JUnit when result is not null => await FetchJUnitAsync(vm, suite, guestDirectory, cancellationToken).ConfigureAwait(false),
            TestOutputFormat.DotnetTest when result is not null => await FetchDotnetTestAsync(vm, suite, dotnetResults!, cancellationToken).ConfigureAwait(false),
            TestOutputFormat.ExitCode when result is not null => ExitCodeResult.Create(suite.Name, result.ExitCode, result.StandardOutput + result.StandardError, result.Duration),
            _ => CompleteParser(parser, ref parserFailure),
        };

        if (parserFailure is not null)
        {
            failure ??= Error(suite, "(parser)", $"the {TestOutputFormats.NameOf(suite.Format)} output of '{suite.Run}' could not be read: {parserFailure.Message}", string.Empty);
        }

        if (failure is null && result is not null && result.ExitCode != 0 && report.IsSuccess)
        {
            // The suite failed, yet no case says so (a crash before any test, a bad flag): that must not read as green.
            failure = Error(suite, "(exit code)", $"'{suite.Run}' exited with code {result.ExitCode} but no test case failed", result.StandardError + result.StandardOutput);
        }

        return failure is null ? report : report.Merge(new TestReport([new TestSuiteResult { Name = suite.Name, Cases = [failure] }]));
    }

    private static TestReport CompleteParser(TestOutputParser? parser, ref Exception? failure)
    {
        if (parser is null || failure is not null)
        {
            return new TestReport([]);
        }

        try
        {
            return parser.Complete();
        }
        catch (Exception e)
        {
            failure = e;
            return new TestReport([]);
        }
    }

    private static async Task<TestReport> FetchJUnitAsync(IMachine vm, SuiteDefinition suite, string guestDirectory, CancellationToken cancellationToken)
    {
        var guestFile = suite.Artifacts.FirstOrDefault() is { } first ? $"{guestDirectory}/{first}" : $"{guestDirectory}/junit.xml";
        var local = Path.GetTempFileName();
        try
        {
            await vm.Shell.DownloadAsync(guestFile, local, cancellationToken).ConfigureAwait(false);
            return JUnitReader.ReadFile(local);
        }
        catch (Exception e) when (e is GuestConnectionException or InvalidDataException)
        {
            return new TestReport([new TestSuiteResult { Name = suite.Name, Cases = [Error(suite, "(junit)", $"could not read the suite's JUnit file {guestFile}: {e.Message}", string.Empty)] }]);
        }
        finally
        {
            File.Delete(local);
        }
    }

    private static async Task<TestReport> FetchDotnetTestAsync(IMachine vm, SuiteDefinition suite, string guestResults, CancellationToken cancellationToken)
    {
        var local = Directory.CreateTempSubdirectory("cilab-dotnet-test-").FullName;
        try
        {
            await vm.Shell.DownloadAsync(guestResults, local, cancellationToken).ConfigureAwait(false);
            return DotnetTestResults.Read(local);
        }
        catch (Exception e) when (e is GuestConnectionException or InvalidDataException)
        {
            return new TestReport([new TestSuiteResult { Name = suite.Name, Cases = [Error(suite, "(junit)", $"could not read the JUnit files of '{suite.Run}': {e.Message}", string.Empty)] }]);
        }
        finally
        {
            Directory.Delete(local, recursive: true);
            await RemoveQuietlyAsync(vm, guestResults, suite.Elevation, cancellationToken).ConfigureAwait(false);
        }
    }

    // Best effort: a VM that died after the run has nothing left to tidy, and the report above says what happened.
    private static async Task RemoveQuietlyAsync(IMachine vm, string guestPath, Elevation elevation, CancellationToken cancellationToken)
    {
        try
        {
            await vm.Shell.RunAsync(new GuestCommand { Script = $"rm -rf {guestPath}", Elevation = elevation, ValidateExitCode = false, Timeout = TimeSpan.FromMinutes(1) }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is GuestConnectionException or GuestCommandTimeoutException)
        {
        }
    }

    private async Task CopyArtifactsAsync(IMachine vm, SuiteDefinition suite, string guestDirectory, SuiteRunOptions options, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(Path.Combine(options.ResultsDirectory, suite.Name)) + Path.DirectorySeparatorChar;
        foreach (var artifact in suite.Artifacts)
        {
            var target = Path.GetFullPath(Path.Combine(root, artifact));
            if (!Names.IsSafeRelativePath(artifact) || !(target + Path.DirectorySeparatorChar).StartsWith(root, StringComparison.Ordinal))
            {
                log.Line($"Artifact '{artifact}' was not copied back: it is not {Names.RelativePathRule}.");
                continue;
            }

            try
            {
                await vm.Shell.DownloadAsync($"{guestDirectory}/{artifact}", target, cancellationToken).ConfigureAwait(false);
            }
            catch (GuestConnectionException e)
            {
                log.Line($"Artifact '{artifact}' was not copied back: {e.Message}");
            }
        }
    }

    private static TestCaseResult Error(SuiteDefinition suite, string name, string message, string output) =>
        new() { ClassName = suite.Name, Name = name, Outcome = TestOutcome.Errored, Message = message, Output = output };
}
