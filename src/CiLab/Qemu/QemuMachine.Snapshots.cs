using CiLab.Host;
using CiLab.Images;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Processes;
using CliWrap;

namespace CiLab.Qemu;

public sealed partial class QemuMachine
{
    /// <summary>Saves a live snapshot (RAM and disk) named <paramref name="name"/> into the overlay.</summary>
    public async Task SnapshotAsync(string name, CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("snapshot");
        Names.RequireValidName(name, "snapshot"); // It goes into a monitor command line.
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        await using var qmp = await ConnectQmpAsync(cancellationToken).ConfigureAwait(false);
        await qmp.HumanMonitorCommandAsync($"savevm {name}", cancellationToken).ConfigureAwait(false);
        var metadata = ReadMetadata() ?? new VmMetadata(Image.Id, []);
        var cpu = ReadRunInfo()?.Cpu;
        // Ones saved on another CPU leave the list. A start has dropped them already, unless an older CiLab started this QEMU.
        WriteMetadata(new VmMetadata(metadata.ImageId, [.. metadata.Snapshots.Where(s => s != name && metadata.Cpu == cpu), name], cpu));
    }

    /// <summary>True when snapshot <paramref name="name"/> exists and was taken on the current base image and virtual CPU.</summary>
    public async Task<bool> HasSnapshotAsync(string name, CancellationToken cancellationToken)
    {
        var metadata = ReadMetadata();
        return metadata?.ImageId == Image.Id && metadata.Snapshots.Contains(name) && metadata.Cpu == ResumeCpu()
            && (await ListSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Contains(name);
    }

    // The CPU a snapshot must have been saved on to resume: the running QEMU's, else the one a start gives.
    private string? ResumeCpu() => IsRunning() ? ReadRunInfo()?.Cpu : QemuHardware.Cpu(AcceleratorProbe.Choose(Definition.Accelerator));

    // A live snapshot resumes only on the virtual CPU it was saved on: a guest whose programs chose AVX2 code would meet a
    // CPU without it. Returns false when the disk must start again from the image, as on an image change, so that the next
    // snapshot is clean again; an installed system's disk is the only copy of it, so there only the snapshots go (true).
    private async Task<bool> DropSnapshotsOfAnotherCpuAsync(VmMetadata metadata, string cpu, CancellationToken cancellationToken)
    {
        var why = $"VM '{Name}': its snapshots ({string.Join(", ", metadata.Snapshots)}) were saved on another virtual CPU ({metadata.Cpu ?? "not recorded"}; now {cpu}) and cannot resume on this one";
        if (!Image.Id.StartsWith(BootableImage.BlankIdPrefix, StringComparison.Ordinal))
        {
            _log.Line($"{why}: its disk starts again from image {Image.Id}.");
            return false;
        }

        foreach (var snapshot in metadata.Snapshots)
        {
            // One the overlay lacks already is no loss.
            await Cli.Wrap("qemu-img").WithArguments(["snapshot", "-d", snapshot, OverlayPath]).WithValidation(false).ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
        }

        WriteMetadata(new VmMetadata(Image.Id, []));
        _log.Line($"{why}: deleted them; its disk stays as it is.");
        return true;
    }

    /// <summary>The snapshots in the overlay.</summary>
    public async Task<IReadOnlyList<string>> ListSnapshotsAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(OverlayPath))
        {
            return [];
        }

        // -U reads the image while a running QEMU holds its lock.
        var result = await Cli.Wrap("qemu-img").WithArguments("snapshot", "-l", "-U", OverlayPath).ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
        return [.. result.StandardOutput.Split('\n').Skip(2).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(w => w.Length > 1).Select(w => w[1])];
    }

    /// <summary>
    /// Restores snapshot <paramref name="name"/>: loadvm when running, otherwise a start that resumes it.
    /// Either way it returns once SSH answers again.
    /// </summary>
    public async Task RestoreAsync(string name, CancellationToken cancellationToken)
    {
        RefuseIfReadOnly("restore");
        Names.RequireValidName(name, "snapshot");
        await AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (!IsRunning())
        {
            await StartAsync(new MachineStartOptions { FromSnapshot = name }, cancellationToken).ConfigureAwait(false);
            return;
        }

        await using (var qmp = await ConnectQmpAsync(cancellationToken).ConfigureAwait(false))
        {
            await qmp.HumanMonitorCommandAsync($"loadvm {name}", cancellationToken).ConfigureAwait(false);
        }

        // The held SSH connections' TCP state went back in time with the guest.
        await Shell.ReconnectAsync(cancellationToken).ConfigureAwait(false);
        await RootShell.ReconnectAsync(cancellationToken).ConfigureAwait(false);
        await WaitUntilReadyAsync(ResumeTimeout, cancellationToken).ConfigureAwait(false);
    }
}
