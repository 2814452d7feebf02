using CiLab.Build.Engine;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Processes;

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
                Console.WriteLine(await vm.SetupAsync(ct) ? $"VM '{vm.Name}': disk created over image {vm.ImageId}." : $"VM '{vm.Name}': up to date.");
            }
        });

    Target VmStart => _ => _
        .Description("Start the lab's VMs and wait until SSH answers (they keep running)")
        .DependsOn(VmSetup)
        .Executes(async ct =>
        {
            foreach (var vm in await MachinesAsync(ct))
            {
                await vm.StartAsync(MachineStartOptions.DetachedFromRun, ct);
            }
        });

    Target VmStatus => _ => _
        .Description("Show each VM's state, process, port, uptime and accelerator")
        .Executes(() =>
        {
            // Read only: a status never builds an image, boots a VM or writes state.
            Console.WriteLine(CiLab.Machines.VmStatus.Header);
            foreach (var status in Lab.ReadStatus(LabDefinition, SelectedVms()))
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
                    Console.WriteLine($"VM '{vm.Name}': snapshot '{Snapshot}' of image {vm.ImageId} exists; skipped.");
                    return;
                }

                // A VM booted here is owned by this run: later targets use it, and it goes when the run ends.
                await vm.StartAsync(new MachineStartOptions { Detached = KeepVm }, ct);
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

    Target Doctor => _ => _
        .Description("Check that this host can run the lab (KVM or TCG, host programs, root for image builds, disk, image cache, stale VMs), with the fix for each gap")
        .Executes(() =>
        {
            var findings = HostDoctor.Examine(LabDefinition);
            findings.ToList().ForEach(Console.WriteLine);
            var problems = findings.Count(f => f.Level == DoctorLevel.Problem);
            if (problems > 0)
            {
                throw new TargetFailedException($"This host is not ready: {problems} problem(s) above.");
            }

            Console.WriteLine("This host is ready to run labs.");
        });

    Target VmSsh => _ => _
        .Description("Open a shell in the first selected VM (in a terminal), or print the ssh command line")
        .Executes(async ct =>
        {
            var vm = (await MachinesAsync(ct))[0];
            var argv = vm.Shell.InteractiveCommand();
            if (argv.Count == 0)
            {
                throw new TargetFailedException($"VM '{vm.Name}' runs on backend '{vm.Definition.Backend}', which offers no interactive shell.");
            }

            if (Console.IsInputRedirected || Console.IsOutputRedirected)
            {
                Console.WriteLine(ShellQuoting.Join(argv));
                return;
            }

            using var shell = System.Diagnostics.Process.Start("ssh", argv.Skip(1))!;
            await shell.WaitForExitAsync(ct);
        });

    // One lab per build run: targets share the parsed file, the opened lab (its images resolved once) and its machines.
    LabDefinition? labDefinition;
    Lab? lab;
    readonly Dictionary<string, IMachine> machines = [];

    LabDefinition LabDefinition => labDefinition ??= LabFile.Load(Path.Combine(RootDirectory, LabPath));

    async Task<Lab> LabAsync(CancellationToken ct)
    {
        if (lab is null)
        {
            lab = await Lab.OpenAsync(LabDefinition, new LabOptions { Log = LineLogger.Console, WaitWhenBusy = WaitForVm }, ct);
        }

        return lab;
    }

    async Task<IMachine> MachineAsync(string name, CancellationToken ct)
    {
        if (!machines.TryGetValue(name, out var machine))
        {
            machines[name] = machine = await (await LabAsync(ct)).MachineAsync(name, ct);
        }

        return machine;
    }

    async Task<IReadOnlyList<IMachine>> MachinesAsync(CancellationToken ct)
    {
        var selected = new List<IMachine>();
        foreach (var name in SelectedVms())
        {
            selected.Add(await MachineAsync(name, ct));
        }

        return selected;
    }

    // --vm when given; otherwise the VMs of the jobs asked for (so TestPhase4 never boots the upgrade VMs); otherwise all.
    string[] SelectedVms()
    {
        var lab = LabDefinition;
        if (Vm.Length > 0)
        {
            return Vm;
        }

        var names = new List<string>();
        if (InvokedTargets.Any(t => t is nameof(TestPhase4) or nameof(SyncCode) or nameof(Bench)))
        {
            names.AddRange(SelectedSuites().Select(s => s.Vm));
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
