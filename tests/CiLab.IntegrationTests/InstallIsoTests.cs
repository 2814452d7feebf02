using System.Diagnostics;
using System.Text;

namespace CiLab.IntegrationTests;

/// <summary>
/// <c>cilab vm install</c>: a blank disk and a bootable installer ISO made here (grub-mkrescue; GRUB's shell on the
/// serial port stands in for an installer like DragonFly's), booted from the CD and driven through the serial console.
/// </summary>
public sealed class InstallIsoTests(GuestLab lab)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Vm_install_boots_a_blank_disk_from_its_iso_and_the_installer_is_driven_through_the_console()
    {
        var missing = new[] { "grub-mkrescue", "xorriso" }.Where(tool => Host.HostPrerequisites.FindOnPath(tool) is null).ToList();
        Assert.True(missing.Count == 0 && File.Exists("/usr/lib/grub/i386-pc/cdboot.img"),
            $"The installer ISO is made with grub-mkrescue, which needs grub-common, grub-pc-bin and xorriso (missing: {string.Join(", ", missing)}); ./nuke.sh Test installs them.");
        var directory = Path.Combine(lab.Directory, "install-iso");
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "tree", "boot", "grub"));
        File.WriteAllText(Path.Combine(directory, "tree", "boot", "grub", "grub.cfg"),
            "serial --unit=0 --speed=115200\nterminal_input serial\nterminal_output serial\necho \"test installer on the serial console\"\n");
        var iso = Path.Combine(directory, "installer.iso");
        using (var mkrescue = Process.Start(new ProcessStartInfo("grub-mkrescue", ["-o", iso, Path.Combine(directory, "tree")]) { RedirectStandardError = true })!)
        {
            var stderr = await mkrescue.StandardError.ReadToEndAsync(Ct);
            await mkrescue.WaitForExitAsync(Ct);
            Assert.True(mkrescue.ExitCode == 0, stderr);
        }

        var labFile = Path.Combine(directory, "lab.yaml");
        File.WriteAllText(labFile, """
            images:
              - name: empty
                blank: true
                disk: 1G
            vms:
              - name: installer
                image: empty
                cpus: 1
                memory: 256M
                install-iso: installer.iso
            """);
        Process? install = null;
        try
        {
            install = CilabCli.Start("vm", "install", "installer", "--lab", labFile);
            var screen = new StringBuilder();
            await CilabCli.ReadUntilAsync(install, screen, "grub> ", TimeSpan.FromSeconds(90));
            Assert.Contains("test installer on the serial console", screen.ToString(), StringComparison.Ordinal);

            // What is typed reaches the installer; the word is put together by GRUB, so only its output can show it whole.
            await install.StandardInput.WriteAsync("set word=installer; echo booted-$word\n");
            await install.StandardInput.FlushAsync(Ct);
            await CilabCli.ReadUntilAsync(install, screen, "booted-installer", TimeSpan.FromSeconds(30));

            Assert.Equal(0, CilabCli.Signal(install.Id, 2));
            await install.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(130, install.ExitCode);
            Assert.Equal(1, GuestLab.QemuProcessesFor("installer"));
        }
        finally
        {
            await CilabCli.DestroyAsync("installer", labFile, install);
            install?.Dispose();
        }

        Assert.Equal(0, GuestLab.QemuProcessesFor("installer"));
    }
}
