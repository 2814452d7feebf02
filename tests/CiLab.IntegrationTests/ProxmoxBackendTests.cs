using System.Net;
using System.Net.Sockets;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Qemu;
using CiLab.Tests.Proxmox;

namespace CiLab.IntegrationTests;

/// <summary>
/// <c>backend: proxmox</c> end to end: the build's TestPhase4 runs through the Proxmox backend against the stand-in API
/// server, whose VM is a real QEMU guest here. The stand-in does what the cluster would: starts, stops, snapshots and
/// rolls back the guest, applies the cloud-init user's key at start, and its guest agent reports the guest's address.
/// </summary>
public sealed class ProxmoxBackendTests(GuestLab guest) : IDisposable
{
    private readonly string _lab = Directory.CreateTempSubdirectory("cilab-pve-lab-").FullName;

    public void Dispose() => Directory.Delete(_lab, recursive: true);

    [Fact]
    public async Task TestPhase4_runs_a_suite_as_root_in_a_proxmox_clone_and_VmDestroy_removes_the_clone()
    {
        var port = FreePort();
        var backing = guest.Machine("pve-backing", d => d with { SshPort = port });
        // The guest agent reports an address that is not loopback (CiLab ignores those), as on a cluster.
        using var relay = new TcpRelay(port);
        using var server = new FakeProxmoxServer { TaskPolls = 0, Backing = (vm, action) => Back(backing, vm, action), BackingAddress = relay.Address.ToString() };
        server.Vms[9000] = new FakeVm(9000, "debian-template", template: true);
        await File.WriteAllTextAsync(Path.Combine(_lab, "lab.yaml"), $"""
            proxmox:
              endpoint: {server.BaseUrl}
              node: {FakeProxmoxServer.Node}
              vmids: 9100-9109
              ssh-port: {relay.Port}
            images:
              - name: debian-pve
                proxmox-template: 9000
            vms:
              - name: phase4
                image: debian-pve
                backend: proxmox
                elevation: sudo
            suites:
              - name: phase4
                vm: phase4
                run: test "$(id -u)" = 0 && test -f lab.yaml && echo proxmox-ok
                elevation: sudo
                format: exit-code
                timeout: 2m
            """, TestContext.Current.CancellationToken);
        Environment.SetEnvironmentVariable("CILAB_PROXMOX_TOKEN", $"{FakeProxmoxServer.TokenId}={FakeProxmoxServer.Secret}");
        try
        {
            var run = new BuildRun("TestPhase4", "--lab-path", Path.Combine(_lab, "lab.yaml"));
            Assert.True(await run.ExitCodeAsync(TimeSpan.FromMinutes(10)) == 0, run.Output);
            Assert.Contains("cloned template 9000 to VMID 9100 on node pve1", run.Output, StringComparison.Ordinal);
            Assert.Contains("proxmox-ok", run.Output, StringComparison.Ordinal);
            // Only a mask request (inside GitHub Actions) may carry the secret.
            Assert.DoesNotContain(run.Output.Split('\n'), l => l.Contains(FakeProxmoxServer.Secret, StringComparison.Ordinal) && !l.StartsWith("::add-mask::", StringComparison.Ordinal));
            Assert.Equal(["clean"], server.Vms[9100].Snapshots);
            Assert.Empty(server.Violations);

            var destroy = new BuildRun("VmDestroy", "--lab-path", Path.Combine(_lab, "lab.yaml"), "--yes");
            Assert.True(await destroy.ExitCodeAsync(TimeSpan.FromMinutes(3)) == 0, destroy.Output);
            Assert.False(server.Vms.ContainsKey(9100));
            Assert.False(backing.IsRunning());
        }
        finally
        {
            Environment.SetEnvironmentVariable("CILAB_PROXMOX_TOKEN", null);
            await backing.StopAsync(TimeSpan.Zero, CancellationToken.None);
        }
    }

    // What the cluster does to the guest for each task.
    private static async Task Back(QemuMachine backing, FakeVm vm, string action)
    {
        var words = action.Split(' ');
        switch (words[0])
        {
            case "start":
                await backing.StartAsync(MachineStartOptions.Owned, CancellationToken.None);
                // cloud-init's part: the clone's user gets the keys given in its config.
                await backing.RootShell.RunAsync(new GuestCommand
                {
                    Script = "install -d -m 700 -o cilab -g cilab /home/cilab/.ssh && cat >> /home/cilab/.ssh/authorized_keys && chown cilab:cilab /home/cilab/.ssh/authorized_keys",
                    StandardInput = vm.SshKeys + "\n",
                }, CancellationToken.None);
                break;
            case "stop" or "destroy":
                await backing.StopAsync(TimeSpan.Zero, CancellationToken.None);
                break;
            case "snapshot":
                await backing.SnapshotAsync(words[1], CancellationToken.None);
                break;
            case "rollback":
                await backing.RestoreAsync(words[1], CancellationToken.None);
                break;
            default:
                throw new InvalidOperationException($"the stand-in has no backing for '{action}'");
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
