using CiLab.GitHub;
using CiLab.Reporting;
using CiLab.Testing;

namespace CiLab.Tests.GitHub;

[Collection(LocalHttpServers.Name)]
public sealed class GitHubReporterTests : IDisposable
{
    private const string Sha = "89abcdef0123456789abcdef0123456789abcdef";
    private readonly FakeGitHubServer _server = new();
    private readonly HttpClientHandler _http = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-gh-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_a_token_it_says_so_and_posts_nothing()
    {
        var log = new StringWriter();
        var posted = await new GitHubReporter(new GitHubContext { Repository = "octo/lab", Sha = Sha }, log, _http).PostAsync("phase4", Report(), Ct);
        Assert.False(posted);
        Assert.Contains("No GitHub token", log.ToString(), StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task With_a_token_it_posts_a_status_and_a_check_run_and_masks_the_token()
    {
        var log = new StringWriter();
        var context = new GitHubContext { IsActions = true, Repository = "octo/lab", Sha = Sha, ApiUrl = _server.BaseUrl, Token = FakeGitHubServer.Token };
        var posted = await new GitHubReporter(context, log, _http).PostAsync("phase4", Report(), Ct);

        Assert.True(posted);
        Assert.Empty(_server.Violations);
        Assert.Equal(["POST", "POST"], _server.Requests.Select(r => r.Method));
        var text = log.ToString();
        Assert.StartsWith($"::add-mask::{FakeGitHubServer.Token}", text, StringComparison.Ordinal);
        Assert.Equal(1, text.Split(FakeGitHubServer.Token).Length - 1);
        Assert.Contains("Posted commit status cilab/phase4: Failure", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_junit_file_whose_failure_follows_its_output_is_posted_as_a_failure()
    {
        const string xml = """<testsuite name="s"><testcase name="t"><system-out>log</system-out><failure message="x"/></testcase></testsuite>""";
        var report = JUnitReader.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(xml)), "guest.xml");
        var context = new GitHubContext { Repository = "octo/lab", Sha = Sha, ApiUrl = _server.BaseUrl, Token = FakeGitHubServer.Token };
        await new GitHubReporter(context, TextWriter.Null, _http).PostAsync("phase4", report, Ct);

        using var status = System.Text.Json.JsonDocument.Parse(_server.Requests.First(r => r.Path.Contains("/statuses/", StringComparison.Ordinal)).Body);
        Assert.Equal("failure", status.RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_token_that_cannot_create_check_runs_still_posts_the_status_and_says_what_to_grant()
    {
        _server.AnswerNextCheckRunWithForbidden();
        var log = new StringWriter();
        var context = new GitHubContext { Repository = "octo/lab", Sha = Sha, ApiUrl = _server.BaseUrl, Token = FakeGitHubServer.Token };
        var posted = await new GitHubReporter(context, log, _http).PostAsync("phase4", Report(), Ct);

        Assert.True(posted);
        Assert.Equal(["/repos/octo/lab/statuses/" + Sha, "/repos/octo/lab/check-runs"], _server.Requests.Select(r => r.Path));
        Assert.Contains("grant 'checks: write'", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Inside_Actions_it_folds_suites_annotates_failures_and_appends_the_job_summary()
    {
        var summary = Path.Combine(_directory, "summary.md");
        var log = new StringWriter();
        new GitHubReporter(new GitHubContext { IsActions = true, StepSummaryPath = summary }, log, _http)
            .WriteActionsOutput("TestPhase4", Timeline.Attach(Report(), [new("phase4", "restore", Start, TimeSpan.FromSeconds(0.2)), new("phase4", "worker", Start.AddSeconds(0.2), TimeSpan.FromSeconds(3), TestOutcome.Failed)]));

        var text = log.ToString();
        Assert.Contains("::group::TestPhase4: worker", text, StringComparison.Ordinal);
        Assert.Contains("::endgroup::", text, StringComparison.Ordinal);
        Assert.Contains("::error file=worker_test.go,line=12,title=worker › TestMounts::mount busy%0Aretry", text, StringComparison.Ordinal);
        var markdown = File.ReadAllText(summary);
        Assert.Contains("| worker | 1 | 1 | 0 | 0 |", markdown, StringComparison.Ordinal);
        Assert.Contains("TestMounts", markdown, StringComparison.Ordinal);
        // Failures before the counts, and the timeline as a chart GitHub draws: a section per VM, the failed suite marked.
        Assert.True(markdown.IndexOf("### Failures", StringComparison.Ordinal) < markdown.IndexOf("| Suite |", StringComparison.Ordinal));
        Assert.Contains("```mermaid\ngantt\n", markdown.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("    section phase4\n    restore (200 ms) :active, b0, 0, 200\n    worker (3.0 s) :crit, b1, 200, 3200\n", markdown.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static readonly DateTimeOffset Start = new(2026, 11, 23, 4, 0, 0, TimeSpan.Zero);

    private static TestReport Report() => new([new TestSuiteResult
    {
        Name = "worker",
        Cases =
        [
            new TestCaseResult { ClassName = "worker", Name = "TestChroot", Outcome = TestOutcome.Passed },
            new TestCaseResult { ClassName = "worker", Name = "TestMounts", Outcome = TestOutcome.Failed, Message = "mount busy\nretry", File = "worker_test.go", Line = 12, Output = "worker_test.go:12: mount busy" },
        ],
    }]);
}
