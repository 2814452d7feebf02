using CiLab.Labs;
using CiLab.Machines;

namespace CiLab.Qemu;

/// <summary>
/// The emulated hardware a VM's definition asks for, as QEMU options: machine type, firmware, disk bus, network card.
/// The defaults (q35, virtio) are the fastest; the rest are for guests whose installer or kernel lacks virtio drivers.
/// </summary>
internal static class QemuHardware
{
    /// <summary>OVMF's code, shared read-only by every UEFI VM (Debian's and Ubuntu's <c>ovmf</c> package).</summary>
    public const string UefiCode = "/usr/share/OVMF/OVMF_CODE_4M.fd";

    /// <summary>OVMF's empty variable store, copied once per VM.</summary>
    public const string UefiVarsTemplate = "/usr/share/OVMF/OVMF_VARS_4M.fd";

    /// <summary>
    /// The virtual CPU. With KVM the host's, minus its PMU (an exposed PMU crashes BSD guests early in boot). Under TCG
    /// QEMU's own AMD-flavoured qemu64 raised to x86-64-v2 with AES: "max" adds AVX2, XSAVE and 5-level paging, which TCG
    /// emulates slowly, and an AMD CPU keeps the guest kernel from isolating its page tables against Meltdown.
    /// </summary>
    public static string Cpu(string accelerator) =>
        accelerator == "kvm" ? "host,pmu=off" : "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+cx16,+aes,+pclmulqdq";

    // An IDE disk needs the PIIX controller of i440fx; q35 has AHCI (sata), which is the default machine.
    public static string MachineType(VmDefinition vm) => vm.DiskBus == "ide" ? "pc" : "q35";

    /// <summary>The pflash drives of a UEFI VM; its variable store is qcow2 so that live snapshots (savevm) can hold it.</summary>
    public static IEnumerable<string> Firmware(VmDefinition vm, string varsPath) => vm.Firmware != "uefi" ? [] :
    [
        "-drive", $"if=pflash,unit=0,format=raw,readonly=on,file={Option(UefiCode)}",
        "-drive", $"if=pflash,unit=1,format=qcow2,file={Option(varsPath)}",
    ];

    /// <summary>The system disk (the overlay) and, when given, the read-only cloud-init seed on the same kind of bus.</summary>
    public static IEnumerable<string> Disks(VmDefinition vm, string overlayPath, string? seedPath)
    {
        var arguments = new List<string>();
        switch (vm.DiskBus)
        {
            case "virtio":
                arguments.AddRange(["-drive", $"file={Option(overlayPath)},if=virtio,format=qcow2,discard=unmap"]);
                if (seedPath is not null)
                {
                    arguments.AddRange(["-drive", $"file={Option(seedPath)},format=raw,if=virtio,readonly=on"]);
                }

                break;
            case "scsi":
                arguments.AddRange(["-device", "virtio-scsi-pci,id=scsi0"]);
                arguments.AddRange(Attach(overlayPath, "disk0", "scsi-hd", "scsi0.0", seed: false));
                if (seedPath is not null)
                {
                    arguments.AddRange(Attach(seedPath, "seed0", "scsi-cd", "scsi0.0", seed: true));
                }

                break;
            default:
                // sata (q35's AHCI ports ide.0 to ide.5) and ide (i440fx's two PIIX channels) take a device per bus.
                // IDE and AHCI disks cannot be read-only: the seed is a CD, as cloud-init's NoCloud expects anyway.
                arguments.AddRange(Attach(overlayPath, "disk0", "ide-hd", "ide.0", seed: false));
                if (seedPath is not null)
                {
                    arguments.AddRange(Attach(seedPath, "seed0", "ide-cd", "ide.1", seed: true));
                }

                break;
        }

        return arguments;
    }

    /// <summary>
    /// The install ISO as a CD on a free port of the machine's IDE/AHCI controller, booted once (<c>-boot once=d</c>):
    /// the installer sees the VM's disk on its own bus, and the reboot after the install boots that disk.
    /// </summary>
    /// <exception cref="VmException">The VM has no install ISO.</exception>
    public static IEnumerable<string> InstallMedia(VmDefinition vm) => vm.InstallIso is not { } iso
        ? throw new VmException($"VM '{vm.Name}' has no install-iso in the lab file to install from.") :
    [
        "-drive", $"file={Option(iso)},if=none,id=install0,media=cdrom,readonly=on",
        "-device", $"ide-cd,drive=install0,{(MachineType(vm) == "pc" ? "bus=ide.1,unit=1" : "bus=ide.2")}",
        "-boot", "once=d",
    ];

    /// <summary>
    /// Every VM's card has this address (each VM has a user-mode network of its own), so the cloud-init seed can match
    /// the card by it whatever the OS names it: eth0, ens3, vtnet0, em0.
    /// </summary>
    public const string MacAddress = "52:54:00:c1:1a:b0";

    /// <summary>The network card on the user-mode network <paramref name="netdevId"/>.</summary>
    public static IEnumerable<string> Nic(VmDefinition vm, string netdevId) =>
        ["-device", $"{(vm.Nic == "e1000" ? "e1000" : "virtio-net-pci")},netdev={netdevId},mac={MacAddress}"];

    private static string[] Attach(string path, string id, string device, string bus, bool seed) =>
    [
        "-drive", seed ? $"file={Option(path)},if=none,id={id},format=raw,readonly=on" : $"file={Option(path)},if=none,id={id},format=qcow2,discard=unmap",
        "-device", $"{device},drive={id},bus={bus}",
    ];

    // In QEMU's option syntax a comma ends the value; a doubled one is a literal comma (a lab folder may have one).
    public static string Option(string value) => value.Replace(",", ",,", StringComparison.Ordinal);
}
