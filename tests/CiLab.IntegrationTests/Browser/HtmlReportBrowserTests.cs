using CiLab.Reporting;
using CiLab.Testing;

namespace CiLab.IntegrationTests.Browser;

/// <summary>The HTML report as people see it: opened by a real browser (headless Chromium), its elements read back from the page.</summary>
public sealed class HtmlReportBrowserTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 4, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-report-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_report_opens_with_failures_first_a_timeline_per_vm_a_scenario_grid_and_working_filters_and_no_console_errors()
    {
        var page = Path.Combine(_directory, "report.html");
        HtmlReport.WriteFile(page, "CiLab: TestPhase4, TestUpgrade", [new("unit", Unit()), new("TestUpgrade", Upgrade())]);
        await using var browser = await HeadlessChromium.StartAsync(Ct);

        await browser.OpenAsync(page, Ct);

        async Task<string> Text(string script) => (await browser.EvaluateAsync(script, Ct))?.ToString() ?? "(null)";
        Assert.Equal("5 passed, 2 failed, 1 skipped", await Text("document.getElementById('totals').textContent"));
        Assert.Equal("failed", await Text("document.getElementById('totals').className"));
        // Failures come before everything else on the page, each with its message, file:line and output.
        Assert.Equal("failures", await Text("document.querySelector('section').id"));
        Assert.Equal("2", await Text("document.querySelectorAll('#failures article.failure').length"));
        Assert.Equal("mount_test.go:12", await Text("document.querySelector('#failures .where').textContent"));
        Assert.Contains("<script>window.pwned = 1</script>", await Text("document.querySelector('#failures pre.output').textContent"), StringComparison.Ordinal);
        Assert.Equal("undefined", await Text("typeof window.pwned")); // The output was shown as text, not run.
        Assert.Equal("0", await Text("document.querySelectorAll('#failures img').length"));
        // The timeline: a lane per VM, a bar per span.
        Assert.Equal("phase4 sorrow torment", await Text("Array.from(new Set(Array.from(document.querySelectorAll('#timeline rect.span')).map(r => r.dataset.lane))).join(' ')"));
        Assert.Equal("6", await Text("document.querySelectorAll('#timeline rect.span').length"));
        Assert.Equal("Step sorrow torment", await Text("Array.from(document.querySelectorAll('table.matrix th')).map(t => t.textContent).join(' ')"));
        Assert.Equal("errored (1 m 30 s)", await Text("document.querySelector('table.matrix tbody tr:nth-child(2) td:nth-child(3)').textContent"));

        await browser.ScreenshotAsync(Path.Combine(ScreenshotDirectory(), "report.png"), Ct);
        const string visibleCases = "Array.from(document.querySelectorAll('#cases tbody tr')).filter(r => !r.hidden).map(r => r.cells[2].textContent).join(',')";
        Assert.Equal("8", await Text("document.querySelectorAll('#cases tbody tr').length"));
        await browser.EvaluateAsync("document.querySelector('#filters [data-filter=failed]').click()", Ct);
        await WaitForAsync(browser, "location.hash === '#failed'");
        Assert.Equal("TestMountsBusy,boot failure falls back", await Text(visibleCases));
        Assert.Equal("true", await Text("document.querySelector('#filters [data-filter=failed]').getAttribute('aria-pressed')"));
        await browser.EvaluateAsync("document.querySelector('#filters [data-filter=skipped]').click()", Ct);
        await WaitForAsync(browser, "location.hash === '#skipped'");
        Assert.Equal("TestNeedsKvm", await Text(visibleCases));
        Assert.Equal("true", await Text("document.querySelector('#failures article').hidden"));

        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task A_report_opened_on_a_filter_link_shows_only_those_cases()
    {
        var page = Path.Combine(_directory, "report.html");
        HtmlReport.WriteFile(page, "unit", [new("unit", Unit())]);
        await using var browser = await HeadlessChromium.StartAsync(Ct);

        await browser.OpenAsync(page, Ct, "#passed");

        var visible = await browser.EvaluateAsync("Array.from(document.querySelectorAll('#cases tbody tr')).filter(r => !r.hidden).length", Ct);
        Assert.Equal("2", visible?.ToString());
        Assert.Empty(browser.Errors);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // Kept with the run's results, to look at.
    private static string ScreenshotDirectory() => Directory.CreateDirectory(Path.Combine(GuestLab.RepositoryRoot, "artifacts", "test-results", "screenshots")).FullName;

    private static async Task WaitForAsync(HeadlessChromium browser, string condition)
    {
        for (var i = 0; i < 50 && (await browser.EvaluateAsync(condition, Ct))?.GetValue<bool>() != true; i++)
        {
            await Task.Delay(100, Ct);
        }
    }

    private static TestReport Unit() => Timeline.Attach(new TestReport([new TestSuiteResult
    {
        Name = "example.com/mountlab/internal/worker",
        Properties = new Dictionary<string, string> { ["vm"] = "phase4" },
        Cases =
        [
            new TestCaseResult { ClassName = "worker", Name = "TestChroot", Outcome = TestOutcome.Passed, Duration = TimeSpan.FromSeconds(0.4) },
            new TestCaseResult { ClassName = "worker", Name = "TestMountsBusy", Outcome = TestOutcome.Failed, Message = "unmount /w/proc: device or resource busy", File = "mount_test.go", Line = 12, Output = "=== RUN TestMountsBusy\n<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">\n--- FAIL" },
            new TestCaseResult { ClassName = "worker", Name = "TestNeedsKvm", Outcome = TestOutcome.Skipped, Message = "no /dev/kvm" },
            new TestCaseResult { ClassName = "worker", Name = "TestPlan", Outcome = TestOutcome.Passed },
        ],
    }]), [new("phase4", "restore", Start, TimeSpan.FromSeconds(1.4)), new("phase4", "sync", Start.AddSeconds(1.4), TimeSpan.FromSeconds(0.8)), new("phase4", "unit", Start.AddSeconds(2.2), TimeSpan.FromSeconds(14), TestOutcome.Failed)]);

    private static TestReport Upgrade()
    {
        TestSuiteResult Vm(string vm, TestOutcome last) => new()
        {
            Name = $"TestUpgrade.{vm}",
            Properties = new Dictionary<string, string> { ["vm"] = vm, ["scenario"] = "TestUpgrade" },
            Cases =
            [
                new TestCaseResult { ClassName = $"TestUpgrade.{vm}", Name = "installs", Outcome = TestOutcome.Passed, Duration = TimeSpan.FromSeconds(4) },
                new TestCaseResult { ClassName = $"TestUpgrade.{vm}", Name = "boot failure falls back", Outcome = last, Duration = TimeSpan.FromSeconds(90), Message = last == TestOutcome.Passed ? null : "VM 'torment' did not come back after a reboot" },
            ],
        };

        return Timeline.Attach(new TestReport([Vm("sorrow", TestOutcome.Passed), Vm("torment", TestOutcome.Errored)]),
            [new("sorrow", "boot failure falls back", Start.AddSeconds(20), TimeSpan.FromSeconds(80), TestOutcome.Passed), new("torment", "boot failure falls back", Start.AddSeconds(20), TimeSpan.FromSeconds(90), TestOutcome.Errored), new("torment", "reboot", Start.AddSeconds(30), TimeSpan.FromSeconds(60))]);
    }
}
