using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Web;

namespace CiLab.Tests.Proxmox;

/// <summary>
/// A local stand-in for the Proxmox VE API (<c>api2/json</c>), written from the API viewer's documentation: the token
/// header, the paths, methods and parameter names CiLab uses with their formats (sshkeys URL-encoded, booleans 0/1,
/// VMIDs 100–999999999), the <c>{"data": …}</c> envelope, errors in the status line, and tasks whose UPIDs finish a
/// few polls later. It records every request and every rule a request broke. No cluster can run on these machines.
/// </summary>
internal sealed partial class FakeProxmoxServer : IDisposable
{
    public const string Node = "pve1";
    public const string TokenId = "cilab@pve!ci";
    public const string Secret = "5f3a8c1e-0000-4000-8000-00000000c1ab";

    private readonly HttpListener _listener = new();
    private readonly Queue<(int Status, string Reason, string? Method)> _scripted = new();
    private readonly ConcurrentDictionary<string, (int PollsLeft, string Exit, string[] Log, Task? Work)> _tasks = new();
    private readonly Lock _gate = new();
    private readonly System.Threading.Tasks.Task _loop;
    private int _taskCounter;

    public FakeProxmoxServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseUrl.ToString());
        _listener.Start();
        _loop = System.Threading.Tasks.Task.Run(LoopAsync);
    }

    public Uri BaseUrl { get; }

    /// <summary>The VMs on the node, by VMID.</summary>
    public ConcurrentDictionary<int, FakeVm> Vms { get; } = new();

    public ConcurrentQueue<string> Requests { get; } = new();

    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>How many status polls a task stays "running".</summary>
    public int TaskPolls { get; set; } = 2;

    /// <summary>How many agent calls answer "QEMU guest agent is not running" before it answers.</summary>
    public int AgentNotRunningFor { get; set; }

    /// <summary>The exit status and log the next task ends with ("OK" when none is set).</summary>
    public (string Exit, string[] Log)? NextTaskFailure { get; set; }

    /// <summary>
    /// Real machines behind the fake VMs, for end-to-end tests: called with the VM and the action ("start", "stop",
    /// "snapshot clean", "rollback clean", "destroy") when a task begins; the task runs until the call completes.
    /// </summary>
    public Func<FakeVm, string, Task>? Backing { get; set; }

    /// <summary>The address the guest agent reports for a running VM with a backing machine.</summary>
    public string BackingAddress { get; set; } = "127.0.0.1";

    /// <summary>A VMID another client takes between CiLab's free-id check and its clone.</summary>
    public int? TakenBeforeClone { get; set; }

    /// <summary>
    /// The next request (with <paramref name="method"/>, when given) is answered with <paramref name="status"/> and
    /// <paramref name="reason"/> in the status line, as Proxmox words its errors.
    /// </summary>
    public void AnswerNextWith(int status, string reason, string? method = null)
    {
        lock (_gate)
        {
            _scripted.Enqueue((status, reason, method));
        }
    }

    public void Dispose()
    {
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (HttpListenerException)
        {
        }

        _loop.Wait(TimeSpan.FromSeconds(5));
    }

    private async System.Threading.Tasks.Task LoopAsync()
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

            try
            {
                Handle(context);
            }
            catch (Exception e) when (ClientGone(e))
            {
                // The client hung up before its answer was written (a timed-out poll, say): its business, not the server's.
            }
            catch (Exception e)
            {
                Violations.Enqueue($"server error: {e.Message}");
                try
                {
                    Answer(context.Response, 500, "fake server error", null);
                }
                catch (Exception gone) when (ClientGone(gone))
                {
                }
            }
        }
    }

    private static bool ClientGone(Exception e) => e is HttpListenerException or IOException or ObjectDisposedException;

    private void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath;
        var body = request.HasEntityBody ? new StreamReader(request.InputStream, Encoding.UTF8).ReadToEnd() : string.Empty;
        Requests.Enqueue($"{request.HttpMethod} {path}{request.Url.Query} {body}".TrimEnd());
        if (request.Headers["Authorization"] != $"PVEAPIToken={TokenId}={Secret}")
        {
            Answer(context.Response, 401, "authentication failure", null);
            return;
        }

        lock (_gate)
        {
            if (_scripted.TryPeek(out var scripted) && (scripted.Method is null || scripted.Method == request.HttpMethod))
            {
                _scripted.Dequeue();
                Answer(context.Response, scripted.Status, scripted.Reason, null);
                return;
            }
        }

        if (request.HttpMethod is "POST" or "PUT" && body.Length > 0 && request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal) != true)
        {
            Violations.Enqueue($"{request.HttpMethod} {path}: body is not form-encoded ({request.ContentType})");
        }

        var parameters = HttpUtility.ParseQueryString(request.HttpMethod is "POST" or "PUT" ? body : request.Url.Query);
        var (status, reason, data) = Route(request.HttpMethod, path, parameters);
        Answer(context.Response, status, reason, data);
    }

    private (int Status, string Reason, object? Data) Route(string method, string path, System.Collections.Specialized.NameValueCollection p)
    {
        lock (_gate)
        {
            if (method == "GET" && path == "/api2/json/cluster/resources")
            {
                Expect(p, path, required: ["type"], optional: []);
                return Ok(Vms.Values.Select(v => new Dictionary<string, object> { ["vmid"] = v.Id, ["name"] = v.Name, ["node"] = Node, ["type"] = "qemu", ["template"] = v.Template ? 1 : 0, ["status"] = v.Status }).ToList());
            }

            if (method == "GET" && path == "/api2/json/cluster/nextid")
            {
                Expect(p, path, required: [], optional: ["vmid"]);
                var id = Vmid(p["vmid"], path);
                return Vms.ContainsKey(id) ? (400, "Parameter verification failed.", null) : Ok(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var task = TaskPath().Match(path);
            if (task.Success && method == "GET")
            {
                return TaskAnswer(HttpUtility.UrlDecode(task.Groups["upid"].Value), task.Groups["what"].Value);
            }

            var vm = VmPath().Match(path);
            if (!vm.Success || vm.Groups["node"].Value != Node)
            {
                Violations.Enqueue($"{method} {path}: not a path CiLab should call");
                return (501, $"Method '{method} {path}' not implemented", null);
            }

            var vmid = Vmid(vm.Groups["vmid"].Value, path);
            var rest = vm.Groups["rest"].Value;
            if (method == "POST" && rest == "/clone")
            {
                return Clone(vmid, p, path);
            }

            if (!Vms.TryGetValue(vmid, out var target))
            {
                return (500, $"Configuration file 'nodes/{Node}/qemu-server/{vmid}.conf' does not exist", null);
            }

            return (method, rest) switch
            {
                ("GET", "/config") => Ok(target.Config()),
                ("PUT", "/config") => Configure(target, p, path),
                ("PUT", "/cloudinit") => Expect(p, path, [], []) ? Ok(null) : (400, "Parameter verification failed.", null),
                ("GET", "/status/current") => Ok(new Dictionary<string, object> { ["status"] = target.Status, ["vmid"] = target.Id }),
                ("POST", "/status/start") => StartTask(() => target.Status = "running", target, "start"),
                ("POST", "/status/stop") or ("POST", "/status/reset") => StartTask(() => target.Status = rest.EndsWith("stop", StringComparison.Ordinal) ? "stopped" : "running", target, rest[8..]),
                ("POST", "/status/shutdown") => Expect(p, path, [], ["timeout", "forceStop"]) ? StartTask(() => target.Status = "stopped", target, "stop") : (400, "Parameter verification failed.", null),
                ("DELETE", "") => Expect(p, path, [], ["purge", "destroy-unreferenced-disks"]) ? StartTask(() => Vms.TryRemove(vmid, out _), target, "destroy") : (400, "Parameter verification failed.", null),
                ("GET", "/snapshot") => Ok(target.Snapshots.Select(s => new Dictionary<string, object> { ["name"] = s }).Append(new Dictionary<string, object> { ["name"] = "current" }).ToList()),
                ("POST", "/snapshot") => Snapshot(target, p, path),
                ("GET", "/agent/network-get-interfaces") => Agent(target),
                _ when method == "POST" && RollbackPath().Match(rest) is { Success: true } r => target.Snapshots.Contains(HttpUtility.UrlDecode(r.Groups["name"].Value)) ? StartTask(() => target.Status = "running", target, "rollback " + HttpUtility.UrlDecode(r.Groups["name"].Value)) : (500, "snapshot does not exist", null),
                _ => Unknown(method, path),
            };
        }
    }

    private (int, string, object?) Clone(int template, System.Collections.Specialized.NameValueCollection p, string path)
    {
        Expect(p, path, required: ["newid"], optional: ["name", "full", "storage", "pool"]);
        var newId = Vmid(p["newid"], path);
        if (p["full"] is { } full && full is not ("0" or "1"))
        {
            Violations.Enqueue($"{path}: full must be 0 or 1, not '{full}'");
        }

        if (TakenBeforeClone == newId)
        {
            TakenBeforeClone = null;
            Vms[newId] = new FakeVm(newId, "someone-else");
        }

        if (Vms.ContainsKey(newId))
        {
            return (500, $"unable to create VM {newId}: config file already exists", null);
        }

        if (!Vms.TryGetValue(template, out var source) || !source.Template)
        {
            return (500, $"VM {template} is not a template", null);
        }

        return StartTask(() => Vms[newId] = new FakeVm(newId, p["name"] ?? $"Copy-of-VM-{template}"));
    }

    private (int, string, object?) Configure(FakeVm target, System.Collections.Specialized.NameValueCollection p, string path)
    {
        Expect(p, path, required: [], optional: ["tags", "ciuser", "sshkeys", "ipconfig0", "agent", "protection", "net0", "digest"]);
        if (p["digest"] is { } digest && digest != target.Digest)
        {
            return (500, "detected modified configuration - file changed by other user? Try again.", null);
        }

        if (p["net0"] is { } nic)
        {
            if (!nic.StartsWith("virtio=", StringComparison.Ordinal) || nic.Split(',').Any(part => !part.Contains('=', StringComparison.Ordinal)))
            {
                return (400, "Parameter verification failed.", null);
            }

            target.Net0 = nic;
        }

        if (p["sshkeys"] is { } keys)
        {
            // The API takes the keys URL-encoded (the form encoding comes on top): raw spaces or newlines mean it was not.
            if (keys.Contains(' ', StringComparison.Ordinal) || keys.Contains('\n', StringComparison.Ordinal) || !Uri.UnescapeDataString(keys).Split('\n').All(k => k.StartsWith("ssh-", StringComparison.Ordinal) && k.Split(' ').Length >= 2))
            {
                return (400, "Parameter verification failed.", null);
            }

            target.SshKeys = Uri.UnescapeDataString(keys);
        }

        if (p["ipconfig0"] is { } ip && !IpConfig().IsMatch(ip))
        {
            Violations.Enqueue($"{path}: ipconfig0 '{ip}' is not in the documented format");
        }

        target.Tags = p["tags"] ?? target.Tags;
        target.User = p["ciuser"] ?? target.User;
        return Ok(null);
    }

    private (int, string, object?) Snapshot(FakeVm target, System.Collections.Specialized.NameValueCollection p, string path)
    {
        Expect(p, path, required: ["snapname"], optional: ["vmstate", "description"]);
        var name = p["snapname"]!;
        if (!SnapshotName().IsMatch(name))
        {
            return (400, "Parameter verification failed.", null);
        }

        return StartTask(() => target.Snapshots.Add(name), target, "snapshot " + name);
    }

    private (int, string, object?) Agent(FakeVm target)
    {
        if (target.Status != "running" || AgentNotRunningFor-- > 0)
        {
            return (500, "QEMU guest agent is not running", null);
        }

        return Ok(new Dictionary<string, object>
        {
            ["result"] = new object[]
            {
                new Dictionary<string, object> { ["name"] = "lo", ["ip-addresses"] = new object[] { new Dictionary<string, object> { ["ip-address"] = "127.0.0.1", ["ip-address-type"] = "ipv4", ["prefix"] = 8 } } },
                new Dictionary<string, object>
                {
                    ["name"] = "eth0",
                    ["ip-addresses"] = new object[]
                    {
                        new Dictionary<string, object> { ["ip-address"] = "169.254.3.4", ["ip-address-type"] = "ipv4", ["prefix"] = 16 },
                        new Dictionary<string, object> { ["ip-address"] = "fe80::1", ["ip-address-type"] = "ipv6", ["prefix"] = 64 },
                        new Dictionary<string, object> { ["ip-address"] = Backing is null ? target.Address : BackingAddress, ["ip-address-type"] = "ipv4", ["prefix"] = 24 },
                    },
                },
            },
        });
    }

    private (int, string, object?) StartTask(Action effect, FakeVm? vm = null, string? action = null)
    {
        var failure = NextTaskFailure;
        NextTaskFailure = null;
        var upid = $"UPID:{Node}:{0x1234 + Interlocked.Increment(ref _taskCounter):X8}:0009ABCD:{0x6740_0000 + _taskCounter:X8}:qmtask:{_taskCounter}:{TokenId}:";
        if (failure is null)
        {
            effect();
        }

        var work = failure is null && Backing is { } backing && vm is not null && action is not null ? System.Threading.Tasks.Task.Run(() => backing(vm, action)) : null;
        _tasks[upid] = (TaskPolls, failure?.Exit ?? "OK", failure?.Log ?? ["TASK OK"], work);
        return Ok(upid);
    }

    private (int, string, object?) TaskAnswer(string upid, string what)
    {
        if (!_tasks.TryGetValue(upid, out var task))
        {
            return (500, $"no such task '{upid}'", null);
        }

        if (what == "log")
        {
            return Ok(task.Log.Select((t, n) => new Dictionary<string, object> { ["n"] = n + 1, ["t"] = t }).ToList());
        }

        if (task.Work is { IsCompleted: false })
        {
            return Ok(new Dictionary<string, object> { ["status"] = "running", ["upid"] = upid });
        }

        if (task.Work is { IsFaulted: true } failed)
        {
            return Ok(new Dictionary<string, object> { ["status"] = "stopped", ["exitstatus"] = failed.Exception!.InnerException!.Message, ["upid"] = upid });
        }

        if (task.PollsLeft > 0)
        {
            _tasks[upid] = task with { PollsLeft = task.PollsLeft - 1 };
            return Ok(new Dictionary<string, object> { ["status"] = "running", ["upid"] = upid });
        }

        return Ok(new Dictionary<string, object> { ["status"] = "stopped", ["exitstatus"] = task.Exit, ["upid"] = upid });
    }

    private bool Expect(System.Collections.Specialized.NameValueCollection p, string path, string[] required, string[] optional)
    {
        var ok = true;
        foreach (var name in required.Where(r => p[r] is null))
        {
            Violations.Enqueue($"{path}: missing parameter '{name}'");
            ok = false;
        }

        foreach (var name in p.AllKeys.Where(k => k is not null && !required.Contains(k) && !optional.Contains(k)))
        {
            Violations.Enqueue($"{path}: unknown parameter '{name}'");
            ok = false;
        }

        return ok;
    }

    private int Vmid(string? text, string path)
    {
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id is >= 100 and <= 999_999_999)
        {
            return id;
        }

        Violations.Enqueue($"{path}: '{text}' is not a VMID (100-999999999)");
        return -1;
    }

    private (int, string, object?) Unknown(string method, string path)
    {
        Violations.Enqueue($"{method} {path}: not a call CiLab should make");
        return (501, $"Method '{method} {path}' not implemented", null);
    }

    private static (int, string, object?) Ok(object? data) => (200, "OK", data);

    private static void Answer(HttpListenerResponse response, int status, string reason, object? data)
    {
        response.StatusCode = status;
        response.StatusDescription = reason;
        response.ContentType = "application/json;charset=UTF-8";
        var bytes = JsonSerializer.SerializeToUtf8Bytes(status == 400 ? new Dictionary<string, object?> { ["data"] = null, ["errors"] = new Dictionary<string, string> { ["vmid"] = reason } } : new Dictionary<string, object?> { ["data"] = data });
        response.OutputStream.Write(bytes);
        response.Close();
    }

    [GeneratedRegex("^/api2/json/nodes/(?<node>[^/]+)/qemu/(?<vmid>[^/]+)(?<rest>(/.*)?)$")]
    private static partial Regex VmPath();

    [GeneratedRegex("^/api2/json/nodes/[^/]+/tasks/(?<upid>[^/]+)/(?<what>status|log)$")]
    private static partial Regex TaskPath();

    [GeneratedRegex("^/snapshot/(?<name>[^/]+)/rollback$")]
    private static partial Regex RollbackPath();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{1,39}$")]
    private static partial Regex SnapshotName();

    [GeneratedRegex(@"^(ip=(dhcp|[0-9.]+/\d+)(,gw=[0-9.]+)?)(,ip6=[^,]+)?$")]
    private static partial Regex IpConfig();
}
