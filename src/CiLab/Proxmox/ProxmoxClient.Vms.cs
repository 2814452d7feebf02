using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace CiLab.Proxmox;

/// <summary>The VM operations: VMIDs, clones, cloud-init, power, snapshots, the guest agent, and the safety guard.</summary>
internal sealed partial class ProxmoxClient
{
    /// <summary>The tag every VM CiLab creates carries; a VM without it is never touched.</summary>
    public const string Tag = "cilab";

    private static readonly TimeSpan TaskTimeout = TimeSpan.FromMinutes(10);

    // Parallel clones of one template contend for its storage lock: one at a time per template, the rest in parallel.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> CloneGates = new(StringComparer.Ordinal);

    /// <summary>
    /// Clones <paramref name="template"/> into the lowest free VMID in <paramref name="ids"/> and returns it. Another
    /// client can take the same id between the check and the clone: "already exists" is retried with the next free id.
    /// </summary>
    public async Task<int> CloneAsync(int template, string name, Range ids, ProxmoxCloneOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var gate = CloneGates.GetOrAdd($"{Endpoint}#{Node}#{template}", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CloneOnceFreeAsync(template, name, ids, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<int> CloneOnceFreeAsync(int template, string name, Range ids, ProxmoxCloneOptions options, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var id = await FreeIdAsync(ids, cancellationToken).ConfigureAwait(false);
            List<(string, string)> parameters = [("newid", Invariant(id)), ("name", name), ("full", options.Full ? "1" : "0")];
            if (options.Storage is { } storage)
            {
                parameters.Add(("storage", storage));
            }

            if (options.Pool is { } pool)
            {
                parameters.Add(("pool", pool));
            }

            try
            {
                await RunTaskAsync(HttpMethod.Post, $"nodes/{Node}/qemu/{Invariant(template)}/clone", parameters, TaskTimeout, cancellationToken).ConfigureAwait(false);
                return id;
            }
            catch (ProxmoxException e) when (attempt < MaxAttempts && e.Message.Contains("already exists", StringComparison.Ordinal))
            {
            }
        }
    }

    /// <summary>The VMIDs of the cluster's VMs called <paramref name="name"/>.</summary>
    public async Task<IReadOnlyList<int>> FindByNameAsync(string name, CancellationToken cancellationToken)
    {
        var resources = await GetAsync("cluster/resources", cancellationToken, ("type", "vm")).ConfigureAwait(false);
        return [.. Items(resources, "cluster/resources").Where(r => Text(r, "name") == name).Select(r => Number(r, "vmid"))];
    }

    /// <summary>The lowest VMID in <paramref name="ids"/> that no VM in the cluster uses (and the cluster agrees is free).</summary>
    public async Task<int> FreeIdAsync(Range ids, CancellationToken cancellationToken)
    {
        var resources = await GetAsync("cluster/resources", cancellationToken, ("type", "vm")).ConfigureAwait(false);
        var used = Items(resources, "cluster/resources").Select(r => Number(r, "vmid")).ToHashSet();
        for (var id = ids.Start.Value; id <= ids.End.Value; id++)
        {
            if (used.Contains(id))
            {
                continue;
            }

            try
            {
                await GetAsync("cluster/nextid", cancellationToken, ("vmid", Invariant(id))).ConfigureAwait(false);
                return id;
            }
            catch (ProxmoxException e) when (e.Status == HttpStatusCode.BadRequest)
            {
                // Taken since the listing (or reserved): the next one.
            }
        }

        throw new ProxmoxException($"No free VMID between {ids.Start.Value} and {ids.End.Value} on the cluster: widen the lab's VMID range or remove old VMs.");
    }

    /// <summary>
    /// Tags the VM as CiLab's and sets its cloud-init user, keys and network, then regenerates the cloud-init drive so
    /// the first boot sees them. The keys are URL-encoded before the form encodes them again: the API decodes twice.
    /// </summary>
    public async Task ConfigureCloudInitAsync(int vmid, string labTag, string user, string sshPublicKeys, string ipConfig, CancellationToken cancellationToken)
    {
        await SendAsync(HttpMethod.Put, VmPath(vmid, "config"),
        [
            ("tags", $"{Tag};{labTag}"),
            ("ciuser", user),
            ("sshkeys", Uri.EscapeDataString(sshPublicKeys.ReplaceLineEndings("\n").TrimEnd('\n'))),
            ("ipconfig0", ipConfig),
            ("agent", "1"),
        ], cancellationToken).ConfigureAwait(false);
        await SendAsync(HttpMethod.Put, VmPath(vmid, "cloudinit"), [], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses, before any change, to act on a VM CiLab did not create for <paramref name="labTag"/> or one Proxmox
    /// protects (<c>protection: 1</c>).
    /// </summary>
    public async Task GuardAsync(int vmid, string labTag, CancellationToken cancellationToken)
    {
        var config = await GetAsync(VmPath(vmid, "config"), cancellationToken).ConfigureAwait(false);
        var tags = (Text(config, "tags") ?? string.Empty).Split([';', ',', ' '], StringSplitOptions.RemoveEmptyEntries);
        if (Text(config, "protection") == "1")
        {
            throw new ProxmoxException($"VM {vmid} on node {Node} has Proxmox's protection flag set: CiLab never stops, rolls back, snapshots or destroys it.");
        }

        if (!tags.Contains(Tag, StringComparer.Ordinal) || !tags.Contains(labTag, StringComparer.Ordinal))
        {
            throw new ProxmoxException($"VM {vmid} on node {Node} was not created by CiLab for this lab (it lacks the tags '{Tag}' and '{labTag}'): CiLab never touches it.");
        }
    }

    /// <summary>Starts, shuts down (ACPI, then stop after <paramref name="shutdownTimeout"/>) or stops a guarded VM.</summary>
    public async Task PowerAsync(int vmid, string labTag, string action, TimeSpan shutdownTimeout, CancellationToken cancellationToken)
    {
        if (action is not ("start" or "shutdown" or "stop" or "reset"))
        {
            throw new ArgumentException($"'{action}' is not a power action.", nameof(action));
        }

        await GuardAsync(vmid, labTag, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<(string, string)> parameters = action == "shutdown" ? [("timeout", Invariant((int)shutdownTimeout.TotalSeconds)), ("forceStop", "1")] : [];
        await RunTaskAsync(HttpMethod.Post, VmPath(vmid, $"status/{action}"), parameters, TaskTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Pulls the guest's network cable (<c>link_down=1</c> on net0) or plugs it back in, keeping the NIC's other settings.
    /// The config's digest goes with the change, so a concurrent edit fails instead of being overwritten.
    /// </summary>
    public async Task SetLinkAsync(int vmid, string labTag, bool up, CancellationToken cancellationToken)
    {
        await GuardAsync(vmid, labTag, cancellationToken).ConfigureAwait(false);
        var config = await GetAsync(VmPath(vmid, "config"), cancellationToken).ConfigureAwait(false);
        var nic = Text(config, "net0") ?? throw new ProxmoxException($"VM {vmid} has no net0 network device, so its cable cannot be pulled.");
        var settings = nic.Split(',').Where(p => !p.StartsWith("link_down=", StringComparison.Ordinal)).ToList();
        if (!up)
        {
            settings.Add("link_down=1");
        }

        List<(string, string)> change = [("net0", string.Join(',', settings))];
        if (Text(config, "digest") is { } digest)
        {
            change.Add(("digest", digest));
        }

        await SendAsync(HttpMethod.Put, VmPath(vmid, "config"), change, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether the VM runs ("running") or not ("stopped").</summary>
    public async Task<string> StatusAsync(int vmid, CancellationToken cancellationToken) =>
        Text(await GetAsync(VmPath(vmid, "status/current"), cancellationToken).ConfigureAwait(false), "status") ?? "unknown";

    /// <summary>Destroys a guarded VM with its disks, its backup and replication jobs, and unreferenced disks.</summary>
    public async Task DestroyAsync(int vmid, string labTag, CancellationToken cancellationToken)
    {
        await GuardAsync(vmid, labTag, cancellationToken).ConfigureAwait(false);
        await RunTaskAsync(HttpMethod.Delete, $"nodes/{Node}/qemu/{Invariant(vmid)}", [("purge", "1"), ("destroy-unreferenced-disks", "1")], TaskTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes snapshot <paramref name="name"/> of a guarded VM, with its RAM so a rollback resumes it running.</summary>
    public async Task SnapshotAsync(int vmid, string labTag, string name, CancellationToken cancellationToken)
    {
        await GuardAsync(vmid, labTag, cancellationToken).ConfigureAwait(false);
        await RunTaskAsync(HttpMethod.Post, VmPath(vmid, "snapshot"), [("snapname", name), ("vmstate", "1")], TaskTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rolls a guarded VM back to snapshot <paramref name="name"/>.</summary>
    public async Task RollbackAsync(int vmid, string labTag, string name, CancellationToken cancellationToken)
    {
        await GuardAsync(vmid, labTag, cancellationToken).ConfigureAwait(false);
        await RunTaskAsync(HttpMethod.Post, VmPath(vmid, $"snapshot/{Uri.EscapeDataString(name)}/rollback"), [], TaskTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The VM's snapshot names ("current" is Proxmox's marker for now, not a snapshot).</summary>
    public async Task<IReadOnlyList<string>> SnapshotsAsync(int vmid, CancellationToken cancellationToken)
    {
        var list = await GetAsync(VmPath(vmid, "snapshot"), cancellationToken).ConfigureAwait(false);
        return [.. Items(list, "the snapshot list").Select(s => Text(s, "name")).OfType<string>().Where(n => n != "current")];
    }

    /// <summary>
    /// The guest's first IPv4 address that is neither loopback nor link-local, from the QEMU guest agent; null while
    /// the agent is not running yet (the guest is still booting).
    /// </summary>
    public async Task<IPAddress?> GuestAddressAsync(int vmid, CancellationToken cancellationToken)
    {
        JsonElement answer;
        try
        {
            answer = await GetAsync(VmPath(vmid, "agent/network-get-interfaces"), cancellationToken).ConfigureAwait(false);
        }
        catch (ProxmoxException e) when (e.Status == HttpStatusCode.InternalServerError && e.Message.Contains("not running", StringComparison.Ordinal))
        {
            return null;
        }

        // The API wraps the agent's answer in "result"; anything else is treated as no address yet.
        if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty("result", out var interfaces) || interfaces.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var networkInterface in interfaces.EnumerateArray())
        {
            if (networkInterface.ValueKind != JsonValueKind.Object || !networkInterface.TryGetProperty("ip-addresses", out var addresses) || addresses.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var address in addresses.EnumerateArray())
            {
                if (Text(address, "ip-address-type") == "ipv4" && IPAddress.TryParse(Text(address, "ip-address"), out var ip)
                    && ip.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(ip) && !(ip.GetAddressBytes() is [169, 254, ..]))
                {
                    return ip;
                }
            }
        }

        return null;
    }

    private string VmPath(int vmid, string rest) => $"nodes/{Node}/qemu/{Invariant(vmid)}/{rest}";

    private static string Invariant(int number) => number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
