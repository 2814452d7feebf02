using CiLab.Images;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Testing;

namespace CiLab.IntegrationTests;

/// <summary>
/// A firmware-bootable disk the recipe builds here (partitions, GRUB, no loop devices), brought in as a user's own
/// <c>path:</c> image, provisioned once per VM disk (the lab user's login shell becomes tcsh), and booted by UEFI on
/// virtio and by BIOS on sata with an e1000, both at once, through the main job.
/// </summary>
public sealed class FirmwareBootTests(GuestLab lab)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_path_image_boots_by_uefi_on_virtio_and_by_bios_on_sata_with_an_e1000_is_provisioned_once_and_runs_a_suite_for_a_tcsh_user()
    {
        var image = await new DebianImageBuilder(ImageCache.Default(), lab.Logger).GetAsync(GuestLab.FirmwareImage, "cilab", Ct);
        Assert.Null(image.KernelPath);
        var directory = Path.Combine(GuestLab.RepositoryRoot, "artifacts", "firmware-lab");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        foreach (var file in new[] { "checks.sh", "provision.sh" })
        {
            File.Copy(Path.Combine(GuestLab.RepositoryRoot, "tests", "CiLab.IntegrationTests", "Firmware", file), Path.Combine(directory, file));
        }

        var labFile = Path.Combine(directory, "lab.yaml");
        await File.WriteAllTextAsync(labFile, $"""
            images:
              - name: firmware
                path: {image.DiskPath}
                cloud-init: true
                provision: provision.sh
            vms:
              - name: uefi
                image: firmware
                firmware: uefi
                cpus: 1
                memory: 768M
                boot-timeout: 10m
              - name: bios
                image: firmware
                firmware: bios
                disk-bus: sata
                nic: e1000
                cpus: 1
                memory: 768M
                boot-timeout: 10m
            suites:
              - name: firmware-uefi
                vm: uefi
                run: sh checks.sh uefi /dev/vda2 virtio_net
                format: tap
              - name: firmware-bios
                vm: bios
                run: sh checks.sh bios /dev/sda2 e1000
                format: tap
            """, Ct);

        var logStart = lab.Log.ToString().Length;
        var run = new BuildRun("TestPhase4", "--lab-path", labFile, "--suite", "all");
        Lab? again = null;
        IMachine? bios = null;
        try
        {
            Assert.True(await run.ExitCodeAsync(TimeSpan.FromMinutes(20)) == 0, run.Output);
            var results = Path.Combine(GuestLab.RepositoryRoot, "artifacts", "test-results");
            foreach (var suite in new[] { "firmware-uefi", "firmware-bios" })
            {
                var report = JUnitReader.ReadFile(Path.Combine(results, suite + ".xml"));
                Assert.True(report.IsSuccess && report.Passed == 5, $"{suite}: {report}\n{run.Output}");
            }

            Assert.Equal(2, Occurrences(run.Output, "running the provisioning script"));

            // A cold boot of the same disk does not provision again; a user in tcsh runs commands, with input and without.
            again = await Lab.OpenAsync(LabFile.Load(labFile), new LabOptions { Log = lab.Logger }, Ct);
            bios = await again.MachineAsync("bios", Ct);
            Assert.False(Assert.IsType<CiLab.Qemu.QemuMachine>(bios).IsRunning(), "TestPhase4 left the VM running: the start below would not boot");
            await bios.StartAsync(MachineStartOptions.Owned, Ct);
            var runs = await bios.Shell.RunAsync(new GuestCommand { Script = "wc -l < /var/lib/cilab-test/runs" }, Ct);
            var input = await bios.Shell.RunAsync(new GuestCommand { Script = "wc -l", StandardInput = "one\ntwo!\n", Environment = new Dictionary<string, string> { ["X"] = "a 'b'\nc" } }, Ct);
            Assert.Equal("2", input.StandardOutput.Trim());
            Assert.Equal("1", runs.StandardOutput.Trim());
            Assert.DoesNotContain("provisioning script", lab.Log.ToString()[logStart..], StringComparison.Ordinal);
            await bios.StopAsync(TimeSpan.FromSeconds(60), Ct);
        }
        finally
        {
            // In this process: the VM it started holds its lock, which a VmDestroy run would wait for.
            again ??= await Lab.OpenAsync(LabFile.Load(labFile), new LabOptions { Log = lab.Logger }, CancellationToken.None);
            await (bios ?? await again.MachineAsync("bios", CancellationToken.None)).DestroyAsync(CancellationToken.None);
            await (await again.MachineAsync("uefi", CancellationToken.None)).DestroyAsync(CancellationToken.None);
        }
    }

    private static int Occurrences(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
}
