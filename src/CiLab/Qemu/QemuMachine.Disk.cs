using CiLab.Images;
using CiLab.Machines;
using CiLab.Processes;
using CliWrap;

namespace CiLab.Qemu;

// The VM's disk: its overlay over the base image, and what goes with a new one (known host key, cloud-init seed).
public sealed partial class QemuMachine
{
    /// <summary>
    /// Creates the overlay over the base image when it is missing, the base image changed, or (while the VM is stopped) its
    /// snapshots were saved on another virtual CPU. Returns false when it was already up to date.
    /// </summary>
    public async Task<bool> SetupAsync(CancellationToken cancellationToken)
    {
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        var metadata = ReadMetadata();
        if (File.Exists(OverlayPath) && metadata?.ImageId == Image.Id)
        {
            var cpu = metadata.Snapshots.Count == 0 || IsRunning() ? null : ResumeCpu();
            if (cpu is null || metadata.Cpu == cpu)
            {
                return false;
            }

            if (await DropSnapshotsOfAnotherCpuAsync(metadata, cpu, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        if (IsRunning())
        {
            throw new VmException($"VM '{Name}' runs on an older image; stop it before setting it up again.");
        }

        File.Delete(OverlayPath);
        File.Delete(UefiVarsPath); // A new disk starts with an empty boot menu.
        await Cli.Wrap("qemu-img")
            .WithArguments("create", "-q", "-f", "qcow2", "-F", Image.DiskFormat, "-b", Path.GetFullPath(Image.DiskPath), OverlayPath)
            .ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
        WriteMetadata(new VmMetadata(Image.Id, []));
        WriteKnownHost();
        if (Image.CloudInitSeed)
        {
            var publicKey = (await File.ReadAllTextAsync(_state.PrivateKeyPath + ".pub", cancellationToken).ConfigureAwait(false)).Trim();
            CloudInitSeed.Write(SeedPath, Name, Definition.User, publicKey, Profile.DefaultShell, QemuHardware.MacAddress);
        }

        return true;
    }
}
