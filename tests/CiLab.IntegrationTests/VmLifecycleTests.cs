using CiLab.Machines;
using CiLab.Qemu;

namespace CiLab.IntegrationTests;

public sealed class VmLifecycleTests(GuestLab lab)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task I_can_restore_a_vm_to_its_clean_snapshot_and_stop_it_without_leaving_a_process()
    {
        var vm = lab.Machine("cycle");
        try
        {
            await vm.StartAsync(MachineStartOptions.Owned, Ct);
            Assert.Equal(VmRunState.Running, vm.GetStatus().State);
            Assert.Equal(AcceleratorProbe.Choose("auto"), vm.GetStatus().Accelerator);

            await vm.RootShell.RunAsync(new GuestCommand { Script = "echo before > /root/marker && sync" }, Ct);
            await vm.SnapshotAsync("clean", Ct);
            Assert.True(await vm.HasSnapshotAsync("clean", Ct));
            await vm.RootShell.RunAsync(new GuestCommand { Script = "echo after > /root/marker && touch /root/new-file" }, Ct);

            await vm.RestoreAsync("clean", Ct);
            var marker = await vm.RootShell.RunAsync(new GuestCommand { Script = "cat /root/marker; ls /root/new-file 2>/dev/null | wc -l" }, Ct);
            Assert.Equal("before\n0\n", marker.StandardOutput);

            await vm.StopAsync(TimeSpan.FromSeconds(60), Ct);
            Assert.Equal(VmRunState.Stopped, vm.GetStatus().State);
            Assert.Equal(0, GuestLab.QemuProcessesFor("cycle"));

            // Restoring a stopped VM resumes the snapshot.
            await vm.RestoreAsync("clean", Ct);
            Assert.Equal("before\n", (await vm.RootShell.RunAsync(new GuestCommand { Script = "cat /root/marker" }, Ct)).StandardOutput);
        }
        finally
        {
            await vm.DestroyAsync(CancellationToken.None);
        }

        Assert.Equal(0, GuestLab.QemuProcessesFor("cycle"));
    }

    [Fact]
    public async Task The_default_guest_takes_the_lab_key_as_root_and_as_the_user_and_doas_gives_root()
    {
        var vm = lab.Machine("access");
        try
        {
            await vm.StartAsync(MachineStartOptions.Owned, Ct);
            Assert.Equal("0\n", (await vm.RootShell.RunAsync(new GuestCommand { Script = "id -u" }, Ct)).StandardOutput);
            Assert.Equal("cilab\n", (await vm.Ssh.RunAsync(new GuestCommand { Script = "id -un" }, Ct)).StandardOutput);
            Assert.Equal("0\n", (await vm.Ssh.RunAsync(new GuestCommand { Script = "doas id -u" }, Ct)).StandardOutput);
            Assert.Equal("0\n", (await vm.Ssh.RunAsync(new GuestCommand { Script = "id -u", Elevation = Labs.Elevation.Sudo }, Ct)).StandardOutput);
        }
        finally
        {
            await vm.DestroyAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Two_vms_start_concurrently_on_distinct_ports_and_a_taken_fixed_port_is_named()
    {
        var left = lab.Machine("left");
        var right = lab.Machine("right");
        try
        {
            await Task.WhenAll(left.StartAsync(MachineStartOptions.Owned, Ct), right.StartAsync(MachineStartOptions.Owned, Ct));
            var ports = new[] { left.GetStatus().Address, right.GetStatus().Address }.Select(a => int.Parse(a!.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.NotEqual(ports[0], ports[1]);
            Assert.Equal("left-ok\n", (await left.Ssh.RunAsync(new GuestCommand { Script = "echo left-ok" }, Ct)).StandardOutput);
            Assert.Equal("right-ok\n", (await right.Ssh.RunAsync(new GuestCommand { Script = "echo right-ok" }, Ct)).StandardOutput);

            var third = lab.Machine("third", d => d with { SshPort = ports[0] });
            var e = await Assert.ThrowsAsync<VmException>(() => third.StartAsync(MachineStartOptions.Owned, Ct));
            Assert.Contains($"port {ports[0]}", e.Message, StringComparison.Ordinal);
            Assert.Equal(0, GuestLab.QemuProcessesFor("third"));
        }
        finally
        {
            await Task.WhenAll(left.DestroyAsync(CancellationToken.None), right.DestroyAsync(CancellationToken.None));
        }
    }

    [Fact]
    public async Task A_guest_whose_kernel_panics_fails_start_with_the_console_tail_and_leaves_no_process()
    {
        // Without its initrd the kernel cannot load virtio_blk, cannot mount root, and panics.
        var broken = lab.Image with { InitrdPath = null, KernelAppend = "root=/dev/vda console=ttyS0 panic=0" };
        var vm = lab.Machine("panics", d => d with { BootTimeout = TimeSpan.FromMinutes(2) }, broken);
        var e = await Assert.ThrowsAsync<VmException>(() => vm.StartAsync(MachineStartOptions.Owned, Ct));
        Assert.Contains("panicked", e.Message, StringComparison.Ordinal);
        Assert.Contains("Kernel panic", e.Message, StringComparison.Ordinal);
        Assert.Contains("serial console", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, GuestLab.QemuProcessesFor("panics"));
    }

    [Fact]
    public async Task A_vm_killed_from_outside_shows_as_crashed_and_starts_again()
    {
        var vm = lab.Machine("crashy");
        try
        {
            await vm.StartAsync(MachineStartOptions.Owned, Ct);
            using (var qemu = System.Diagnostics.Process.GetProcessById(vm.GetStatus().Pid!.Value))
            {
                qemu.Kill();
                await qemu.WaitForExitAsync(Ct);
            }

            Assert.Equal(VmRunState.Crashed, vm.GetStatus().State);
            await vm.StartAsync(MachineStartOptions.Owned, Ct);
            Assert.Equal(VmRunState.Running, vm.GetStatus().State);
        }
        finally
        {
            await vm.DestroyAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_read_only_vm_refuses_destroy_stop_snapshot_and_restore()
    {
        var vm = lab.Machine("precious", d => d with { ReadOnly = true });
        await Assert.ThrowsAsync<VmReadOnlyException>(() => vm.DestroyAsync(Ct));
        await Assert.ThrowsAsync<VmReadOnlyException>(() => vm.StopAsync(TimeSpan.FromSeconds(1), Ct));
        await Assert.ThrowsAsync<VmReadOnlyException>(() => vm.SnapshotAsync("clean", Ct));
        var e = await Assert.ThrowsAsync<VmReadOnlyException>(() => vm.RestoreAsync("clean", Ct));
        Assert.Contains("read-only", e.Message, StringComparison.Ordinal);
    }
}
