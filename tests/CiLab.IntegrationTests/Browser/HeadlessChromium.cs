using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace CiLab.IntegrationTests.Browser;

/// <summary>
/// Debian's Chromium, headless, driven over the Chrome DevTools Protocol (a WebSocket, JSON messages with ids): open a
/// page, evaluate script in it, click, take a screenshot, and collect every console error, exception and log error.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> _pending = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextId;
    private Task? _receiving;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Console errors, uncaught exceptions and error log entries (a refused script, a blocked load) so far.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    public static async Task<HeadlessChromium> StartAsync(CancellationToken ct)
    {
        var executable = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Chromium is not installed (Debian package 'chromium'); ./nuke.sh Test installs it.");
        var profile = Directory.CreateTempSubdirectory("cilab-chromium-").FullName;
        var start = new ProcessStartInfo(executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "--headless", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0", $"--user-data-dir={profile}", "--window-size=1280,1000", "about:blank" })
        {
            start.ArgumentList.Add(argument);
        }

        if (Environment.UserName == "root")
        {
            start.ArgumentList.Insert(0, "--no-sandbox"); // Chromium refuses to run as root with its sandbox.
        }

        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var browser = new HeadlessChromium(process, profile);
        try
        {
            await browser.ConnectAsync(ct);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens <paramref name="path"/> (at <paramref name="fragment"/>, e.g. "#failed") and waits for its load event.</summary>
    public async Task OpenAsync(string path, CancellationToken ct, string fragment = "")
    {
        _loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendAsync("Page.navigate", new JsonObject { ["url"] = new Uri(Path.GetFullPath(path)).AbsoluteUri + fragment }, ct);
        await _loaded.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
    }

    /// <summary>The value of <paramref name="expression"/> in the page, as JSON.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression, CancellationToken ct)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true }, ct);
        if (result["exceptionDetails"] is { } exception)
        {
            throw new InvalidOperationException($"'{expression}' threw in the page: {exception.ToJsonString()}");
        }

        return result["result"]?["value"];
    }

    public async Task ScreenshotAsync(string path, CancellationToken ct)
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true }, ct);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(result["data"]!.GetValue<string>()), ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        if (_receiving is not null)
        {
            await _receiving.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        Directory.Delete(_profile, recursive: true);
        _stop.Dispose();
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        // Chromium writes the port it chose, and the browser's endpoint, to DevToolsActivePort in the profile.
        var portFile = Path.Combine(_profile, "DevToolsActivePort");
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(portFile) || File.ReadAllLines(portFile).Length < 2)
        {
            if (_process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"Chromium did not open its DevTools port (exited: {_process.HasExited}).");
            }

            await Task.Delay(100, ct);
        }

        var port = int.Parse(File.ReadAllLines(portFile)[0], System.Globalization.CultureInfo.InvariantCulture);
        using var http = new HttpClient();
        var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list"), ct))!.AsArray();
        var page = targets.First(t => t?["type"]?.GetValue<string>() == "page")!;
        await _socket.ConnectAsync(new Uri(page["webSocketDebuggerUrl"]!.GetValue<string>()), ct);
        _receiving = Task.Run(ReceiveAsync, CancellationToken.None);
        foreach (var domain in new[] { "Page", "Runtime", "Log" })
        {
            await SendAsync(domain + ".enable", new JsonObject(), ct);
        }
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject parameters, CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters }.ToJsonString();
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, ct);
        var reply = await answer.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        return reply["error"] is { } error ? throw new InvalidOperationException($"{method}: {error.ToJsonString()}") : reply["result"]!;
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
        {
            WebSocketReceiveResult part;
            try
            {
                part = await _socket.ReceiveAsync(buffer, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
                return;
            }

            message.Write(buffer, 0, part.Count);
            if (!part.EndOfMessage)
            {
                continue;
            }

            var node = JsonNode.Parse(message.ToArray())!;
            message.SetLength(0);
            if (node["id"] is { } id && _pending.TryRemove(id.GetValue<int>(), out var waiting))
            {
                waiting.TrySetResult(node);
                continue;
            }

            var parameters = node["params"];
            switch (node["method"]?.GetValue<string>())
            {
                case "Page.loadEventFired":
                    _loaded.TrySetResult();
                    break;
                case "Runtime.exceptionThrown":
                    _errors.Enqueue("exception: " + parameters?["exceptionDetails"]?.ToJsonString());
                    break;
                case "Runtime.consoleAPICalled" when (parameters?["type"]?.GetValue<string>() is "error" or "assert"):
                    _errors.Enqueue("console: " + parameters["args"]?.ToJsonString());
                    break;
                case "Log.entryAdded" when (parameters?["entry"]?["level"]?.GetValue<string>() == "error"):
                    _errors.Enqueue("log: " + parameters["entry"]!["text"]);
                    break;
            }
        }
    }
}
