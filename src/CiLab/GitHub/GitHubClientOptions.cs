namespace CiLab.GitHub;

/// <summary>Where the GitHub API is, how to authenticate, and how patiently to retry.</summary>
public sealed record GitHubClientOptions
{
    /// <summary>The API root: <c>https://api.github.com</c>, or <c>$GITHUB_API_URL</c> on GitHub Enterprise.</summary>
    public Uri ApiBaseUrl { get; init; } = new("https://api.github.com/");

    /// <summary>A token: <c>GITHUB_TOKEN</c>, a personal access token or an App installation token.</summary>
    public required string Token { get; init; }

    /// <summary>How many times a rate-limited request is retried.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The longest single wait accepted; a longer one fails at once with <see cref="GitHubRateLimitException"/>.</summary>
    public TimeSpan MaxRetryWait { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The wait for a secondary rate limit that names none (GitHub says: at least a minute).</summary>
    public TimeSpan DefaultSecondaryWait { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The REST API version sent in <c>X-GitHub-Api-Version</c>.</summary>
    public string ApiVersion { get; init; } = "2022-11-28";
}
