namespace CiLab.GitHub;

/// <summary>The body of "create a commit status" (POST /repos/{owner}/{repo}/statuses/{sha}).</summary>
/// <param name="State">The status's state.</param>
/// <param name="Context">Which check this is, e.g. <c>cilab/phase4</c>.</param>
/// <param name="Description">One short line; GitHub takes at most 140 characters (longer text is shortened).</param>
/// <param name="TargetUrl">Where the details are (the workflow run).</param>
public sealed record CommitStatusRequest(CommitState State, string Context, string? Description = null, Uri? TargetUrl = null)
{
    /// <summary>GitHub's limit on a status description.</summary>
    public const int MaxDescriptionLength = 140;
}
