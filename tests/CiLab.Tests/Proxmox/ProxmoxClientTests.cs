using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CiLab.Proxmox;

namespace CiLab.Tests.Proxmox;

/// <summary>The Proxmox API client against a stand-in server built from the API documentation (no cluster can run here).</summary>
[Collection(LocalHttpServers.Name)]
public sealed class ProxmoxClientTests : IDisposable
{
    private const string LabTag = "cilab-lab-3f2a";
    private readonly FakeProxmoxServer _server = new();
    private readonly ProxmoxClient _client;

    public ProxmoxClientTests()
    {
        _server.Vms[9000] = new FakeVm(9000, "debian-template", template: true);
        _client = Client(FakeProxmoxServer.Secret);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        Assert.Empty(_server.Violations);
    }

    [Fact]
    public void A_token_is_read_from_its_documented_form_and_its_secret_never_shows()
    {
        var token = ProxmoxToken.Parse($"{FakeProxmoxServer.TokenId}={FakeProxmoxServer.Secret}");
        Assert.Equal(FakeProxmoxServer.TokenId, token.ToString());
        Assert.Equal($"PVEAPIToken={FakeProxmoxServer.TokenId}={FakeProxmoxServer.Secret}", token.Header);

        foreach (var bad in new[] { "", "cilab@pve=secret-only", "cilab!ci=s3cr3t-value", "cilab@pve!ci=", $"cilab@pve!ci {FakeProxmoxServer.Secret}" })
        {
            var e = Assert.Throws<ProxmoxException>(() => ProxmoxToken.Parse(bad));
            Assert.Contains(ProxmoxToken.EnvironmentVariable, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cr3t", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void In_github_actions_the_secret_is_masked_and_elsewhere_never_written()
    {
        var token = ProxmoxToken.Parse($"{FakeProxmoxServer.TokenId}={FakeProxmoxServer.Secret}");
        var actions = new StringWriter();
        var elsewhere = new StringWriter();

        token.MaskIn(CiLab.GitHub.GitHubContext.FromEnvironment(new Dictionary<string, string> { ["GITHUB_ACTIONS"] = "true" }), actions);
        token.MaskIn(CiLab.GitHub.GitHubContext.FromEnvironment(new Dictionary<string, string>()), elsewhere);

        Assert.Equal($"::add-mask::{FakeProxmoxServer.Secret}", actions.ToString().Trim());
        Assert.Empty(elsewhere.ToString());
    }

    [Fact]
    public async Task A_clone_takes_the_lowest_free_vmid_and_retries_when_another_client_took_it_first()
    {
        _server.Vms[100] = new FakeVm(100, "someone-elses");
        _server.TakenBeforeClone = 101;

        var id = await _client.CloneAsync(9000, "phase4", 100..110, new ProxmoxCloneOptions(), Ct);

        Assert.Equal(102, id);
        Assert.Equal("phase4", _server.Vms[102].Name);
        Assert.Contains(_server.Requests, r => r.StartsWith("POST /api2/json/nodes/pve1/qemu/9000/clone newid=101", StringComparison.Ordinal));
        Assert.Contains(_server.Requests, r => r.StartsWith("POST /api2/json/nodes/pve1/qemu/9000/clone newid=102&name=phase4&full=0", StringComparison.Ordinal));
        Assert.True(_server.Requests.Count(r => r.Contains("/tasks/", StringComparison.Ordinal)) >= 3, "the clone's task is polled until it stops");
    }

    [Fact]
    public async Task Clones_of_one_template_are_made_one_after_the_other()
    {
        var ids = await Task.WhenAll(
            _client.CloneAsync(9000, "left", 100..110, new ProxmoxCloneOptions(), Ct),
            _client.CloneAsync(9000, "right", 100..110, new ProxmoxCloneOptions(), Ct));

        Assert.Equal([100, 101], ids.Order());
        var requests = _server.Requests.ToList();
        var clones = requests.Select((r, i) => (r, i)).Where(x => x.r.Contains("/clone ", StringComparison.Ordinal)).Select(x => x.i).ToList();
        Assert.Equal(2, clones.Count); // the second never raced the first for an id
        Assert.Contains(requests.Skip(clones[0]).Take(clones[1] - clones[0]), r => r.Contains("/tasks/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_free_vmid_in_the_range_is_a_sentence_saying_what_to_do()
    {
        _server.Vms[100] = new FakeVm(100, "a");
        _server.Vms[101] = new FakeVm(101, "b");

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => _client.CloneAsync(9000, "phase4", 100..101, new ProxmoxCloneOptions(), Ct));

        Assert.Contains("No free VMID between 100 and 101", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cloud_init_keys_are_url_encoded_under_the_form_encoding_and_the_drive_is_regenerated()
    {
        var id = await _client.CloneAsync(9000, "phase4", 100..110, new ProxmoxCloneOptions(Full: true, Storage: "local-lvm", Pool: "ci"), Ct);
        const string keys = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx cilab lab key\nssh-rsa AAAAB3NzaC1yc2E+/= second key";

        await _client.ConfigureCloudInitAsync(id, LabTag, "cilab", keys, "ip=dhcp", Ct);

        var vm = _server.Vms[id];
        Assert.Equal((keys, "cilab", $"cilab;{LabTag}"), (vm.SshKeys, vm.User, vm.Tags));
        Assert.Contains(_server.Requests, r => r.Contains("sshkeys=ssh-ed25519%2520AAAA", StringComparison.Ordinal));
        Assert.EndsWith($"PUT /api2/json/nodes/pve1/qemu/{id}/cloudinit", _server.Requests.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vm_cilab_did_not_create_or_one_proxmox_protects_is_never_changed()
    {
        _server.Vms[150] = new FakeVm(150, "production-db") { Status = "running" };
        _server.Vms[151] = new FakeVm(151, "phase4") { Tags = $"cilab;{LabTag}", Protected = true, Status = "running" };
        _server.Vms[152] = new FakeVm(152, "other-lab") { Tags = "cilab;cilab-lab-0000", Status = "running" };

        var foreign = await Assert.ThrowsAsync<ProxmoxException>(() => _client.PowerAsync(150, LabTag, "stop", TimeSpan.Zero, Ct));
        var protectedVm = await Assert.ThrowsAsync<ProxmoxException>(() => _client.DestroyAsync(151, LabTag, Ct));
        var otherLab = await Assert.ThrowsAsync<ProxmoxException>(() => _client.RollbackAsync(152, LabTag, "clean", Ct));

        Assert.Contains("was not created by CiLab for this lab", foreign.Message, StringComparison.Ordinal);
        Assert.Contains("protection flag", protectedVm.Message, StringComparison.Ordinal);
        Assert.Contains("was not created by CiLab for this lab", otherLab.Message, StringComparison.Ordinal);
        Assert.All(_server.Requests, r => Assert.StartsWith("GET ", r, StringComparison.Ordinal));
        Assert.All(_server.Vms.Values.Where(v => !v.Template), v => Assert.Equal("running", v.Status));
    }

    [Fact]
    public async Task Lock_timeouts_are_retried_and_the_snapshot_flow_works_end_to_end()
    {
        var id = await _client.CloneAsync(9000, "phase4", 100..110, new ProxmoxCloneOptions(), Ct);
        await _client.ConfigureCloudInitAsync(id, LabTag, "cilab", "ssh-ed25519 AAAA key", "ip=dhcp", Ct);
        await _client.PowerAsync(id, LabTag, "start", TimeSpan.Zero, Ct);
        _server.AnswerNextWith(500, $"can't lock file '/var/lock/qemu-server/lock-{id}.conf' - got timeout", "POST");
        _server.AnswerNextWith(500, $"can't lock file '/var/lock/qemu-server/lock-{id}.conf' - got timeout", "POST");

        await _client.SnapshotAsync(id, LabTag, "clean", Ct);
        await _client.PowerAsync(id, LabTag, "shutdown", TimeSpan.FromSeconds(30), Ct);
        await _client.RollbackAsync(id, LabTag, "clean", Ct);

        Assert.Equal(["clean"], await _client.SnapshotsAsync(id, Ct));
        Assert.Equal("running", await _client.StatusAsync(id, Ct));
        Assert.Contains(_server.Requests, r => r == $"POST /api2/json/nodes/pve1/qemu/{id}/snapshot snapname=clean&vmstate=1");
        Assert.Contains(_server.Requests, r => r == $"POST /api2/json/nodes/pve1/qemu/{id}/status/shutdown timeout=30&forceStop=1");

        await _client.DestroyAsync(id, LabTag, Ct);
        Assert.False(_server.Vms.ContainsKey(id));
        Assert.Contains(_server.Requests, r => r == $"DELETE /api2/json/nodes/pve1/qemu/{id}?purge=1&destroy-unreferenced-disks=1");
    }

    [Fact]
    public async Task Other_server_errors_on_a_change_are_not_repeated_and_say_what_the_api_said()
    {
        _server.Vms[120] = new FakeVm(120, "phase4") { Tags = $"cilab;{LabTag}" };
        _server.AnswerNextWith(500, "storage 'local-lvm' is not available on node 'pve1'", "POST");

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => _client.SnapshotAsync(120, LabTag, "clean", Ct));

        Assert.Equal(HttpStatusCode.InternalServerError, e.Status);
        Assert.Contains("storage 'local-lvm' is not available", e.Message, StringComparison.Ordinal);
        Assert.Single(_server.Requests, r => r.StartsWith("POST ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_task_reports_its_exit_status_and_the_end_of_its_log()
    {
        var id = await _client.CloneAsync(9000, "phase4", 100..110, new ProxmoxCloneOptions(), Ct);
        await _client.ConfigureCloudInitAsync(id, LabTag, "cilab", "ssh-ed25519 AAAA key", "ip=dhcp", Ct);
        _server.NextTaskFailure = ("start failed: QEMU exited with code 1", ["kvm: -drive file=/dev/pve/vm-disk-0: Could not open", "TASK ERROR: start failed: QEMU exited with code 1"]);

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => _client.PowerAsync(id, LabTag, "start", TimeSpan.Zero, Ct));

        Assert.Contains("failed: start failed: QEMU exited with code 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("Could not open", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_that_never_ends_times_out_with_its_upid()
    {
        _server.TaskPolls = int.MaxValue;

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => _client.RunTaskAsync(HttpMethod.Post, "nodes/pve1/qemu/9000/clone", [("newid", "105")], TimeSpan.FromMilliseconds(300), Ct));

        Assert.Contains("did not finish within", e.Message, StringComparison.Ordinal);
        Assert.Contains("UPID:pve1:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_token_and_a_missing_privilege_are_told_apart_without_the_secret()
    {
        using var wrong = Client("not-the-secret-4242");
        var unauthorized = await Assert.ThrowsAsync<ProxmoxException>(() => wrong.StatusAsync(9000, Ct));
        Assert.Contains(ProxmoxToken.EnvironmentVariable, unauthorized.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret-4242", unauthorized.Message, StringComparison.Ordinal);

        _server.AnswerNextWith(403, "Permission check failed (/vms/9000, VM.Clone)", "POST");
        var forbidden = await Assert.ThrowsAsync<ProxmoxException>(() => _client.CloneAsync(9000, "phase4", 100..110, new ProxmoxCloneOptions(), Ct));
        Assert.Contains("VM.Clone", forbidden.Message, StringComparison.Ordinal);
        Assert.Contains("VM.Allocate", forbidden.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_guest_address_comes_from_the_agent_once_it_runs_skipping_loopback_link_local_and_ipv6()
    {
        _server.Vms[130] = new FakeVm(130, "phase4") { Tags = $"cilab;{LabTag}", Status = "running", Address = "10.20.30.40" };
        _server.AgentNotRunningFor = 2;

        Assert.Null(await _client.GuestAddressAsync(130, Ct));
        Assert.Null(await _client.GuestAddressAsync(130, Ct));
        Assert.Equal(IPAddress.Parse("10.20.30.40"), await _client.GuestAddressAsync(130, Ct));
    }

    [Fact]
    public async Task A_gateway_error_on_a_read_is_retried_a_bounded_number_of_times()
    {
        _server.Vms[140] = new FakeVm(140, "phase4") { Status = "running" };
        _server.AnswerNextWith(503, "Service Unavailable");
        Assert.Equal("running", await _client.StatusAsync(140, Ct));

        for (var i = 0; i < 5; i++)
        {
            _server.AnswerNextWith(502, "Bad Gateway");
        }

        var e = await Assert.ThrowsAsync<ProxmoxException>(() => _client.StatusAsync(140, Ct));
        Assert.Contains("after 5 tries", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_https_is_accepted_except_for_a_local_stand_in()
    {
        var token = ProxmoxToken.Parse($"{FakeProxmoxServer.TokenId}={FakeProxmoxServer.Secret}");
        var e = Assert.Throws<ArgumentException>(() => new ProxmoxClient(new Uri("http://pve1.example.org:8006/"), "pve1", token));
        Assert.Contains("must be https://", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ProxmoxClient(new Uri("https://pve1.example.org:8006/"), "pve1; rm", token));
    }

    [Fact]
    public void A_certificate_is_accepted_when_trusted_or_exactly_pinned_and_a_refusal_says_how_to_pin()
    {
        using var key = ECDsa.Create();
        using var certificate = new CertificateRequest("CN=pve1", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.Now.AddDays(-1), DateTimeOffset.Now.AddDays(1));
        var fingerprint = ProxmoxCertificates.Fingerprint(certificate);
        var endpoint = new Uri("https://pve1:8006/");

        var unpinned = new ProxmoxCertificates(null);
        Assert.True(unpinned.Accept(certificate, SslPolicyErrors.None));
        Assert.False(unpinned.Accept(certificate, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.Contains($"fingerprint: {fingerprint}", unpinned.Explain(endpoint), StringComparison.Ordinal);

        Assert.True(new ProxmoxCertificates(fingerprint.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant()).Accept(certificate, SslPolicyErrors.RemoteCertificateChainErrors));
        var other = new ProxmoxCertificates(string.Join(':', Enumerable.Repeat("AB", 32)));
        Assert.False(other.Accept(certificate, SslPolicyErrors.None));
        Assert.Contains("is not the one pinned", other.Explain(endpoint), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ProxmoxCertificates("12:34"));
    }

    private ProxmoxClient Client(string secret) =>
        new(_server.BaseUrl, FakeProxmoxServer.Node, ProxmoxToken.Parse($"{FakeProxmoxServer.TokenId}={secret}"))
        {
            PollInterval = TimeSpan.FromMilliseconds(10),
            RetryDelay = _ => TimeSpan.Zero,
        };
}
