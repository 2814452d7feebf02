using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CiLab.GitHub;

namespace CiLab.Tests.GitHub;

[Collection(LocalHttpServers.Name)]
public sealed class GitHubClientTests : IDisposable
{
    private const string Sha = "0123456789abcdef0123456789abcdef01234567";
    private readonly FakeGitHubServer _server = new();
    private readonly HttpClientHandler _http = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_commit_status_is_posted_with_the_documented_path_headers_and_body()
    {
        var client = Client();
        var created = await client.CreateCommitStatusAsync("octo/lab", Sha, new CommitStatusRequest(CommitState.Failure, "cilab/phase4", "3 passed, 1 failed, 0 skipped", new Uri("https://github.com/octo/lab/actions/runs/1")), Ct);

        Assert.Empty(_server.Violations);
        var request = Assert.Single(_server.Requests);
        Assert.Equal(("POST", $"/repos/octo/lab/statuses/{Sha}"), (request.Method, request.Path));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("failure", body.RootElement.GetProperty("state").GetString());
        Assert.Equal("cilab/phase4", body.RootElement.GetProperty("context").GetString());
        Assert.Equal("https://github.com/octo/lab/actions/runs/1", body.RootElement.GetProperty("target_url").GetString());
        Assert.Equal("failure", created.State);
    }

    [Fact]
    public async Task A_long_description_is_shortened_to_140_characters()
    {
        await Client().CreateCommitStatusAsync("octo/lab", Sha, new CommitStatusRequest(CommitState.Success, "cilab/x", new string('d', 500)), Ct);
        Assert.Empty(_server.Violations);
        using var body = JsonDocument.Parse(Assert.Single(_server.Requests).Body);
        Assert.Equal(140, body.RootElement.GetProperty("description").GetString()!.Length);
    }

    [Fact]
    public async Task A_secondary_rate_limit_is_waited_out_as_Retry_After_says_then_retried()
    {
        _server.AnswerNextWithSecondaryRateLimit(retryAfterSeconds: 1);
        var clock = Stopwatch.StartNew();
        await Client().CreateCommitStatusAsync("octo/lab", Sha, new CommitStatusRequest(CommitState.Success, "cilab/x"), Ct);
        Assert.Equal(2, _server.Requests.Count);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"retried after {clock.Elapsed}");
    }

    [Fact]
    public async Task Retries_are_bounded()
    {
        for (var i = 0; i < 3; i++)
        {
            _server.AnswerNextWithSecondaryRateLimit(retryAfterSeconds: 0);
        }

        var client = Client(maxRetries: 2);
        var e = await Assert.ThrowsAsync<GitHubRateLimitException>(() => client.CreateCommitStatusAsync("octo/lab", Sha, new CommitStatusRequest(CommitState.Success, "cilab/x"), Ct));
        Assert.Equal(3, _server.Requests.Count);
        Assert.Contains("secondary rate limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wait_longer_than_allowed_fails_at_once()
    {
        _server.AnswerNextWithSecondaryRateLimit(retryAfterSeconds: 3600);
        var e = await Assert.ThrowsAsync<GitHubRateLimitException>(() => Client().CreateCommitStatusAsync("octo/lab", Sha, new CommitStatusRequest(CommitState.Success, "cilab/x"), Ct));
        Assert.Equal(TimeSpan.FromHours(1), e.RequestedWait);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_validation_failure_becomes_a_typed_exception_listing_the_fields()
    {
        _server.AnswerNextWithValidationFailed();
        var e = await Assert.ThrowsAsync<GitHubValidationException>(() => Client().CreateCommitStatusAsync("octo/lab", Sha, new CommitStatusRequest(CommitState.Success, "cilab/x"), Ct));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.StatusCode);
        Assert.Equal(["Status.state: custom (state is not included in the list)"], e.Errors);
        Assert.DoesNotContain(FakeGitHubServer.Token, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_permission_403_is_not_retried()
    {
        _server.AnswerNextWithForbidden();
        var e = await Assert.ThrowsAsync<GitHubApiException>(() => Client().CreateCommitStatusAsync("octo/lab", Sha, new CommitStatusRequest(CommitState.Success, "cilab/x"), Ct));
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_check_run_with_120_annotations_is_created_with_50_and_updated_twice()
    {
        var annotations = Enumerable.Range(1, 120).Select(i => new CheckAnnotation("internal/worker/worker_test.go", i, i, CheckAnnotationLevel.Failure, $"failure {i}")).ToList();
        var run = await Client().CreateCheckRunAsync("octo/lab", new CheckRunRequest("cilab/phase4", Sha, CheckConclusion.Failure, new CheckRunOutput("phase4", "summary", Annotations: annotations)), Ct);

        Assert.Empty(_server.Violations);
        var requests = _server.Requests.ToList();
        Assert.Equal(["POST", "PATCH", "PATCH"], requests.Select(r => r.Method));
        Assert.Equal($"/repos/octo/lab/check-runs/{run.Id}", requests[1].Path);
        var counts = requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("output").GetProperty("annotations").GetArrayLength());
        Assert.Equal([50, 50, 20], counts);
        using var first = JsonDocument.Parse(requests[0].Body);
        Assert.Equal("completed", first.RootElement.GetProperty("status").GetString());
        Assert.Equal("failure", first.RootElement.GetProperty("conclusion").GetString());
        Assert.Equal("failure", first.RootElement.GetProperty("output").GetProperty("annotations")[0].GetProperty("annotation_level").GetString());
    }

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
    }

    private GitHubClient Client(int maxRetries = 3) => new(new GitHubClientOptions
    {
        ApiBaseUrl = _server.BaseUrl,
        Token = FakeGitHubServer.Token,
        MaxRetries = maxRetries,
        MaxRetryWait = TimeSpan.FromSeconds(10),
        DefaultSecondaryWait = TimeSpan.FromMilliseconds(10),
    }, handler: _http);
}
