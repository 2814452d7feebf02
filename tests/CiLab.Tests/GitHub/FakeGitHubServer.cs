using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CiLab.Tests.GitHub;

/// <summary>
/// A local HTTP server that answers like GitHub's REST API for commit statuses and check runs, built from
/// GitHub's documentation: it checks method, path, headers and body, records every request, and can be told
/// to answer the next requests with documented errors (403 secondary rate limit, 422 validation failed).
/// GitHub itself cannot be reached from these machines, so this is the stand-in.
/// </summary>
internal sealed partial class FakeGitHubServer : IDisposable
{
    public const string Token = "ghs_test_token_0123456789";
    private static readonly string[] States = ["error", "failure", "pending", "success"];
    private static readonly string[] Conclusions = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"];
    private static readonly string[] Levels = ["notice", "warning", "failure"];

    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Action<HttpListenerResponse>> _scripted = new();
    private readonly ConcurrentQueue<Action<HttpListenerResponse>> _scriptedCheckRuns = new();
    private readonly Task _loop;
    private long _nextId = 4242;

    public FakeGitHubServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseUrl.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri BaseUrl { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>The next request is answered with 403 and a secondary-rate-limit message, with Retry-After when given.</summary>
    public void AnswerNextWithSecondaryRateLimit(int? retryAfterSeconds) => _scripted.Enqueue(response =>
    {
        if (retryAfterSeconds is { } seconds)
        {
            response.AddHeader("Retry-After", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Write(response, 403, """{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}""");
    });

    /// <summary>The next request is answered with 422 Validation Failed, as GitHub words it.</summary>
    public void AnswerNextWithValidationFailed() => _scripted.Enqueue(response =>
        Write(response, 422, """{"message":"Validation Failed","errors":[{"resource":"Status","code":"custom","field":"state","message":"state is not included in the list"}],"documentation_url":"https://docs.github.com/rest/commits/statuses#create-a-commit-status"}"""));

    /// <summary>The next request is answered with 403 for missing permissions (no rate-limit signs).</summary>
    public void AnswerNextWithForbidden() => _scripted.Enqueue(response =>
        Write(response, 403, """{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/checks/runs#create-a-check-run"}"""));

    /// <summary>The next check-run request is answered with 403, as for a GITHUB_TOKEN without checks: write.</summary>
    public void AnswerNextCheckRunWithForbidden() => _scriptedCheckRuns.Enqueue(response =>
        Write(response, 403, """{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/checks/runs#create-a-check-run"}"""));

    public void Dispose()
    {
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // The managed listener can trip over another one closing at the same moment; the port is released either way.
        }

        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener was closed under the loop.
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Handle(context);
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        var body = reader.ReadToEnd();
        var path = request.Url!.AbsolutePath;
        Requests.Enqueue(new RecordedRequest(request.HttpMethod, path, body, request.Headers.AllKeys.ToDictionary(k => k!, k => request.Headers[k]!, StringComparer.OrdinalIgnoreCase)));

        var problems = CheckHeaders(request);
        if (problems.Count > 0)
        {
            Reject(context.Response, problems);
            return;
        }

        if ((path.Contains("/check-runs", StringComparison.Ordinal) && _scriptedCheckRuns.TryDequeue(out var scripted)) || _scripted.TryDequeue(out scripted))
        {
            scripted(context.Response);
            return;
        }

        if (request.HttpMethod == "POST" && StatusPath().Match(path) is { Success: true })
        {
            Respond(context.Response, CheckStatusBody(body), 201, () => $$"""{"url":"{{BaseUrl}}repos/o/r/statuses/x","id":{{Interlocked.Increment(ref _nextId)}},"state":"{{Property(body, "state")}}","description":{{JsonSerializer.Serialize(Property(body, "description"))}},"context":"{{Property(body, "context")}}","created_at":"2026-11-22T10:00:00Z"}""");
        }
        else if (request.HttpMethod == "POST" && CheckRunsPath().IsMatch(path))
        {
            Respond(context.Response, CheckCheckRunBody(body, creating: true), 201, () => CheckRunJson(Interlocked.Increment(ref _nextId), body));
        }
        else if (request.HttpMethod == "PATCH" && CheckRunPath().Match(path) is { Success: true } run)
        {
            Respond(context.Response, CheckCheckRunBody(body, creating: false), 200, () => CheckRunJson(long.Parse(run.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture), body));
        }
        else
        {
            Reject(context.Response, [$"no such endpoint: {request.HttpMethod} {path}"], 404);
        }
    }

    private string CheckRunJson(long id, string body) =>
        $$"""{"id":{{id}},"name":{{JsonSerializer.Serialize(Property(body, "name") ?? "cilab")}},"status":"completed","conclusion":{{JsonSerializer.Serialize(Property(body, "conclusion"))}},"html_url":"https://github.com/o/r/runs/{{id}}"}""";

    private static List<string> CheckHeaders(HttpListenerRequest request)
    {
        var problems = new List<string>();
        if (request.Headers["Accept"] != "application/vnd.github+json")
        {
            problems.Add($"Accept must be application/vnd.github+json, was '{request.Headers["Accept"]}'");
        }

        if (request.Headers["X-GitHub-Api-Version"] != "2022-11-28")
        {
            problems.Add("X-GitHub-Api-Version must be 2022-11-28");
        }

        if (request.Headers["Authorization"] is not ("Bearer " + Token or "token " + Token))
        {
            problems.Add("Authorization must carry the token");
        }

        if (string.IsNullOrEmpty(request.Headers["User-Agent"]))
        {
            problems.Add("GitHub requires a User-Agent header");
        }

        if (request.HttpMethod is "POST" or "PATCH" && request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
        {
            problems.Add("a body must be JSON");
        }

        return problems;
    }

    private static List<string> CheckStatusBody(string body)
    {
        var problems = new List<string>();
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        if (!root.TryGetProperty("state", out var state) || !States.Contains(state.GetString()))
        {
            problems.Add("state must be one of error, failure, pending, success");
        }

        if (root.TryGetProperty("description", out var description) && description.GetString()!.Length > 140)
        {
            problems.Add("description must be at most 140 characters");
        }

        if (root.TryGetProperty("context", out var context) && context.ValueKind != JsonValueKind.String)
        {
            problems.Add("context must be a string");
        }

        return problems;
    }

    private static List<string> CheckCheckRunBody(string body, bool creating)
    {
        var problems = new List<string>();
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        if (creating && (!root.TryGetProperty("name", out _) || !root.TryGetProperty("head_sha", out _)))
        {
            problems.Add("name and head_sha are required");
        }

        if (root.TryGetProperty("conclusion", out var conclusion) && !Conclusions.Contains(conclusion.GetString()))
        {
            problems.Add($"conclusion '{conclusion}' is not valid");
        }

        if (root.TryGetProperty("output", out var output))
        {
            if (!output.TryGetProperty("title", out _) || !output.TryGetProperty("summary", out _))
            {
                problems.Add("output needs title and summary");
            }

            if (output.TryGetProperty("annotations", out var annotations))
            {
                if (annotations.GetArrayLength() > 50)
                {
                    problems.Add("at most 50 annotations per request");
                }

                foreach (var a in annotations.EnumerateArray())
                {
                    if (!a.TryGetProperty("path", out _) || !a.TryGetProperty("start_line", out _) || !a.TryGetProperty("end_line", out _)
                        || !a.TryGetProperty("message", out _) || !a.TryGetProperty("annotation_level", out var level) || !Levels.Contains(level.GetString()))
                    {
                        problems.Add("an annotation needs path, start_line, end_line, annotation_level and message");
                    }
                }
            }
        }

        return problems;
    }

    private void Respond(HttpListenerResponse response, List<string> problems, int status, Func<string> body)
    {
        if (problems.Count > 0)
        {
            Reject(response, problems);
            return;
        }

        Write(response, status, body());
    }

    private void Reject(HttpListenerResponse response, List<string> problems, int status = 400)
    {
        foreach (var problem in problems)
        {
            Violations.Enqueue(problem);
        }

        Write(response, status, JsonSerializer.Serialize(new { message = string.Join("; ", problems) }));
    }

    private static void Write(HttpListenerResponse response, int status, string json)
    {
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(json);
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }

    private static string? Property(string body, string name)
    {
        using var json = JsonDocument.Parse(body);
        return json.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    [GeneratedRegex("^/repos/[^/]+/[^/]+/statuses/[0-9a-f]{7,40}$")]
    private static partial Regex StatusPath();

    [GeneratedRegex("^/repos/[^/]+/[^/]+/check-runs$")]
    private static partial Regex CheckRunsPath();

    [GeneratedRegex("^/repos/[^/]+/[^/]+/check-runs/(?<id>[0-9]+)$")]
    private static partial Regex CheckRunPath();

    internal sealed record RecordedRequest(string Method, string Path, string Body, IReadOnlyDictionary<string, string> Headers);
}
