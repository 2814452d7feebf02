using System.Net;

namespace CiLab.GitHub;

/// <summary>GitHub answered a request with an error. The message holds GitHub's own explanation, never the token.</summary>
public class GitHubApiException : CiLabException
{
    /// <summary>Creates the exception.</summary>
    public GitHubApiException(HttpStatusCode statusCode, string request, string? apiMessage, Uri? documentationUrl)
        : base($"GitHub answered {(int)statusCode} {statusCode} to {request}: {apiMessage ?? "(no message)"}" + (documentationUrl is null ? string.Empty : $" (see {documentationUrl})"))
    {
        StatusCode = statusCode;
        ApiMessage = apiMessage;
        DocumentationUrl = documentationUrl;
    }

    /// <summary>The HTTP status code.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>GitHub's "message" field.</summary>
    public string? ApiMessage { get; }

    /// <summary>GitHub's "documentation_url" field.</summary>
    public Uri? DocumentationUrl { get; }
}
