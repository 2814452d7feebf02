using CiLab.Machines;

namespace CiLab.Qemu;

// The fault QEMU's monitor (QMP) injects in place: the network cable (the reset button is in QemuMachine.Restart.cs).
public sealed partial class QemuMachine
{
    /// <inheritdoc/>
    public async Task SetLinkAsync(bool up, CancellationToken cancellationToken)
    {
        await using var qmp = await ConnectQmpAsync(cancellationToken).ConfigureAwait(false);
        await qmp.SetLinkAsync(NetworkDeviceId, up, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connects to the VM's QMP socket.</summary>
    internal async Task<QmpClient> ConnectQmpAsync(CancellationToken cancellationToken)
    {
        if (!IsRunning())
        {
            throw new VmException($"VM '{Name}' is not running.");
        }

        return await QmpClient.ConnectAsync(QmpPath, cancellationToken).ConfigureAwait(false);
    }
}
