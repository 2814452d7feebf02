using CiLab.Images;
using CiLab.Labs;
using CiLab.Machines;

namespace CiLab.IntegrationTests;

public sealed class CloudInitTests(GuestLab lab)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_guest_with_no_key_baked_in_accepts_the_lab_key_from_the_generated_seed_iso()
    {
        // The firmware-bootable build (shared with FirmwareBootTests: one image build less per run), booted by SeaBIOS.
        var image = await new DebianImageBuilder(ImageCache.Default(), lab.Logger).GetAsync(GuestLab.FirmwareImage, "cilab", Ct);
        Assert.True(image.CloudInitSeed);
        var vm = lab.Machine("cloudy", d => d with { Image = "debian-cloud", BootTimeout = TimeSpan.FromMinutes(5) }, image);
        try
        {
            await vm.StartAsync(MachineStartOptions.Owned, Ct);
            var who = await vm.Ssh.RunAsync(new GuestCommand { Script = "id -un; sudo -n id -u; test -f /etc/cloud/cloud.cfg.d/90-cilab.cfg && cloud-init status --wait >/dev/null; cloud-init query ds 2>/dev/null | head -c 0; echo ok" }, Ct);
            Assert.Equal("cilab\n0\nok\n", who.StandardOutput);
            var seed = await vm.RootShell.RunAsync(new GuestCommand { Script = "blkid -o value -s LABEL /dev/vdb" }, Ct);
            Assert.Equal("cidata\n", seed.StandardOutput);
            // The seed's user has the Linux profile's shell, and its network config matched the card by CiLab's MAC.
            var rendered = await vm.RootShell.RunAsync(new GuestCommand { Script = "getent passwd cilab | cut -d: -f7; grep -rli 'MACAddress=52:54:00:c1:1a:b0' /etc/systemd/network | head -n 1" }, Ct);
            Assert.Matches("^/bin/bash\n/etc/systemd/network/[^\n]*cloud-init[^\n]*\n$", rendered.StandardOutput);
        }
        finally
        {
            await vm.DestroyAsync(CancellationToken.None);
        }
    }
}
