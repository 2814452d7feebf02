using System.CommandLine;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Machines;
using Microsoft.Extensions.Logging;

namespace CiLab.Cli;

/// <summary><c>cilab vm start|stop|status|snapshot|restore|destroy|ssh|console|install</c>: the lab's VMs, by the same library calls the build's targets make.</summary>
internal static class VmCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var vm = new Command("vm", CliApplication.Help("Start, stop, snapshot, restore, inspect and enter the lab's VMs.", "cilab vm start phase4", "cilab vm ssh phase4", "cilab vm status"));
        vm.Subcommands.Add(Verb("start", CliApplication.Help("Start VMs and wait until SSH answers; they keep running after this command", "cilab vm start", "cilab vm start phase4 --lab lab.yaml"), output, error, destructive: false,
            (machine, _, ct) => machine.StartAsync(MachineStartOptions.DetachedFromRun, ct)));
        vm.Subcommands.Add(Verb("stop", CliApplication.Help("Power VMs off (ACPI, then quit, then kill)", "cilab vm stop", "cilab vm stop sorrow torment"), output, error, destructive: false,
            (machine, _, ct) => machine.StopAsync(TimeSpan.FromSeconds(30), ct)));
        vm.Subcommands.Add(Verb("snapshot", CliApplication.Help("Save a live snapshot (default 'clean')", "cilab vm snapshot phase4", "cilab vm snapshot phase4 --name before-upgrade"), output, error, destructive: false,
            (machine, name, ct) => machine.SnapshotAsync(name, ct)));
        vm.Subcommands.Add(Verb("restore", CliApplication.Help("Restore a snapshot (default 'clean'), discarding the VM's current state", "cilab vm restore phase4", "cilab vm restore phase4 --name before-upgrade --yes"), output, error, destructive: true,
            (machine, name, ct) => machine.RestoreAsync(name, ct)));
        vm.Subcommands.Add(Verb("destroy", CliApplication.Help("Stop VMs and delete their disks and state", "cilab vm destroy phase4", "cilab vm destroy --yes"), output, error, destructive: true,
            (machine, _, ct) => machine.DestroyAsync(ct)));
        vm.Subcommands.Add(Status(output, error));
        vm.Subcommands.Add(Ssh(output, error));
        vm.Subcommands.Add(ConsoleCommand.Create(output, error));
        vm.Subcommands.Add(ConsoleCommand.CreateInstall(output, error));
        return vm;
    }

    // At a terminal, ssh takes this process's place and the terminal with it; otherwise the command line is printed.
    private static Command Ssh(TextWriter output, TextWriter error)
    {
        var name = new Argument<string?>("vm") { Description = "The VM (default: the lab's first)", Arity = ArgumentArity.ZeroOrOne };
        var lab = new Option<string>("--lab") { Description = "The lab file", DefaultValueFactory = _ => "lab.yaml" };
        var command = new Command("ssh", """
            Open a shell in a running VM as the lab's user (at a terminal), or print the ssh command line (otherwise).

            Examples:
              cilab vm ssh phase4
              $(cilab vm ssh phase4 < /dev/null) 'uname -a'
            """) { name, lab };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var definition = LabFile.Load(parse.GetValue(lab)!);
                // Quiet: nothing should come between the command and the shell.
                var opened = await Lab.OpenAsync(definition, new LabOptions { Log = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance }, ct);
                var machine = await opened.MachineAsync(parse.GetValue(name) ?? definition.Vms[0].Name, ct);
                if (!machine.IsRunning())
                {
                    throw new VmException($"VM '{machine.Name}' is not running; start it first (cilab vm start {machine.Name}).");
                }

                var argv = machine.Shell.InteractiveCommand();
                if (argv.Count == 0)
                {
                    throw new VmException($"VM '{machine.Name}' runs on backend '{machine.Definition.Backend}', which offers no interactive shell.");
                }

                if (Console.IsInputRedirected || Console.IsOutputRedirected || output != Console.Out)
                {
                    await output.WriteLineAsync(Processes.ShellQuoting.Join(argv));
                    return 0;
                }

                var errno = ProcessReplacement.Exec(argv);
                await error.WriteLineAsync($"error: could not run {argv[0]} (errno {errno}); is the OpenSSH client installed?");
                return 1;
            }
            catch (Exception e) when (e is CiLabException or FileNotFoundException or ArgumentException)
            {
                await error.WriteLineAsync($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    // Status reads state files only: opening the lab would create its key and build missing images.
    private static Command Status(TextWriter output, TextWriter error)
    {
        var names = new Argument<string[]>("vms") { Description = "VM names (default: every VM of the lab)", Arity = ArgumentArity.ZeroOrMore };
        var lab = new Option<string>("--lab") { Description = "The lab file", DefaultValueFactory = _ => "lab.yaml" };
        var command = new Command("status", CliApplication.Help("Show each VM's state, process, SSH address, uptime, accelerator, owner, image age and snapshots (reads only: never builds, boots or writes)", "cilab vm status", "cilab vm status phase4 --lab lab.yaml")) { names, lab };
        command.SetAction(async (parse, _) =>
        {
            try
            {
                var statuses = Lab.ReadStatus(LabFile.Load(parse.GetValue(lab)!), parse.GetValue(names) ?? []);
                await output.WriteLineAsync(VmStatus.Header);
                foreach (var status in statuses)
                {
                    await output.WriteLineAsync(status.ToString());
                }

                return 0;
            }
            catch (Exception e) when (e is CiLabException or FileNotFoundException or ArgumentException)
            {
                await error.WriteLineAsync($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command Verb(string name, string description, TextWriter output, TextWriter error, bool destructive, Func<IMachine, string, CancellationToken, Task> action)
    {
        var names = new Argument<string[]>("vms") { Description = "VM names (default: every VM of the lab)", Arity = ArgumentArity.ZeroOrMore };
        var lab = new Option<string>("--lab") { Description = "The lab file", DefaultValueFactory = _ => "lab.yaml" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation (required when not interactive)" };
        var snapshot = new Option<string>("--name") { Description = "The snapshot's name", DefaultValueFactory = _ => "clean" };
        var noWait = new Option<bool>("--no-wait") { Description = "Fail at once when another run holds a VM, instead of waiting for it" };
        var command = new Command(name, description) { names, lab, yes, noWait };
        if (name is "snapshot" or "restore")
        {
            command.Options.Add(snapshot);
        }

        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var definition = LabFile.Load(parse.GetValue(lab)!);
                var selected = parse.GetValue(names) is { Length: > 0 } chosen ? chosen : [.. definition.Vms.Select(v => v.Name)];
                var answer = destructive && !parse.GetValue(yes)
                    ? Host.Confirmation.Ask($"{name} {string.Join(", ", selected)}: this discards VM state. Continue?", output)
                    : Host.ConfirmationAnswer.Yes;
                if (answer != Host.ConfirmationAnswer.Yes)
                {
                    await error.WriteLineAsync(answer == Host.ConfirmationAnswer.NotInteractive
                        ? $"error: '{name}' needs confirmation; this run is not interactive (CI or no terminal), so pass --yes."
                        : $"error: '{name}' was not confirmed; nothing was changed.");
                    return CliApplication.BadInput;
                }

                async Task<int> RunAsync(ILogger log)
                {
                    var opened = await Lab.OpenAsync(definition, new LabOptions { Log = log, WaitWhenBusy = !parse.GetValue(noWait) }, ct);
                    foreach (var vmName in selected)
                    {
                        await action(await opened.MachineAsync(vmName, ct), parse.GetValue(snapshot)!, ct);
                    }

                    return 0;
                }

                return await LiveStatus.RunAsync(output, $"{name} {string.Join(", ", selected)}", RunAsync);
            }
            catch (Exception e) when (e is CiLabException or FileNotFoundException or ArgumentException)
            {
                await error.WriteLineAsync($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
