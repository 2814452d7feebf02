using System.Globalization;
using System.Net;
using Octokit;
using Octokit.Internal;

namespace CiLab.GitHub;

/// <summary>
/// Commit statuses and check runs through Octokit. This layer adds only what Octokit leaves to its callers: GitHub's
/// documented waits on primary and secondary rate limits and 429 (bounded), check-run annotations in batches of 50,
/// descriptions cut to 140 characters, the API root taken as given (GitHub Enterprise's too), the recommended media type
/// and API version headers, and Octokit's errors mapped to CiLab's typed exceptions in one place.
/// </summary>
public sealed class GitHubClient
{
    /// <summary>The most annotations GitHub accepts in one request.</summary>
    public const int AnnotationsPerRequest = 50;

    private readonly Octokit.GitHubClient _octokit;
    private readonly GitHubClientOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a client; requests go through <paramref name="handler"/> when given (a test server's, a proxy's).</summary>
    public GitHubClient(GitHubClientOptions options, TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
        // Octokit's own constructors append "api/v3/" to any root but github.com's; a Connection takes the root as given.
        var http = new HttpClientAdapter(() => new DocumentedHeaders(options.ApiVersion, handler ?? HttpMessageHandlerFactory.CreateDefault()));
        var connection = new Connection(new ProductHeaderValue("CiLab", "0.1"), options.ApiBaseUrl, new InMemoryCredentialStore(new Credentials(options.Token, AuthenticationType.Bearer)), http, new SimpleJsonSerializer());
        _octokit = new Octokit.GitHubClient(connection);
    }

    /// <summary>Sets a commit status (any token with <c>statuses: write</c>); the description is cut to 140 characters.</summary>
    public async Task<CommitStatusResponse> CreateCommitStatusAsync(string repository, string sha, CommitStatusRequest status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        var (owner, name) = Split(repository);
        var body = new NewCommitStatus
        {
            State = status.State switch
            {
                CommitState.Error => Octokit.CommitState.Error,
                CommitState.Failure => Octokit.CommitState.Failure,
                CommitState.Pending => Octokit.CommitState.Pending,
                _ => Octokit.CommitState.Success,
            },
            Context = status.Context,
            Description = Shorten(status.Description, CommitStatusRequest.MaxDescriptionLength),
            TargetUrl = status.TargetUrl?.ToString(),
        };
        var created = await SendAsync($"POST /repos/{repository}/statuses/{sha}", () => _octokit.Repository.Status.Create(owner, name, sha, body), cancellationToken).ConfigureAwait(false);
        return new CommitStatusResponse(created.Id, created.State.StringValue, created.Context, Uri.TryCreate(created.Url, UriKind.Absolute, out var url) ? url : null);
    }

    /// <summary>
    /// Creates a check run (an App token, or <c>GITHUB_TOKEN</c> with <c>checks: write</c>), completed when it has a
    /// conclusion. Annotations beyond the first 50 are added by updates, 50 at a time, as GitHub requires.
    /// </summary>
    public async Task<CheckRunResponse> CreateCheckRunAsync(string repository, CheckRunRequest checkRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkRun);
        var (owner, name) = Split(repository);
        var annotations = checkRun.Output?.Annotations ?? [];
        var body = new NewCheckRun(checkRun.Name, checkRun.HeadSha)
        {
            Status = checkRun.Conclusion is null ? CheckStatus.InProgress : CheckStatus.Completed,
            Conclusion = checkRun.Conclusion is { } conclusion ? Conclusion(conclusion) : null,
            Output = checkRun.Output is null ? null : Output(checkRun.Output, annotations.Take(AnnotationsPerRequest)),
            DetailsUrl = checkRun.DetailsUrl?.ToString(),
        };
        var created = await SendAsync($"POST /repos/{repository}/check-runs", () => _octokit.Check.Run.Create(owner, name, body), cancellationToken).ConfigureAwait(false);
        for (var offset = AnnotationsPerRequest; offset < annotations.Count; offset += AnnotationsPerRequest)
        {
            var update = new CheckRunUpdate { Output = Output(checkRun.Output!, annotations.Skip(offset).Take(AnnotationsPerRequest)) };
            created = await SendAsync($"PATCH /repos/{repository}/check-runs/{created.Id}", () => _octokit.Check.Run.Update(owner, name, created.Id, update), cancellationToken).ConfigureAwait(false);
        }

