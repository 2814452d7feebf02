using CiLab.Testing;

namespace CiLab.GitHub;

/// <summary>
/// Reports test results to GitHub: inside Actions, folded groups, error annotations and the job summary;
/// with a token, a commit status and a check run per report. Without a token it says so and does nothing else.
/// </summary>
public sealed class GitHubReporter(GitHubContext context, TextWriter log, HttpMessageHandler? handler = null)
{
    /// <summary>Writes groups, annotations and the job summary when running inside GitHub Actions.</summary>
    public void WriteActionsOutput(string name, TestReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        if (!context.IsActions)
        {
            return;
        }

        var commands = new WorkflowCommands(log);
        foreach (var suite in report.Suites)
        {
            using (commands.Group($"{name}: {suite.Name}"))
            {
                foreach (var testCase in suite.Cases)
                {
                    log.WriteLine($"{testCase.Outcome,-8} {testCase.Name}");
                }
            }
        }

        foreach (var failure in report.Cases.Where(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored))
        {
            if (!commands.Error(failure.Message ?? failure.Outcome.ToString(), failure.File, failure.Line, $"{failure.ClassName} › {failure.Name}"))
            {
                break;
            }
        }

        if (context.StepSummaryPath is { } summary)
        {
            JobSummary.AppendTo(summary, JobSummary.Render(name, report));
        }
    }

    /// <summary>
    /// Posts a commit status <c>cilab/{name}</c> and a check run for <paramref name="report"/>.
    /// Returns false, having said why, when there is no token or no commit to report on.
    /// </summary>
    /// <exception cref="GitHubApiException">GitHub refused the status.</exception>
    public async Task<bool> PostAsync(string name, TestReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        if (context.Token is null)
        {
            log.WriteLine($"No GitHub token (GITHUB_TOKEN or GH_TOKEN): the status of {name} was not posted.");
            return false;
        }

        if (context.Repository is null || context.Sha is null)
        {
            log.WriteLine($"No repository or commit (GITHUB_REPOSITORY, GITHUB_SHA): the status of {name} was not posted.");
            return false;
        }

        if (context.IsActions)
        {
            new WorkflowCommands(log).Mask(context.Token);
        }

        var client = new GitHubClient(new GitHubClientOptions { ApiBaseUrl = context.ApiUrl, Token = context.Token }, handler: handler);
        var state = report.IsSuccess ? CommitState.Success : CommitState.Failure;
        await client.CreateCommitStatusAsync(context.Repository, context.Sha, new CommitStatusRequest(state, $"cilab/{name}", report.ToString(), context.RunUrl), cancellationToken).ConfigureAwait(false);
        log.WriteLine($"Posted commit status cilab/{name}: {state} ({report}).");

        try
        {
            var annotations = report.Cases
                .Where(c => c.Outcome is TestOutcome.Failed or TestOutcome.Errored && c.File is not null)
                .Select(c => new CheckAnnotation(c.File!, c.Line ?? 1, c.Line ?? 1, CheckAnnotationLevel.Failure, c.Message ?? c.Outcome.ToString(), $"{c.ClassName} › {c.Name}"))
                .ToList();
            var output = new CheckRunOutput($"{name}: {report}", JobSummary.Render(name, report), Annotations: annotations);
            var run = await client.CreateCheckRunAsync(context.Repository, new CheckRunRequest($"cilab/{name}", context.Sha, report.IsSuccess ? CheckConclusion.Success : CheckConclusion.Failure, output, context.RunUrl), cancellationToken).ConfigureAwait(false);
            log.WriteLine($"Posted check run cilab/{name}: {run.HtmlUrl}");
        }
        catch (GitHubApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Forbidden)
        {
            // GITHUB_TOKEN without "checks: write" (or a fork's read-only token): the status above still stands.
            log.WriteLine($"The check run was not created ({e.ApiMessage}); grant 'checks: write' to the token to get one.");
        }

        return true;
    }
}
