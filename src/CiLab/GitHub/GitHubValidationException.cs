using System.Net;

namespace CiLab.GitHub;

/// <summary>GitHub refused a request body (422 Unprocessable Entity), with the fields it objected to.</summary>
public sealed class GitHubValidationException : GitHubApiException
{
    /// <summary>Creates the exception.</summary>
    public GitHubValidationException(string request, string? apiMessage, Uri? documentationUrl, IReadOnlyList<string> errors)
        : base(HttpStatusCode.UnprocessableEntity, request, apiMessage + (errors.Count > 0 ? ": " + string.Join("; ", errors) : string.Empty), documentationUrl)
    {
        Errors = errors;
    }

    /// <summary>Each error GitHub listed, as "resource.field: code (message)".</summary>
    public IReadOnlyList<string> Errors { get; }
}