        return new CheckRunResponse(created.Id, created.Name, created.Status.StringValue, created.Conclusion?.StringValue, Uri.TryCreate(created.HtmlUrl, UriKind.Absolute, out var html) ? html : null);
    }

    // Octokit takes no cancellation token for these calls: a cancelled caller stops waiting, and the request ends on
    // its own timeout.
    private async Task<T> SendAsync<T>(string description, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ApiValidationException e)
            {
                throw new GitHubValidationException(description, e.ApiError?.Message, Documentation(e), [.. (e.ApiError?.Errors ?? []).Select(Describe)]);
            }
            catch (ApiException e)
            {
                var wait = RateLimitWait(e, attempt);
                if (wait is null)
                {
                    throw new GitHubApiException(e.StatusCode, description, e.ApiError?.Message ?? e.Message, Documentation(e));
                }

                if (attempt >= _options.MaxRetries || wait.Value > _options.MaxRetryWait)
                {
                    throw new GitHubRateLimitException(e.StatusCode, description, e.ApiError?.Message ?? e.Message, wait.Value);
                }

                await Task.Delay(wait.Value, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How long to wait before retrying, or null when the answer is not a rate limit (GitHub's documented rules).</summary>
    private TimeSpan? RateLimitWait(ApiException e, int attempt)
    {
        if (e.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests))
        {
            return null;
        }

        if (int.TryParse(Header(e, "Retry-After"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (Header(e, "x-ratelimit-remaining") == "0"
            && long.TryParse(Header(e, "x-ratelimit-reset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var reset))
        {
            var until = DateTimeOffset.FromUnixTimeSeconds(reset) - _time.GetUtcNow();
            return until > TimeSpan.Zero ? until : TimeSpan.Zero;
        }

        // A secondary limit that names no wait: at least a minute, longer each time.
        var secondary = e.StatusCode == HttpStatusCode.TooManyRequests || e is SecondaryRateLimitExceededException
            || (e.ApiError?.Message?.Contains("rate limit", StringComparison.OrdinalIgnoreCase) ?? false);
        return secondary ? _options.DefaultSecondaryWait * Math.Pow(2, attempt) : null;
    }

    private static string? Header(ApiException e, string name) =>
        e.HttpResponse?.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static Uri? Documentation(ApiException e) =>
        Uri.TryCreate(e.ApiError?.DocumentationUrl, UriKind.Absolute, out var url) ? url : null;

    private static string Describe(ApiErrorDetail error)
    {
        var where = string.Join('.', new[] { error.Resource, error.Field }.Where(x => !string.IsNullOrEmpty(x)));
        return $"{where}: {error.Code}" + (error.Message is { Length: > 0 } message ? $" ({message})" : string.Empty);
    }

    private static NewCheckRunOutput Output(CheckRunOutput output, IEnumerable<CheckAnnotation> annotations) => new(output.Title, output.Summary)
    {
        Text = output.Text,
        Annotations = [.. annotations.Select(a => new NewCheckRunAnnotation(a.Path, a.StartLine, a.EndLine, Level(a.AnnotationLevel), a.Message) { Title = a.Title, RawDetails = a.RawDetails })],
    };

    private static Octokit.CheckAnnotationLevel Level(CheckAnnotationLevel level) => level switch
    {
        CheckAnnotationLevel.Notice => Octokit.CheckAnnotationLevel.Notice,
        CheckAnnotationLevel.Warning => Octokit.CheckAnnotationLevel.Warning,
        _ => Octokit.CheckAnnotationLevel.Failure,
    };

    private static Octokit.CheckConclusion Conclusion(CheckConclusion conclusion) => conclusion switch
    {
        CheckConclusion.Success => Octokit.CheckConclusion.Success,
        CheckConclusion.Neutral => Octokit.CheckConclusion.Neutral,
        CheckConclusion.Cancelled => Octokit.CheckConclusion.Cancelled,
        CheckConclusion.Skipped => Octokit.CheckConclusion.Skipped,
        CheckConclusion.TimedOut => Octokit.CheckConclusion.TimedOut,
        _ => Octokit.CheckConclusion.Failure,
    };

    private static (string Owner, string Name) Split(string repository)
    {
        var parts = repository.Split('/');
        return parts.Length == 2 && parts.All(p => p.Length > 0)
            ? (parts[0], parts[1])
            : throw new ArgumentException($"'{repository}' is not a repository name of the form owner/name.", nameof(repository));
    }

    private static string? Shorten(string? text, int limit) =>
        text is null || text.Length <= limit ? text : text[..(limit - 1)] + "…";

    // Octokit sends its older media type, no API version, and labels its JSON bodies as form data; GitHub documents these.
    private sealed class DocumentedHeaders(string apiVersion, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } content)
            {
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            }

            request.Headers.Remove("Accept");
            request.Headers.TryAddWithoutValidation("Accept", "application/vnd.github+json");
            request.Headers.Remove("X-GitHub-Api-Version");
            request.Headers.TryAddWithoutValidation("X-GitHub-Api-Version", apiVersion);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
