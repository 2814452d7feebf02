using CiLab.IntegrationTests.Browser;
using CiLab.Testing;

namespace CiLab.IntegrationTests;

/// <summary>Several suites per lab, as seed 003 had unit, build, e2e and phase4: run through the build, as users run them.</summary>
public sealed class LabSuitesTests
{
    private static readonly string Results = Path.Combine(GuestLab.RepositoryRoot, "artifacts", "test-results");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Suite_all_runs_every_suite_of_the_default_lab_with_a_junit_file_each_vms_at_once_and_a_report_a_browser_opens()
    {
        string[] suites = ["phase4", "unit", "build", "e2e"];
        foreach (var suite in suites)
        {
            File.Delete(Path.Combine(Results, suite + ".xml"));
        }

        var run = new BuildRun("TestPhase4", "--suite", "all");

        Assert.True(await run.ExitCodeAsync(TimeSpan.FromMinutes(12)) == 0, run.Output);
        var reports = suites.ToDictionary(s => s, s => JUnitReader.ReadFile(Path.Combine(Results, s + ".xml")));
        Assert.All(reports.Values, r => Assert.True(r.IsSuccess && r.Passed > 0, r.ToString()));
        Assert.Equal(3, reports["e2e"].Passed); // The TAP script drove the binary the build suite made.
        Assert.Equal(3, reports["unit"].Passed);
        Assert.Contains("  e2e | ok 2 - each of the 2 workers ran the command in its chroot", run.Output, StringComparison.Ordinal);
        var total = reports.Values.Sum(r => r.Passed);
        Assert.Contains($"{total} passed, 0 failed, 0 skipped", run.Output, StringComparison.Ordinal);

        await using var browser = await HeadlessChromium.StartAsync(Ct);
        await browser.OpenAsync(Path.Combine(Results, "report.html"), Ct);
        Assert.Equal(total.ToString(System.Globalization.CultureInfo.InvariantCulture), (await browser.EvaluateAsync("document.querySelectorAll('#cases tbody tr').length", Ct))?.ToString());
        Assert.Equal("phase4 unit build e2e", (await browser.EvaluateAsync("Array.from(new Set(Array.from(document.querySelectorAll('#cases tbody tr')).map(r => r.cells[0].textContent))).join(' ')", Ct))?.ToString());
        // A lane per VM: each restored and synced once; phase4's three suites in turn (the build before e2e), unit in
        // torment at the same time.
        Assert.Equal("restore sync phase4 build e2e", await Lane(browser, "phase4"));
        Assert.Equal("restore sync unit", await Lane(browser, "torment"));
        var overlap = await browser.EvaluateAsync("(() => { const bar = (lane, name) => document.querySelector(`#timeline rect.span[data-lane=${lane}][data-name=${name}]`); const a = bar('phase4', 'phase4'), b = bar('torment', 'unit'); const end = r => +r.getAttribute('x') + +r.getAttribute('width'); return +a.getAttribute('x') < end(b) && +b.getAttribute('x') < end(a); })()", Ct);
        Assert.True(overlap?.GetValue<bool>(), "the suites of the two VMs did not run at the same time:\n" + run.Output);
        Assert.Empty(browser.Errors);
    }

    private static async Task<string?> Lane(HeadlessChromium browser, string lane) =>
        (await browser.EvaluateAsync($"Array.from(document.querySelectorAll('#timeline rect.span[data-lane={lane}]')).map(r => r.dataset.name).join(' ')", Ct))?.ToString();

    [Fact]
    public async Task A_suite_whose_build_step_fails_errs_without_running_and_fails_the_job()
    {
        File.Delete(Path.Combine(Results, "e2e.xml"));

        // A Go flag no go command accepts: the build suite fails for real.
        var run = new BuildRun("TestPhase4", "--suite", "e2e", "--suite-env", "GOFLAGS=-mod=bogus");

        Assert.NotEqual(0, await run.ExitCodeAsync(TimeSpan.FromMinutes(10)));
        var build = JUnitReader.ReadFile(Path.Combine(Results, "build.xml"));
        var e2e = JUnitReader.ReadFile(Path.Combine(Results, "e2e.xml"));
        Assert.False(build.IsSuccess);
        var notRun = Assert.Single(e2e.Cases);
        Assert.Equal((TestOutcome.Errored, "not run: it needs 'build', which failed in this run"), (notRun.Outcome, notRun.Message));
        Assert.DoesNotContain("Running suite 'e2e'", run.Output, StringComparison.Ordinal);
        Assert.Contains("suite 'build': 0 passed, 1 failed", run.Output, StringComparison.Ordinal);
    }
}
