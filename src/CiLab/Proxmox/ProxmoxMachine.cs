using System.Diagnostics;
using System.Text.Json;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Qemu;
using CiLab.Ssh;
using Microsoft.Extensions.Logging;

namespace CiLab.Proxmox;

/// <summary>
/// One lab VM on a Proxmox VE cluster: a clone of its image's template (tagged as CiLab's and the lab's), given the
/// lab's user and key by cloud-init, reached over SSH at the address its guest agent reports. Snapshots keep RAM, so a
/// rollback resumes the guest running, as a QEMU loadvm does. A VM the lab marks read-only, one Proxmox protects, and
/// one CiLab did not create are never stopped, rolled back, snapshotted or destroyed.
/// </summary>
public sealed class ProxmoxMachine : IMachine, IHardReset, ILiveSnapshots, ILinkControl
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);
    private readonly ImageDefinition _image;
    private readonly ProxmoxSettings _settings;
    private readonly ProxmoxClient _client;
    private readonly LabState _state;
    private readonly string _publicKey;
    private readonly ILogger _log;

    internal ProxmoxMachine(VmDefinition definition, ImageDefinition image, ProxmoxSettings settings, ProxmoxClient client, LabState state, string publicKey, ILogger log)
    {
        Definition = definition;
        _image = image;
        _settings = settings;
        _client = client;
        _state = state;
        _publicKey = publicKey;
        _log = log;
        StateDirectory = state.VmDirectory(definition.Name);
        Profile = GuestProfiles.Find(definition.Guest) ?? throw new ArgumentException($"VM '{definition.Name}': no guest profile '{definition.Guest}'.", nameof(definition));
    }

    /// <inheritdoc/>
    public string Name => Definition.Name;

    /// <inheritdoc/>
    public VmDefinition Definition { get; }

    /// <inheritdoc/>
    public string ImageId => $"proxmox-template-{_image.ProxmoxTemplate}";

    /// <inheritdoc/>
    public IGuestProfile Profile { get; }

    /// <inheritdoc/>
    public string StateDirectory { get; }

    /// <summary>Whether a change waits for another run that holds the VM (true) or fails at once.</summary>
    public bool WaitWhenBusy { get; init; } = true;

    /// <summary>The VMID of the clone, once there is one.</summary>
    public int? Vmid => ReadState()?.Vmid;

    /// <inheritdoc/>
    public TimeSpan ResumeTimeout => TimeSpan.FromMinutes(2);

    /// <summary>The tag that marks this lab's VMs on the cluster, beside <see cref="ProxmoxClient.Tag"/>.</summary>
    internal string LabTag => $"cilab-lab-{_state.Id}";

    /// <inheritdoc/>
    public IGuestShell Shell => new SshShell(Name, Endpoint(Definition.User), Profile, _log);

    /// <summary>Root's commands: cloud images let root log in by no key, so the lab user's commands run elevated.</summary>
    public IGuestShell RootShell => new ElevatedShell(Shell, Definition.Elevation == Elevation.None ? Elevation.Sudo : Definition.Elevation);

    private string ProxmoxName => $"cilab-{Name}-{_state.Id}";

    private string StatePath => Path.Combine(StateDirectory, "proxmox.json");

    private string LockPath => Path.Combine(_state.RuntimeRoot, Name + ".lock");

    /// <summary>Clones the template when the lab has no clone of it yet, after removing clones a crashed run left behind.</summary>
    public async Task<bool> SetupAsync(CancellationToken cancellationToken)
    {
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (ReadState() is { } known && (await _client.FindByNameAsync(ProxmoxName, cancellationToken).ConfigureAwait(false)).Contains(known.Vmid))
        {
            return false;
        }

        await ReapAsync(cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var options = new ProxmoxCloneOptions(_settings.FullClone, _settings.Storage, _settings.Pool);
        var vmid = await _client.CloneAsync(_image.ProxmoxTemplate!.Value, ProxmoxName, _settings.FirstVmid.._settings.LastVmid, options, cancellationToken).ConfigureAwait(false);
        WriteState(new ProxmoxVmState(vmid, null));
        await _client.ConfigureCloudInitAsync(vmid, LabTag, Definition.User, _publicKey, "ip=dhcp", cancellationToken).ConfigureAwait(false);
        _log.Line($"VM '{Name}': cloned template {_image.ProxmoxTemplate} to VMID {vmid} on node {_settings.Node} in {clock.Elapsed.TotalSeconds:0.0}s.");
        return true;
    }

    /// <inheritdoc/>
    public async Task StartAsync(MachineStartOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await SetupAsync(cancellationToken).ConfigureAwait(false);
        var vmid = RequireVmid();
        if (options.FromSnapshot is { } snapshot)
        {
            RefuseIfReadOnly("restore");
            await _client.RollbackAsync(vmid, LabTag, snapshot, cancellationToken).ConfigureAwait(false);
        }

        if (await _client.StatusAsync(vmid, cancellationToken).ConfigureAwait(false) != "running")
        {
            await _client.PowerAsync(vmid, LabTag, "start", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            _log.Line($"VM '{Name}' (VMID {vmid}) started on node {_settings.Node}; waiting for its guest agent and SSH.");
        }

        await WaitUntilReadyAsync(Definition.BootTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var vmid = RequireVmid();
        var clock = Stopwatch.StartNew();
        var last = "the guest agent has not answered yet";
        while (true)
        {
            if (await _client.GuestAddressAsync(vmid, cancellationToken).ConfigureAwait(false) is { } address)
            {
                if (ReadState()?.Address != address.ToString())
                {
                    WriteState(new ProxmoxVmState(vmid, address.ToString()));
                }

                last = await Shell.ProbeAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
                if (last.Length == 0)
                {
                    _log.Line($"VM '{Name}' is ready at {address} after {clock.Elapsed.TotalSeconds:0.0}s.");
                    return;
                }
            }

            if (clock.Elapsed > timeout)
            {
                throw new VmException($"VM '{Name}' (VMID {vmid} on node {_settings.Node}) did not become reachable over SSH within {timeout.TotalSeconds:0}s: {last}.");
            }

            await Task.Delay(ProbeInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("stop");
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (Vmid is not { } vmid || await _client.StatusAsync(vmid, cancellationToken).ConfigureAwait(false) != "running")
        {
            return;
        }

        await _client.PowerAsync(vmid, LabTag, grace > TimeSpan.Zero ? "shutdown" : "stop", grace, cancellationToken).ConfigureAwait(false);
        await DropConnectionsAsync(cancellationToken).ConfigureAwait(false);
        _log.Line($"VM '{Name}' (VMID {vmid}) stopped.");
    }

    /// <inheritdoc/>
    public async Task KillAsync()
    {
        if (!Definition.ReadOnly && Vmid is { } vmid)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await _client.PowerAsync(vmid, LabTag, "stop", TimeSpan.Zero, limit.Token).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task DestroyAsync(CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("destroy");
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (Vmid is not { } vmid)
        {
            return;
        }

        if (await _client.StatusAsync(vmid, cancellationToken).ConfigureAwait(false) == "running")
        {
            await _client.PowerAsync(vmid, LabTag, "stop", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }

        await _client.DestroyAsync(vmid, LabTag, cancellationToken).ConfigureAwait(false);
        await DropConnectionsAsync(cancellationToken).ConfigureAwait(false);
        File.Delete(StatePath);
        _log.Line($"VM '{Name}' (VMID {vmid}) destroyed with its disks.");
    }

    /// <summary>The VM's state as the cluster reports it (a short API call); stopped when it has no clone.</summary>
    public VmStatus GetStatus()
    {
        var state = ReadState();
        var running = false;
        if (state is not null)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            running = _client.StatusAsync(state.Vmid, limit.Token).GetAwaiter().GetResult() == "running";
        }

        var address = running && state?.Address is { } ip ? $"{ip}:{_settings.SshPort}" : null;
        return new VmStatus(Name, running ? VmRunState.Running : VmRunState.Stopped, state?.Vmid, address, null, "proxmox", null);
    }

    /// <inheritdoc/>
    public bool IsRunning() => GetStatus().State == VmRunState.Running;

    /// <inheritdoc/>
    public async Task SnapshotAsync(string name, CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("snapshot");
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        await _client.SnapshotAsync(RequireVmid(), LabTag, Names.RequireValidName(name, "snapshot"), cancellationToken).ConfigureAwait(false);
        _log.Line($"VM '{Name}': snapshot '{name}' saved (with RAM).");
    }

    /// <inheritdoc/>
    public async Task<bool> HasSnapshotAsync(string name, CancellationToken cancellationToken) =>
        (await ListSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Contains(name);

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> ListSnapshotsAsync(CancellationToken cancellationToken) =>
        Vmid is { } vmid ? await _client.SnapshotsAsync(vmid, cancellationToken).ConfigureAwait(false) : [];

    /// <inheritdoc/>
    public async Task RestoreAsync(string name, CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("restore");
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        await _client.RollbackAsync(RequireVmid(), LabTag, name, cancellationToken).ConfigureAwait(false);
        // The held SSH connection's TCP state went back in time with the guest.
        await DropConnectionsAsync(cancellationToken).ConfigureAwait(false);
        await WaitUntilReadyAsync(ResumeTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resets the VM like a reset button (no shutdown); the held SSH connections are dropped.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("reset");
        await _client.PowerAsync(RequireVmid(), LabTag, "reset", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        await DropConnectionsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pulls the network cable (the NIC's <c>link_down</c> setting) or plugs it back in.</summary>
    public async Task SetLinkAsync(bool up, CancellationToken cancellationToken)
    {
        RefuseIfReadOnly(up ? "link up" : "link down");
        await _client.SetLinkAsync(RequireVmid(), LabTag, up, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task AcquireAsync(CancellationToken cancellationToken) => VmLocks.EnsureHeldAsync(LockPath, Name, WaitWhenBusy, _log, cancellationToken);

    /// <inheritdoc/>
    public void Release() => VmLocks.Release(LockPath);

    /// <inheritdoc/>
    public string Diagnostics() => Vmid is { } vmid
        ? $" It is VMID {vmid} on Proxmox node {_settings.Node} ({_settings.Endpoint}): its task log and console are in the Proxmox web UI."
        : string.Empty;

    // Clones named like this VM's and tagged for this lab, other than the one the state records: a crashed run's.
    private async Task ReapAsync(CancellationToken cancellationToken)
    {
        foreach (var leftover in await _client.FindByNameAsync(ProxmoxName, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await _client.GuardAsync(leftover, LabTag, cancellationToken).ConfigureAwait(false);
            }
            catch (ProxmoxException e)
            {
                _log.Line($"VM '{Name}': VMID {leftover} has this VM's name but is left alone: {e.Message}");
                continue;
            }

            _log.Line($"VM '{Name}': removing VMID {leftover}, a clone an earlier run left behind.");
            if (await _client.StatusAsync(leftover, cancellationToken).ConfigureAwait(false) == "running")
            {
                await _client.PowerAsync(leftover, LabTag, "stop", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }

            await _client.DestroyAsync(leftover, LabTag, cancellationToken).ConfigureAwait(false);
        }
    }

    // A clone that never reported an address has no connection to drop.
    private async Task DropConnectionsAsync(CancellationToken cancellationToken)
    {
        if (ReadState()?.Address is not null)
        {
            await Shell.ReconnectAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private SshEndpoint Endpoint(string user)
    {
        var address = ReadState()?.Address ?? throw new VmException($"VM '{Name}' has no address yet: start it first (its guest agent reports the address).");
        // A clone's host keys are made at its first boot (cloud-init), so each clone's key is pinned on first contact.
        var alias = $"cilab-proxmox-{_state.Id}-{RequireVmid()}";
        return new SshEndpoint(_settings.SshPort, user, _state.PrivateKeyPath, _state.KnownHostsPath, alias, Path.Combine(_state.VmRuntimeDirectory(Name), $"ssh-{user}"), AcceptNewHostKey: true, Host: address);
    }

    private void RefuseIfReadOnly(string operation)
    {
        if (Definition.ReadOnly)
        {
            throw new VmReadOnlyException(Name, operation);
        }
    }

    private int RequireVmid() => Vmid ?? throw new VmException($"VM '{Name}' has no clone on the Proxmox cluster yet: run VmSetup or start it.");

    private ProxmoxVmState? ReadState()
    {
        try
        {
            return File.Exists(StatePath) ? JsonSerializer.Deserialize<ProxmoxVmState>(File.ReadAllText(StatePath)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void WriteState(ProxmoxVmState state) => AtomicFile.WriteAllText(StatePath, JsonSerializer.Serialize(state));
}
