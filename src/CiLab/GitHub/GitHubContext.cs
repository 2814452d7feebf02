using System.Text.Json;

namespace CiLab.GitHub;

/// <summary>What GitHub Actions tells a job through its environment: repository, commit, API, token, summary file.</summary>
public sealed record GitHubContext
{
    /// <summary>True inside GitHub Actions (<c>GITHUB_ACTIONS=true</c>).</summary>
    public bool IsActions { get; init; }

    /// <summary><c>owner/name</c>, from <c>GITHUB_REPOSITORY</c>.</summary>
    public string? Repository { get; init; }

    /// <summary>The commit to report on: a pull request's head (from the event file), else <c>GITHUB_SHA</c>.</summary>
    public string? Sha { get; init; }

    /// <summary>The API root, from <c>GITHUB_API_URL</c>.</summary>
    public Uri ApiUrl { get; init; } = new("https://api.github.com/");

    /// <summary>The workflow run's page, for status links.</summary>
    public Uri? RunUrl { get; init; }

    /// <summary>The token, from <c>GITHUB_TOKEN</c> or <c>GH_TOKEN</c>. Never print it.</summary>
    public string? Token { get; init; }

    /// <summary>The job summary file, from <c>GITHUB_STEP_SUMMARY</c>.</summary>
    public string? StepSummaryPath { get; init; }

    /// <summary>Reads the context from <paramref name="environment"/> (the process environment when null).</summary>
    public static GitHubContext FromEnvironment(IReadOnlyDictionary<string, string>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => e.Value as string ?? string.Empty);
        string? Get(string name) => environment.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

        var apiUrl = Get("GITHUB_API_URL") is { } api ? new Uri(api.TrimEnd('/') + "/") : new Uri("https://api.github.com/");
        var runUrl = Get("GITHUB_SERVER_URL") is { } server && Get("GITHUB_REPOSITORY") is { } repository && Get("GITHUB_RUN_ID") is { } runId
            ? new Uri($"{server.TrimEnd('/')}/{repository}/actions/runs/{runId}")
            : null;
        return new GitHubContext
        {
            IsActions = Get("GITHUB_ACTIONS") == "true",
            Repository = Get("GITHUB_REPOSITORY"),
            Sha = PullRequestHead(Get("GITHUB_EVENT_PATH")) ?? Get("GITHUB_SHA"),
            ApiUrl = apiUrl,
            RunUrl = runUrl,
            Token = Get("GITHUB_TOKEN") ?? Get("GH_TOKEN"),
            StepSummaryPath = Get("GITHUB_STEP_SUMMARY"),
        };
    }

    // On pull_request events GITHUB_SHA is a merge commit nobody sees; the head commit is what the PR shows.
    private static string? PullRequestHead(string? eventPath)
    {
        if (eventPath is null || !File.Exists(eventPath))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(eventPath));
            return document.RootElement.TryGetProperty("pull_request", out var pr)
                && pr.TryGetProperty("head", out var head)
                && head.TryGetProperty("sha", out var sha)
                ? sha.GetString()
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException)
        {
            // Not the event file GitHub writes (a value of another type, say): fall back to GITHUB_SHA.
            return null;
        }
    }
}
