namespace CiLab.GitHub;

/// <summary>The body of "create a check run" (POST /repos/{owner}/{repo}/check-runs).</summary>
/// <param name="Name">The check's name.</param>
/// <param name="HeadSha">The commit it reports on.</param>
/// <param name="Conclusion">How it ended (the run is sent as completed when set).</param>
/// <param name="Output">What it shows.</param>
/// <param name="DetailsUrl">Where the details are.</param>
public sealed record CheckRunRequest(string Name, string HeadSha, CheckConclusion? Conclusion, CheckRunOutput? Output = null, Uri? DetailsUrl = null);
