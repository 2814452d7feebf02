using CiLab.Images;
using CiLab.Testing;

namespace CiLab.IntegrationTests;

/// <summary>
/// A firmware-bootable disk the recipe builds here (partitions, GRUB, no loop devices), brought in as a user's own
/// <c>path:</c> image and booted by UEFI on virtio and by BIOS on sata with an e1000, both at once, through the main job.
/// </summary>
public sealed class FirmwareBootTests(GuestLab lab)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_path_image_boots_by_uefi_on_virtio_and_by_bios_on_sata_with_an_e1000_and_runs_a_suite_in_each()
    {
        var image = await new DebianImageBuilder(ImageCache.Default(), lab.Logger).GetAsync(GuestLab.FirmwareImage, "cilab", Ct);
        Assert.Null(image.KernelPath);
        var directory = Path.Combine(GuestLab.RepositoryRoot, "artifacts", "firmware-lab");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        File.Copy(Path.Combine(GuestLab.RepositoryRoot, "tests", "CiLab.IntegrationTests", "Firmware", "checks.sh"), Path.Combine(directory, "checks.sh"));
        var labFile = Path.Combine(directory, "lab.yaml");
        await File.WriteAllTextAsync(labFile, $"""
            images:
              - name: firmware
                path: {image.DiskPath}
                cloud-init: true
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

        var run = new BuildRun("TestPhase4", "--lab-path", labFile, "--suite", "all");
        try
        {
            Assert.True(await run.ExitCodeAsync(TimeSpan.FromMinutes(20)) == 0, run.Output);
            var results = Path.Combine(GuestLab.RepositoryRoot, "artifacts", "test-results");
            foreach (var suite in new[] { "firmware-uefi", "firmware-bios" })
            {
                var report = JUnitReader.ReadFile(Path.Combine(results, suite + ".xml"));
                Assert.True(report.IsSuccess && report.Passed == 3, $"{suite}: {report}\n{run.Output}");
            }
        }
        finally
        {
            await new BuildRun("VmDestroy", "--lab-path", labFile, "--yes").ExitCodeAsync(TimeSpan.FromMinutes(2));
        }
    }
}
