using System.CommandLine;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Suites;
using CiLab.Sync;

namespace CiLab.Cli;

/// <summary><c>cilab sync</c>: the project folder into a running VM, as the SyncCode target does (without the restore).</summary>
internal static class SyncCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var vm = new Argument<string?>("vm") { Description = "The VM (default: the lab's first)", Arity = ArgumentArity.ZeroOrOne };
        var lab = new Option<string>("--lab") { Description = "The lab file", DefaultValueFactory = _ => "lab.yaml" };
        var command = new Command("sync", CliApplication.Help("Sync the project (the lab file's folder) into a running VM, less VCS data, build output and .gitignore'd files.", "cilab sync", "cilab sync phase4 --lab lab.yaml")) { vm, lab };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var definition = LabFile.Load(parse.GetValue(lab)!);
                return await LiveStatus.RunAsync(output, "sync", async log =>
                {
                    // Syncing under another run's suite would change its tree mid-test: refuse at once rather than wait.
                    var opened = await Lab.OpenAsync(definition, new LabOptions { Log = log, WaitWhenBusy = false }, ct);
                    var machine = await opened.MachineAsync(parse.GetValue(vm) ?? definition.Vms[0].Name, ct);
                    await machine.AcquireAsync(ct);
                    if (!machine.IsRunning())
                    {
                        throw new VmException($"VM '{machine.Name}' is not running; start it first (cilab vm start {machine.Name}).");
                    }

                    await machine.Shell.SyncAsync(definition.Directory, SuiteRunner.GuestProjectDirectory(machine), new SyncOptions { Excludes = definition.SyncExcludes, StateDirectory = machine.StateDirectory }, ct);
                    return 0;
                });
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
