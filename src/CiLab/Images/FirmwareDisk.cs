using CiLab.Processes;
using CliWrap;

namespace CiLab.Images;

/// <summary>
/// A firmware-bootable disk assembled from a built root filesystem without loop devices or mounts: an MBR-partitioned
/// raw file (sfdisk) with a FAT EFI system partition (mkfs.fat, filled by mtools' mcopy) holding GRUB for UEFI, its
/// configuration, kernel and initrd, then the ext4 root; GRUB's boot.img in the MBR and core.img right after it for
/// BIOS. One disk boots under SeaBIOS and OVMF alike.
/// </summary>
internal static class FirmwareDisk
{
    /// <summary>The ESP's size: a kernel, an initrd and GRUB, with room for a second generation.</summary>
    public const int EspMebibytes = 128;

    private const string Script = """
        set -eu
        out="$1"; esp_mib="$2"; mkfs_fat="$3"; sfdisk="$4"; fw="$out/firmware"
        cp "$out/vmlinuz" "$out/initrd.img" "$fw/esp/"
        "$mkfs_fat" -C -n CILAB-ESP "$out/esp.fat" $((esp_mib * 1024)) >/dev/null
        mcopy -s -i "$out/esp.fat" "$fw/esp/"* ::/
        root_mib=$(( $(stat -c %s "$out/root.ext4") / 1048576 ))
        # 1 MiB before the ESP: the MBR, then core.img.
        truncate -s $(( (1 + esp_mib + root_mib) * 1048576 )) "$out/disk.raw"
        printf 'label: dos\nstart=1MiB, size=%sMiB, type=ef, bootable\nstart=%sMiB, size=%sMiB, type=83\n' \
          "$esp_mib" $((1 + esp_mib)) "$root_mib" | "$sfdisk" -q "$out/disk.raw"
        dd if="$out/esp.fat" of="$out/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
        dd if="$out/root.ext4" of="$out/disk.raw" bs=1M seek=$((1 + esp_mib)) conv=notrunc,sparse status=none
        # boot.img's code only: bytes 440 on are the disk signature and the partition table sfdisk wrote.
        dd if="$fw/bios/boot.img" of="$out/disk.raw" bs=440 count=1 conv=notrunc status=none
        [ $(stat -c %s "$fw/bios/core.img") -le $((1048576 - 512)) ] || { echo "core.img does not fit before the ESP" >&2; exit 1; }
        dd if="$fw/bios/core.img" of="$out/disk.raw" bs=512 seek=1 conv=notrunc status=none
        rm -rf "$out/esp.fat" "$out/root.ext4" "$fw"
        """;

    /// <summary>Turns <c>root.ext4</c>, <c>vmlinuz</c>, <c>initrd.img</c> and <c>firmware/</c> in <paramref name="directory"/> into <c>disk.raw</c>.</summary>
    public static async Task AssembleAsync(string directory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Path.Combine(directory, "firmware")))
        {
            throw new ImageBuildException("The image has no bootloader files (boot/cilab-firmware): its setup did not run for a firmware boot.");
        }

        var mkfsFat = Host.HostPrerequisites.FindOnPath("mkfs.fat") ?? throw new ImageBuildException("mkfs.fat is missing: apt-get install dosfstools.");
        var sfdisk = Host.HostPrerequisites.FindOnPath("sfdisk") ?? throw new ImageBuildException("sfdisk is missing: apt-get install fdisk.");
        var result = await Cli.Wrap("sh").WithArguments(["-c", Script, "firmware-disk", directory, EspMebibytes.ToString(System.Globalization.CultureInfo.InvariantCulture), mkfsFat, sfdisk])
            .WithValidation(false).ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            throw new ImageBuildException($"Assembling the firmware-bootable disk failed (exit code {result.ExitCode}): {result.StandardError.Trim()}");
        }
    }
}
