using System.Net;

namespace CiLab.GitHub;

/// <summary>GitHub kept answering "rate limited" after the allowed retries, or asked for a longer wait than allowed.</summary>
public sealed class GitHubRateLimitException : GitHubApiException
{
    /// <summary>Creates the exception.</summary>
    public GitHubRateLimitException(HttpStatusCode statusCode, string request, string? apiMessage, TimeSpan requestedWait)
        : base(statusCode, request, $"{apiMessage} (rate limited; GitHub asked to wait {requestedWait.TotalSeconds:0}s)", null)
    {
        RequestedWait = requestedWait;
    }

    /// <summary>How long GitHub asked to wait before the next try.</summary>
    public TimeSpan RequestedWait { get; }
}
