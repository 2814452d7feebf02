using CiLab.Processes;
using CliWrap;

namespace CiLab.Images;

/// <summary>
/// The ext4 root filesystem of a built tree, made without root or mounts: the tarball is unpacked and
/// <c>mkfs.ext4 -d</c> reads the tree within one fakeroot session, so owners (by number, never the host's names),
/// setuid bits and device nodes come out as the tarball has them. The kernel and initrd are copied out beside it, and
/// a firmware-booted image's bootloader files into <c>firmware/</c>.
/// </summary>
internal static class RootFilesystem
{
    private const string Script = """
        set -eu
        tarball="$1"; out="$2"; size="$3"; mkfs="$4"; tree="$out/tree"
        mkdir "$tree"
        tar -xpf "$tarball" -C "$tree" --numeric-owner
        rm "$tarball"
        # A firmware-booted image's bootloader files (debian-setup.sh) go to the ESP and the MBR, not the root.
        if [ -d "$tree/boot/cilab-firmware" ]; then mv "$tree/boot/cilab-firmware" "$out/firmware"; fi
        "$mkfs" -q -L cilab-root -d "$tree" "$out/root.ext4" "$size"
        cp "$tree"/boot/vmlinuz-* "$out/vmlinuz"
        cp "$tree"/boot/initrd.img-* "$out/initrd.img"
        """;

    /// <summary>Writes <c>root.ext4</c>, <c>vmlinuz</c> and <c>initrd.img</c> into <paramref name="directory"/>; the tarball is used up.</summary>
    public static async Task WriteAsync(string tarball, string directory, long diskBytes, CancellationToken cancellationToken)
    {
        var tree = Path.Combine(directory, "tree");
        // A normal user's PATH lacks /usr/sbin, where mkfs.ext4 lives.
        var mkfs = Host.HostPrerequisites.FindOnPath("mkfs.ext4") ?? throw new ImageBuildException("mkfs.ext4 is missing: apt-get install e2fsprogs.");
        try
        {
            var result = await Cli.Wrap("fakeroot").WithArguments(["--", "sh", "-c", Script, "root-filesystem", tarball, directory, $"{diskBytes >> 20}M", mkfs])
                .WithValidation(false).ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                throw new ImageBuildException($"Writing the root filesystem failed (exit code {result.ExitCode}): {result.StandardError.Trim()}");
            }
        }
        finally
        {
            // Package trees hold read-only folders (such as /proc's mount point) that would stop the delete.
            if (Directory.Exists(tree))
            {
                await Cli.Wrap("chmod").WithArguments(["-R", "u+rwX", tree]).WithValidation(false).ExecuteBoundedAsync(CancellationToken.None).ConfigureAwait(false);
                Directory.Delete(tree, recursive: true);
            }
        }
    }
}
