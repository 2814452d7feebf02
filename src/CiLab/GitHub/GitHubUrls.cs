namespace CiLab.GitHub;

/// <summary>Every REST path the client uses, in one place.</summary>
internal static class GitHubUrls
{
    public static string CommitStatuses(string repository, string sha) => $"repos/{Repository(repository)}/statuses/{Uri.EscapeDataString(sha)}";

    public static string CheckRuns(string repository) => $"repos/{Repository(repository)}/check-runs";

    public static string CheckRun(string repository, long id) => $"repos/{Repository(repository)}/check-runs/{id}";

    private static string Repository(string repository)
    {
        var parts = repository.Split('/');
        if (parts.Length != 2 || parts.Any(p => p.Length == 0))
        {
            throw new ArgumentException($"'{repository}' is not a repository name of the form owner/name.", nameof(repository));
        }

        return $"{Uri.EscapeDataString(parts[0])}/{Uri.EscapeDataString(parts[1])}";
    }
}
