using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CiLab.GitHub;

/// <summary>
/// A small typed client for the parts of GitHub's REST API CiLab reports through: commit statuses and
/// check runs. Errors map to typed exceptions in one place; rate limits are waited out within bounds.
/// </summary>
public sealed class GitHubClient
{
    /// <summary>The most annotations GitHub accepts in one request.</summary>
    public const int AnnotationsPerRequest = 50;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly HttpClient _http;
    private readonly GitHubClientOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a client sending through <paramref name="http"/> (which it does not dispose).</summary>
    public GitHubClient(HttpClient http, GitHubClientOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Sets a commit status (any token with <c>statuses: write</c>); the description is cut to 140 characters.</summary>
    public async Task<CommitStatusResponse> CreateCommitStatusAsync(string repository, string sha, CommitStatusRequest status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        var body = status with { Description = Shorten(status.Description, CommitStatusRequest.MaxDescriptionLength) };
        return await SendAsync<CommitStatusResponse>(HttpMethod.Post, GitHubUrls.CommitStatuses(repository, sha), body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a completed check run (an App token, or <c>GITHUB_TOKEN</c> with <c>checks: write</c>). Annotations
    /// beyond the first 50 are added by updates, 50 at a time, as GitHub requires.
    /// </summary>
    public async Task<CheckRunResponse> CreateCheckRunAsync(string repository, CheckRunRequest checkRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkRun);
        var annotations = checkRun.Output?.Annotations ?? [];
        var first = checkRun.Output is null ? null : checkRun.Output with { Annotations = annotations.Take(AnnotationsPerRequest).ToList() };
        var body = new CheckRunBody(checkRun.Name, checkRun.HeadSha, checkRun.Conclusion is null ? "in_progress" : "completed", checkRun.Conclusion, first, checkRun.DetailsUrl);
        var created = await SendAsync<CheckRunResponse>(HttpMethod.Post, GitHubUrls.CheckRuns(repository), body, cancellationToken).ConfigureAwait(false);
        for (var offset = AnnotationsPerRequest; offset < annotations.Count; offset += AnnotationsPerRequest)
        {
            var more = checkRun.Output! with { Annotations = annotations.Skip(offset).Take(AnnotationsPerRequest).ToList() };
            created = await SendAsync<CheckRunResponse>(HttpMethod.Patch, GitHubUrls.CheckRun(repository, created.Id), new CheckRunPatch(more), cancellationToken).ConfigureAwait(false);
        }

        return created;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object body, CancellationToken cancellationToken)
    {
        var description = $"{method} /{path}";
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, new Uri(_options.ApiBaseUrl, path));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
            request.Headers.Add("X-GitHub-Api-Version", _options.ApiVersion);
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("CiLab", "0.1"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false))!;
            }

            var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            var wait = RateLimitWait(response, error.Message, attempt);
            if (wait is null)
            {
                throw response.StatusCode == HttpStatusCode.UnprocessableEntity
                    ? new GitHubValidationException(description, error.Message, error.DocumentationUrl, error.Errors)
                    : new GitHubApiException(response.StatusCode, description, error.Message, error.DocumentationUrl);
            }

            if (attempt >= _options.MaxRetries || wait.Value > _options.MaxRetryWait)
            {
                throw new GitHubRateLimitException(response.StatusCode, description, error.Message, wait.Value);
            }

            await Task.Delay(wait.Value, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>How long to wait before retrying, or null when the response is not a rate limit (GitHub's documented rules).</summary>
    private TimeSpan? RateLimitWait(HttpResponseMessage response, string? message, int attempt)
    {
        if (response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests))
        {
            return null;
        }

        if (response.Headers.RetryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (Header(response, "x-ratelimit-remaining") == "0"
            && long.TryParse(Header(response, "x-ratelimit-reset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var reset))
        {
            var until = DateTimeOffset.FromUnixTimeSeconds(reset) - _time.GetUtcNow();
            return until > TimeSpan.Zero ? until : TimeSpan.Zero;
        }

        // A secondary limit that names no wait: at least a minute, longer each time.
        var secondary = response.StatusCode == HttpStatusCode.TooManyRequests
            || (message?.Contains("rate limit", StringComparison.OrdinalIgnoreCase) ?? false);
        return secondary ? _options.DefaultSecondaryWait * Math.Pow(2, attempt) : null;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static async Task<ApiError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var message = root.TryGetProperty("message", out var m) ? m.GetString() : null;
            var documentation = root.TryGetProperty("documentation_url", out var d) && Uri.TryCreate(d.GetString(), UriKind.Absolute, out var url) ? url : null;
            var errors = root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Array
                ? e.EnumerateArray().Select(DescribeError).ToList()
                : [];
            return new ApiError(message, documentation, errors);
        }
        catch (JsonException)
        {
            return new ApiError(text.Length > 200 ? text[..200] : text, null, []);
        }
    }

    private static string DescribeError(JsonElement error)
    {
        if (error.ValueKind == JsonValueKind.String)
        {
            return error.GetString()!;
        }

        string? Get(string name) => error.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var where = string.Join('.', new[] { Get("resource"), Get("field") }.Where(x => x is not null));
        return $"{where}: {Get("code")}" + (Get("message") is { } message ? $" ({message})" : string.Empty);
    }

    private static string? Shorten(string? text, int limit) =>
        text is null || text.Length <= limit ? text : text[..(limit - 1)] + "…";

    private sealed record ApiError(string? Message, Uri? DocumentationUrl, IReadOnlyList<string> Errors);

    private sealed record CheckRunBody(string Name, string HeadSha, string Status, CheckConclusion? Conclusion, CheckRunOutput? Output, Uri? DetailsUrl);

    private sealed record CheckRunPatch(CheckRunOutput Output);
}
