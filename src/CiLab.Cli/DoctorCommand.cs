using System.CommandLine;
using CiLab.Host;
using CiLab.Labs;

namespace CiLab.Cli;

/// <summary><c>cilab doctor</c>: what this host needs to run a lab, each missing piece with its exact fix.</summary>
internal static class DoctorCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var lab = new Option<string>("--lab") { Description = "The lab file whose VMs are checked too, when it exists", DefaultValueFactory = _ => "lab.yaml" };
        var command = new Command("doctor", CliApplication.Help(
            "Check that this host can run a lab: KVM for this user (or TCG, said plainly), the host programs, root for image builds, free disk, the image cache, and VMs cancelled jobs left. Reads only; exits 0 when the host is ready.",
            "cilab doctor",
            "cilab doctor --lab ci/lab.yaml")) { lab };
        command.SetAction(async (parse, _) =>
        {
            LabDefinition? definition = null;
            try
            {
                var path = parse.GetValue(lab)!;
                definition = File.Exists(path) ? LabFile.Load(path) : null;
            }
            catch (LabFileException e)
            {
                await error.WriteLineAsync($"error: {e.Message}");
                return CliApplication.BadInput;
            }

            var findings = HostDoctor.Examine(definition);
            foreach (var finding in findings)
            {
                await output.WriteLineAsync(finding.ToString());
            }

            var problems = findings.Count(f => f.Level == DoctorLevel.Problem);
            await output.WriteLineAsync(problems == 0 ? "This host is ready to run labs." : $"This host is not ready: {problems} problem(s) above.");
            return problems == 0 ? 0 : 1;
        });
        return command;
    }
}
