using CiLab.Labs;
using CiLab.Machines;
using CiLab.Proxmox;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.Tests.Proxmox;

/// <summary>
/// A lab VM on the Proxmox backend against the stand-in API server: cloning, reaping, the safety rules, snapshots and
/// teardown. (Reaching the guest over SSH needs a real guest behind the API; that is not part of these tests.)
/// </summary>
[Collection(LocalHttpServers.Name)]
public sealed class ProxmoxMachineTests : IDisposable
{
    private const string PublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx cilab-lab";
    private readonly FakeProxmoxServer _server = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-proxmox-").FullName;
    private readonly LabState _state;
    private readonly ProxmoxSettings _settings;

    public ProxmoxMachineTests()
    {
        _server.Vms[9000] = new FakeVm(9000, "debian-template", template: true);
        _state = new LabState(_directory);
        _settings = new ProxmoxSettings { Endpoint = _server.BaseUrl, Node = FakeProxmoxServer.Node, FirstVmid = 9100, LastVmid = 9110 };
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_directory, recursive: true);
        Assert.Empty(_server.Violations);
    }

    [Fact]
    public async Task Setup_clones_the_template_once_tagged_for_the_lab_with_the_lab_user_and_key()
    {
        var vm = Machine();

        Assert.True(await vm.SetupAsync(Ct));
        Assert.False(await vm.SetupAsync(Ct));

        var clone = Assert.Single(_server.Vms.Values, v => !v.Template);
        Assert.Equal((9100, $"cilab-phase4-{_state.Id}", "cilab", PublicKey), (clone.Id, clone.Name, clone.User, clone.SshKeys));
        Assert.Equal($"cilab;cilab-lab-{_state.Id}", clone.Tags);
        Assert.Equal(9100, vm.Vmid);
        Assert.Equal("proxmox-template-9000", vm.ImageId);
    }

    [Fact]
    public async Task Setup_removes_a_clone_a_crashed_run_left_and_leaves_a_same_named_vm_it_did_not_make()
    {
        var name = $"cilab-phase4-{_state.Id}";
        var leftover = _server.Vms[9100] = new FakeVm(9100, name) { Tags = $"cilab;cilab-lab-{_state.Id}", Status = "running" };
        _server.Vms[9101] = new FakeVm(9101, name) { Status = "running" };

        await Machine().SetupAsync(Ct);

        Assert.Contains("DELETE /api2/json/nodes/pve1/qemu/9100?purge=1&destroy-unreferenced-disks=1", _server.Requests);
        Assert.NotSame(leftover, _server.Vms[9100]);
        Assert.Equal(("cilab", "stopped"), (_server.Vms[9100].User, _server.Vms[9100].Status));
        Assert.Equal("running", _server.Vms[9101].Status);
        Assert.DoesNotContain(_server.Requests, r => r.Contains("qemu/9101/status/", StringComparison.Ordinal) && r.StartsWith("POST", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_read_only_vm_refuses_every_change_before_any_call_is_made()
    {
        var vm = Machine() is var writable && await writable.SetupAsync(Ct) ? Machine(readOnly: true) : throw new InvalidOperationException();
        var before = _server.Requests.Count;

        await Assert.ThrowsAsync<VmReadOnlyException>(() => vm.StopAsync(TimeSpan.Zero, Ct));
        await Assert.ThrowsAsync<VmReadOnlyException>(() => vm.SnapshotAsync("clean", Ct));
        await Assert.ThrowsAsync<VmReadOnlyException>(() => vm.RestoreAsync("clean", Ct));
        await Assert.ThrowsAsync<VmReadOnlyException>(() => vm.DestroyAsync(Ct));

        Assert.Equal(before, _server.Requests.Count);
    }

    [Fact]
    public async Task Snapshots_stop_and_destroy_act_on_the_clone_and_destroy_forgets_it()
    {
        var vm = Machine();
        await vm.SetupAsync(Ct);
        _server.Vms[9100].Status = "running";

        await vm.SnapshotAsync("clean", Ct);
        Assert.True(await vm.HasSnapshotAsync("clean", Ct));
        Assert.Equal(["clean"], await vm.ListSnapshotsAsync(Ct));
        Assert.True(vm.IsRunning());

        await vm.StopAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(VmRunState.Stopped, vm.GetStatus().State);

        await vm.DestroyAsync(Ct);
        Assert.False(_server.Vms.ContainsKey(9100));
        Assert.Null(vm.Vmid);
        Assert.Empty(await vm.ListSnapshotsAsync(Ct));
    }

    [Fact]
    public async Task Pulling_the_cable_sets_link_down_on_the_nic_and_keeps_its_other_settings()
    {
        var vm = Machine();
        await vm.SetupAsync(Ct);

        await vm.SetLinkAsync(up: false, Ct);
        Assert.Equal("virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1,link_down=1", _server.Vms[9100].Net0);
        await vm.SetLinkAsync(up: true, Ct);
        Assert.Equal("virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1", _server.Vms[9100].Net0);
        Assert.Contains(_server.Requests, r => r.Contains("/config net0=", StringComparison.Ordinal) && r.Contains("&digest=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_hard_reset_goes_through_the_api_and_a_read_only_vm_refuses_it()
    {
        var vm = Machine();
        await vm.SetupAsync(Ct);

        await vm.ResetAsync(Ct);
        await Assert.ThrowsAsync<VmReadOnlyException>(() => Machine(readOnly: true).ResetAsync(Ct));

        Assert.Single(_server.Requests, r => r.StartsWith("POST /api2/json/nodes/pve1/qemu/9100/status/reset", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Someone_protecting_the_clone_on_the_cluster_stops_cilab_from_destroying_it()
    {
        var vm = Machine();
        await vm.SetupAsync(Ct);
        _server.Vms[9100].Protected = true;

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => vm.DestroyAsync(Ct));

        Assert.Contains("protection flag", e.Message, StringComparison.Ordinal);
        Assert.True(_server.Vms.ContainsKey(9100));
    }

    [Fact]
    public void Status_of_a_lab_that_never_cloned_needs_no_token_and_no_call()
    {
        var lab = new LabDefinition
        {
            Path = Path.Combine(_directory, "lab.yaml"),
            Images = [new ImageDefinition { Name = "pve", ProxmoxTemplate = 9000 }],
            Vms = [new VmDefinition { Name = "phase4", Image = "pve", Backend = "proxmox" }],
            Proxmox = _settings,
        };

        var status = Assert.Single(Lab.ReadStatus(lab, []));

        Assert.Equal((VmRunState.Stopped, "proxmox"), (status.State, status.Accelerator));
        Assert.Empty(_server.Requests);
    }

    private ProxmoxMachine Machine(bool readOnly = false)
    {
        var client = new ProxmoxClient(_server.BaseUrl, FakeProxmoxServer.Node, ProxmoxToken.Parse($"{FakeProxmoxServer.TokenId}={FakeProxmoxServer.Secret}"))
        {
            PollInterval = TimeSpan.FromMilliseconds(10),
            RetryDelay = _ => TimeSpan.Zero,
        };
        var definition = new VmDefinition { Name = "phase4", Image = "pve", Backend = "proxmox", ReadOnly = readOnly };
        return new ProxmoxMachine(definition, new ImageDefinition { Name = "pve", ProxmoxTemplate = 9000 }, _settings, client, _state, PublicKey, NullLogger.Instance);
    }
}
