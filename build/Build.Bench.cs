using CiLab.Build.Bench;
using CiLab.Build.Engine;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Qemu;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.Build;

internal sealed partial class Build : NukeBuild
{
    Target Bench => _ => _
        .Description("Measure CiLab against the plain shell way on the default lab; writes artifacts/bench/results.md and .json")
        .DependsOn(Compile, VmSnapshot)
        .Executes(async ct =>
        {
            string[] sections = ["convert", "vm", "upgrade"];
            if (BenchOnly.FirstOrDefault(b => !sections.Contains(b, StringComparer.OrdinalIgnoreCase)) is { } unknown)
            {
                throw new TargetFailedException($"--bench-only: there is no section '{unknown}'; the sections are {string.Join(", ", sections)}.");
            }

            await HostPrerequisites.EnsureAsync([new HostTool("gotestsum", "gotestsum"), new HostTool("time", "time"), new HostTool("python3", "python3-minimal"), .. FloorBench.HostTools], LineLogger.Console, ct);
            var table = new BenchTable();
            var work = Path.Combine(ArtifactsDirectory, "bench", "work");
            var cilab = Path.Combine(RootDirectory, "src", "CiLab.Cli", "bin", Configuration.ToString(), "net10.0", "CiLab.Cli.dll");
            try
            {
                if (Measures("convert"))
                {
                    await ConvertBench.RunAsync(table, cilab, work, ct);
                }

                var lab = await LabAsync(ct);
                var suiteDefinition = LabDefinition.Suite("phase4");
                // The bench sets CiLab beside plain qemu + ssh + rsync: it measures the QEMU backend.
                var vm = await MachineAsync(suiteDefinition.Vm, ct) as QemuMachine
                    ?? throw new TargetFailedException($"Bench compares CiLab with plain QEMU; VM '{suiteDefinition.Vm}' does not run on the qemu backend.");
                var upgradeVms = new List<IMachine>();
                foreach (var name in UpgradeVms)
                {
                    upgradeVms.Add(await MachineAsync(name, ct));
                }

                // VmSnapshot may have left them running: idle guests still cost CPU under TCG, and would skew the figures.
                await Task.WhenAll(upgradeVms.Select(u => u.StopAsync(TimeSpan.Zero, ct)));
                if (Measures("vm"))
                {
                    await ImageFigures(table, lab, vm, ct);
                    await VmBench.RunAsync(table, lab, vm, work, ct);
                    await VmBench.QuickCycleAsync(table, lab, vm, suiteDefinition, cilab, work, ct);
                    await vm.StopAsync(TimeSpan.Zero, ct);
                }

                if (Measures("upgrade"))
                {
                    await UpgradeBench.RunAsync(table, upgradeVms, RootDirectory, Snapshot, ct);
                }
            }
            finally
            {
                table.Write(Path.Combine(ArtifactsDirectory, "bench"));
                Console.WriteLine($"Wrote {Path.Combine("artifacts", "bench", "results.md")}");
            }
        });

    bool Measures(string section) => BenchOnly.Length == 0 || BenchOnly.Contains(section, StringComparer.OrdinalIgnoreCase);

    static async Task ImageFigures(BenchTable table, Lab lab, QemuMachine vm, CancellationToken ct)
    {
        var directory = Path.GetDirectoryName(vm.Image.DiskPath)!;
        if (File.Exists(Path.Combine(directory, "build-seconds")))
        {
            table.Add(new BenchRow("image build (debian recipe, from an empty cache)", double.Parse(File.ReadAllText(Path.Combine(directory, "build-seconds")), System.Globalization.CultureInfo.InvariantCulture), "s"));
        }

        table.Add(new BenchRow("image size (qcow2 + kernel + initrd)", Directory.GetFiles(directory).Sum(f => new FileInfo(f).Length) / 1e6, "MB"));
        // A fresh builder: the lab itself remembers images it resolved, which would time nothing.
        var hit = await Shell.TimeAsync(() => new Images.DebianImageBuilder(Images.ImageCache.Default(), NullLogger.Instance).GetAsync(lab.Definition.Image(vm.Definition.Image), vm.Definition.User, ct));
        table.Add(new BenchRow("image cache hit", hit, "s", MaxRatio: null));
    }
}
