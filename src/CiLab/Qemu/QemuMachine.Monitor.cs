using System.Net.Sockets;
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

    /// <inheritdoc/>
    public async Task<Stream> AttachConsoleAsync(CancellationToken cancellationToken)
    {
        if (!IsRunning() || !File.Exists(ConsoleSocketPath))
        {
            throw new VmException($"VM '{Name}' is not running (or was started by a CiLab without a console socket: stop and start it).");
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(ConsoleSocketPath), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new VmException($"Cannot attach to VM '{Name}''s console ({ConsoleSocketPath}): {e.Message}.");
        }
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
