using CiLab.Labs;
using CiLab.Qemu;

namespace CiLab.Tests.Qemu;

public sealed class QemuHardwareTests
{
    private static readonly VmDefinition Vm = new() { Name = "a", Image = "x" };

    [Fact]
    public void The_default_is_a_q35_with_virtio_disks_and_nic_and_no_uefi_flash()
    {
        Assert.Equal("q35", QemuHardware.MachineType(Vm));
        Assert.Empty(QemuHardware.Firmware(Vm, "/s/efivars.qcow2"));
        Assert.Equal(["-drive", "file=/s/disk.qcow2,if=virtio,format=qcow2,discard=unmap", "-drive", "file=/s/seed.iso,format=raw,if=virtio,readonly=on"],
            QemuHardware.Disks(Vm, "/s/disk.qcow2", "/s/seed.iso"));
        Assert.Equal(["-device", "virtio-net-pci,netdev=net0,mac=52:54:00:c1:1a:b0"], QemuHardware.Nic(Vm, "net0"));
    }

    [Fact]
    public void Uefi_shares_ovmf_code_read_only_and_gives_each_vm_its_own_qcow2_variable_store()
    {
        var arguments = QemuHardware.Firmware(Vm with { Firmware = "uefi" }, "/lab,1/efivars.qcow2").ToList();

        Assert.Equal(["-drive", $"if=pflash,unit=0,format=raw,readonly=on,file={QemuHardware.UefiCode}", "-drive", "if=pflash,unit=1,format=qcow2,file=/lab,,1/efivars.qcow2"], arguments);
    }

    [Fact]
    public void Sata_puts_the_disk_on_an_ahci_port_and_the_seed_on_a_cd_beside_it()
    {
        var sata = Vm with { DiskBus = "sata" };

        Assert.Equal("q35", QemuHardware.MachineType(sata));
        Assert.Equal(
            ["-drive", "file=/s/disk.qcow2,if=none,id=disk0,format=qcow2,discard=unmap", "-device", "ide-hd,drive=disk0,bus=ide.0",
             "-drive", "file=/s/seed.iso,if=none,id=seed0,format=raw,readonly=on", "-device", "ide-cd,drive=seed0,bus=ide.1"],
            QemuHardware.Disks(sata, "/s/disk.qcow2", "/s/seed.iso"));
    }

    [Fact]
    public void Ide_needs_the_i440fx_machine_and_scsi_a_virtio_scsi_controller()
    {
        Assert.Equal("pc", QemuHardware.MachineType(Vm with { DiskBus = "ide" }));
        var scsi = QemuHardware.Disks(Vm with { DiskBus = "scsi" }, "/s/disk.qcow2", null).ToList();
        Assert.Equal(["-device", "virtio-scsi-pci,id=scsi0", "-drive", "file=/s/disk.qcow2,if=none,id=disk0,format=qcow2,discard=unmap", "-device", "scsi-hd,drive=disk0,bus=scsi0.0"], scsi);
    }

    [Fact]
    public void The_install_iso_is_a_cd_on_a_free_ide_port_booted_once_and_a_vm_without_one_cannot_install()
    {
        var iso = Vm with { InstallIso = "/isos/dfly,1.iso" };

        Assert.Equal(["-drive", "file=/isos/dfly,,1.iso,if=none,id=install0,media=cdrom,readonly=on", "-device", "ide-cd,drive=install0,bus=ide.2", "-boot", "once=d"], QemuHardware.InstallMedia(iso));
        Assert.Contains("ide-cd,drive=install0,bus=ide.1,unit=1", QemuHardware.InstallMedia(iso with { DiskBus = "ide" }));
        var e = Assert.Throws<CiLab.Machines.VmException>(() => QemuHardware.InstallMedia(Vm).ToList());
        Assert.Contains("has no install-iso", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_e1000_is_the_nic_for_guests_without_virtio_drivers()
    {
        Assert.Equal(["-device", "e1000,netdev=net0,mac=52:54:00:c1:1a:b0"], QemuHardware.Nic(Vm with { Nic = "e1000" }, "net0"));
    }
}
