using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CiLab.Proxmox;

/// <summary>
/// The Proxmox VE REST API (<c>api2/json</c>) on HttpClient: token authentication, certificate trust or pinning, the
/// <c>{"data": …}</c> envelope, errors as sentences, bounded retries of lock timeouts and server errors, and tasks
/// (UPIDs) followed to their end. The VM operations CiLab needs are in the other part of this class.
/// </summary>
internal sealed partial class ProxmoxClient : IDisposable
{
    private const int MaxAttempts = 5;
    private readonly HttpClient _http;
    private readonly ProxmoxCertificates _certificates;

    /// <summary>A client for <paramref name="endpoint"/> (e.g. https://pve1:8006/), acting on <paramref name="node"/>.</summary>
    /// <param name="endpoint">The API's address; https, except on the loopback interface (a local stand-in).</param>
    /// <param name="node">The node the lab's VMs live on.</param>
    /// <param name="token">The API token.</param>
    /// <param name="fingerprint">The pinned SHA-256 fingerprint of the API's certificate; null to trust the system's CAs.</param>
    /// <param name="handler">For tests: the HTTP handler (certificate checks are then the handler's).</param>
    public ProxmoxClient(Uri endpoint, string node, ProxmoxToken token, string? fingerprint = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(token);
        if (endpoint.Scheme != Uri.UriSchemeHttps && !(endpoint.Scheme == Uri.UriSchemeHttp && endpoint.IsLoopback))
        {
            throw new ArgumentException($"The Proxmox endpoint {endpoint} must be https:// (the API token would travel in clear text).", nameof(endpoint));
        }

        Endpoint = endpoint;
        Node = NodeName().IsMatch(node) ? node : throw new ArgumentException($"'{node}' is not a Proxmox node name.", nameof(node));
        _certificates = new ProxmoxCertificates(fingerprint);
        handler ??= new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) => _certificates.Accept(certificate, errors) } };
        _http = new HttpClient(handler) { BaseAddress = new Uri(endpoint, "api2/json/"), Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token.Header);
    }

    /// <summary>The API's address.</summary>
    public Uri Endpoint { get; }

    /// <summary>The node the lab's VMs live on.</summary>
    public string Node { get; }

    /// <summary>How often a running task is asked about.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait before retry <c>n</c> (1, 2, 4, 8 seconds by default).</summary>
    public Func<int, TimeSpan> RetryDelay { get; init; } = attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt - 1));

    public void Dispose() => _http.Dispose();

    /// <summary>GET <paramref name="path"/> (relative to api2/json); the envelope's data.</summary>
    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken, params (string Name, string Value)[] query) =>
        SendAsync(HttpMethod.Get, path, query, cancellationToken);

    /// <summary>Sends <paramref name="parameters"/> (a form body for POST and PUT, the query for GET and DELETE); the envelope's data.</summary>
    /// <exception cref="ProxmoxException">The API refused the call (after retries where a retry can help), or could not be reached safely.</exception>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, IReadOnlyList<(string Name, string Value)> parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(parameters);
        var inBody = method == HttpMethod.Post || method == HttpMethod.Put;
        var uri = inBody || parameters.Count == 0 ? path : $"{path}?{string.Join('&', parameters.Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value)}"))}";
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (inBody)
            {
                request.Content = new FormUrlEncodedContent(parameters.Select(p => KeyValuePair.Create(p.Name, p.Value)));
            }

            using var response = await SendOnceAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return Data(body);
            }

            var reason = response.ReasonPhrase ?? string.Empty;
            if (attempt < MaxAttempts && Retryable(method, response.StatusCode, reason))
            {
                await Task.Delay(RetryDelay(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }

            throw Refusal(method, path, response.StatusCode, reason, body, attempt);
        }
    }

    /// <summary>Sends a call that starts a task, and waits for the task to finish.</summary>
    /// <exception cref="ProxmoxException">The call was refused, or the task failed (its exit status and last log lines) or ran past <paramref name="timeout"/>.</exception>
    public async Task RunTaskAsync(HttpMethod method, string path, IReadOnlyList<(string Name, string Value)> parameters, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var data = await SendAsync(method, path, parameters, cancellationToken).ConfigureAwait(false);
        if (data.ValueKind == JsonValueKind.String)
        {
            await WaitForTaskAsync(data.GetString()!, timeout, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Polls task <paramref name="upid"/> until it stops.</summary>
    public async Task WaitForTaskAsync(string upid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var match = Upid().Match(upid);
        if (!match.Success)
        {
            throw new ProxmoxException($"The Proxmox API answered with '{upid}' where a task id (UPID) belongs.");
        }

        var taskPath = $"nodes/{match.Groups["node"].Value}/tasks/{Uri.EscapeDataString(upid)}";
        var what = $"{match.Groups["type"].Value} {match.Groups["id"].Value}".Trim();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var status = await GetAsync($"{taskPath}/status", limit.Token).ConfigureAwait(false);
                if (Text(status, "status") == "stopped")
                {
                    var exit = Text(status, "exitstatus") ?? "unknown";
                    if (exit == "OK" || exit.StartsWith("WARNINGS", StringComparison.Ordinal))
                    {
                        return;
                    }

                    var log = await GetAsync($"{taskPath}/log", cancellationToken, ("start", "0"), ("limit", "500")).ConfigureAwait(false);
                    var tail = log.ValueKind == JsonValueKind.Array ? log.EnumerateArray().Select(l => Text(l, "t")).OfType<string>().TakeLast(8) : [];
                    throw new ProxmoxException($"Proxmox task {what} failed: {exit}. Its log ends: {string.Join(" | ", tail)}");
                }

                await Task.Delay(PollInterval, limit.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ProxmoxException($"Proxmox task {what} did not finish within {timeout.TotalSeconds:0}s ({upid}).");
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (_certificates.Refused is not null)
        {
            throw new ProxmoxException($"Could not connect to the Proxmox API safely: {_certificates.Explain(Endpoint)}", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new ProxmoxException($"Could not reach the Proxmox API at {Endpoint}: {e.Message}", inner: e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ProxmoxException($"The Proxmox API at {Endpoint} did not answer {request.Method} {request.RequestUri} within {_http.Timeout.TotalSeconds:0}s.", inner: e);
        }
    }

    // A lock timeout never ran the call, so any method may try again. Proxmox answers most refusals with a plain 500 and
    // a reason ("guest agent is not running", "does not exist"): those are answers. A gateway error is retried for reads.
    private static bool Retryable(HttpMethod method, HttpStatusCode status, string reason) =>
        ((int)status >= 500 && (reason.Contains("can't lock file", StringComparison.Ordinal) || reason.Contains("got timeout", StringComparison.Ordinal)))
        || (method == HttpMethod.Get && status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout);

    private static ProxmoxException Refusal(HttpMethod method, string path, HttpStatusCode status, string reason, string body, int attempts)
    {
        var call = $"{method} {path}";
        var tries = attempts > 1 ? $" (after {attempts} tries)" : string.Empty;
        var message = status switch
        {
            HttpStatusCode.Unauthorized => $"The Proxmox API refused the token for {call} (401 {reason}): check {ProxmoxToken.EnvironmentVariable} and that the token is not expired or deleted.",
            HttpStatusCode.Forbidden => $"The Proxmox API token may not {call} (403 {reason}). It needs VM.Allocate, VM.Clone, VM.Config.*, VM.PowerMgmt, VM.Snapshot, VM.Audit, VM.GuestAgent.Audit and Datastore.AllocateSpace on the lab's VMs and storage.",
            HttpStatusCode.BadRequest => $"The Proxmox API rejected {call}: {reason}{ParameterErrors(body)}",
            _ => $"The Proxmox API failed {call}{tries}: {(int)status} {reason}",
        };
        return new ProxmoxException(message, status);
    }

    private static string ParameterErrors(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object
                ? " (" + string.Join("; ", errors.EnumerateObject().Select(e => $"{e.Name}: {e.Value}")) + ")"
                : string.Empty;
        }
        catch (JsonException)
        {
            return string.Empty;
        }
    }

    private static JsonElement Data(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("data", out var data) ? data.Clone() : throw new ProxmoxException("The Proxmox API answered without a 'data' field.");
        }
        catch (JsonException e)
        {
            throw new ProxmoxException($"The Proxmox API answered with something that is not JSON: {e.Message}", inner: e);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch { JsonValueKind.String => value.GetString(), JsonValueKind.Number => value.GetRawText(), _ => null }
            : null;

    private static JsonElement.ArrayEnumerator Items(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.Array ? element.EnumerateArray() : throw new ProxmoxException($"The Proxmox API answered {what} with something that is not a list.");

    private static int Number(JsonElement element, string name) =>
        Text(element, name) is { } text && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : 0;

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$")]
    private static partial Regex NodeName();

    [GeneratedRegex("^UPID:(?<node>[A-Za-z0-9][A-Za-z0-9.-]*):[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,}:[0-9A-Fa-f]{8}:(?<type>[a-z0-9]+):(?<id>[^:]*):[^:]+:$")]
    private static partial Regex Upid();
}
