using CiLab.Build.Engine;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Processes;
using CiLab.Qemu;

namespace CiLab.Build;

internal sealed partial class Build : NukeBuild
{
    Target VmSetup => _ => _
        .Description("Create each lab VM's disk over its base image, building the image when needed")
        .Executes(async ct =>
        {
            await EnsureHostAsync(ct);
            foreach (var vm in await MachinesAsync(ct))
            {
                Console.WriteLine(await vm.SetupAsync(ct) ? $"VM '{vm.Name}': disk created over image {vm.Image.Id}." : $"VM '{vm.Name}': up to date.");
            }
        });

    Target VmStart => _ => _
        .Description("Start the lab's VMs and wait until SSH answers (they keep running)")
        .DependsOn(VmSetup)
        .Executes(async ct =>
        {
            foreach (var vm in await MachinesAsync(ct))
            {
                await vm.StartAsync(detached: true, fromSnapshot: null, ct);
            }
        });

    Target VmStatus => _ => _
        .Description("Show each VM's state, process, port, uptime and accelerator")
        .Executes(() =>
        {
            // Read only: a status never builds an image, boots a VM or writes state.
            var lab = LabFile.Load(Path.Combine(RootDirectory, LabPath));
            Console.WriteLine(CiLab.Qemu.VmStatus.Header);
            foreach (var status in Lab.ReadStatus(lab, SelectedVms(lab)))
            {
                Console.WriteLine(status);
            }
        });

    Target VmSnapshot => _ => _
        .Description("Boot each lab VM to ready and save its snapshot (skipped when one of the same base exists)")
        .DependsOn(VmSetup)
        .Executes(async ct =>
        {
            // Several VMs boot at once rather than one after another.
            await Task.WhenAll((await MachinesAsync(ct)).Select(async vm =>
            {
                if (await vm.HasSnapshotAsync(Snapshot, ct))
                {
                    Console.WriteLine($"VM '{vm.Name}': snapshot '{Snapshot}' of image {vm.Image.Id} exists; skipped.");
                    return;
                }

                // A VM booted here is owned by this run: later targets use it, and it goes when the run ends.
                await vm.StartAsync(detached: KeepVm, fromSnapshot: null, ct);
                await vm.SnapshotAsync(Snapshot, ct);
                Console.WriteLine($"VM '{vm.Name}': snapshot '{Snapshot}' saved.");
            }));
        });

    Target VmRestore => _ => _
        .Description("Restore each VM to its snapshot (discards the VM's current state: needs --yes when not interactive)")
        .Executes(async ct =>
        {
            Confirm("restore");
            foreach (var vm in await MachinesAsync(ct))
            {
                await vm.RestoreAsync(Snapshot, ct);
            }
        });

    Target VmStop => _ => _
        .Description("Power the lab's VMs off")
        .Executes(async ct =>
        {
            foreach (var vm in await MachinesAsync(ct))
            {
                await vm.StopAsync(TimeSpan.FromSeconds(30), ct);
            }
        });

    Target VmDestroy => _ => _
        .Description("Stop the lab's VMs and delete their disks and state (needs --yes when not interactive)")
        .Executes(async ct =>
        {
            Confirm("destroy");
            foreach (var vm in await MachinesAsync(ct))
            {
                await vm.DestroyAsync(ct);
            }
        });

    Target VmSsh => _ => _
        .Description("Open a shell in the first selected VM (in a terminal), or print the ssh command line")
        .Executes(async ct =>
        {
            var vm = (await MachinesAsync(ct))[0];
            var argv = vm.Ssh.InteractiveArguments();
            if (Console.IsInputRedirected || Console.IsOutputRedirected)
            {
                Console.WriteLine(ShellQuoting.Join(argv));
                return;
            }

            using var shell = System.Diagnostics.Process.Start("ssh", argv.Skip(1))!;
            await shell.WaitForExitAsync(ct);
        });

    async Task<Lab> OpenLabAsync(CancellationToken ct)
    {
        var lab = await Lab.OpenAsync(LabFile.Load(Path.Combine(RootDirectory, LabPath)), Console.Out, cache: null, ct);
        lab.WaitWhenBusy = WaitForVm;
        return lab;
    }

    async Task<IReadOnlyList<VirtualMachine>> MachinesAsync(CancellationToken ct)
    {
        var lab = await OpenLabAsync(ct);
        var machines = new List<VirtualMachine>();
        foreach (var name in SelectedVms(lab.Definition))
        {
            machines.Add(await lab.MachineAsync(name, ct));
        }

        return machines;
    }

    // --vm when given; otherwise the VMs of the jobs asked for (so TestPhase4 never boots the upgrade VMs); otherwise all.
    string[] SelectedVms(LabDefinition lab)
    {
        if (Vm.Length > 0)
        {
            return Vm;
        }

        var names = new List<string>();
        if (InvokedTargets.Any(t => t is nameof(TestPhase4) or nameof(SyncCode) or nameof(Bench)))
        {
            names.Add(lab.Suite(Suite).Vm);
        }

        if (InvokedTargets.Any(t => t is nameof(TestUpgrade) or nameof(Bench)))
        {
            names.AddRange(UpgradeVms);
        }

        return names.Count > 0 ? [.. names.Distinct()] : [.. lab.Vms.Select(v => v.Name)];
    }

    // Destructive targets ask on a terminal; in CI or without one they need --yes.
    void Confirm(string what)
    {
        var answer = Yes ? ConfirmationAnswer.Yes : Confirmation.Ask($"{what} the lab's VMs, discarding their state?", Console.Out);
        if (answer != ConfirmationAnswer.Yes)
        {
            throw new TargetFailedException(answer == ConfirmationAnswer.NotInteractive
                ? $"'{what}' discards VM state and needs confirmation; this run is not interactive, so pass --yes."
                : $"'{what}' was not confirmed.");
        }
    }
}
