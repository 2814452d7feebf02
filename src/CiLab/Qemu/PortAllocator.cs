using System.Net;
using System.Net.Sockets;
using CiLab.Machines;

namespace CiLab.Qemu;

/// <summary>
/// Free ports on 127.0.0.1, handed out under a host-wide lock that the caller holds until QEMU has bound them,
/// so two runs (or two checkouts) starting VMs at the same moment never get the same port.
/// </summary>
internal static class PortAllocator
{
    /// <summary>Holds the host-wide port lock; another run holds it for a few seconds at most, so a minute means it hangs.</summary>
    public static async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Host.RuntimeFolder.Ensure(), "ports.lock");
        try
        {
            return await Host.FileLock.AcquireAsync(path, "The host-wide port lock", TimeSpan.FromMinutes(1), onWaiting: null, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new VmException($"{e.Message} A VM start should hold it for seconds: is that process hung? Kill it, or wait for it.");
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
