using System.Net;
using System.Net.Sockets;

namespace CiLab.Qemu;

/// <summary>
/// Free ports on 127.0.0.1, handed out under a host-wide lock that the caller holds until QEMU has bound them,
/// so two runs (or two checkouts) starting VMs at the same moment never get the same port.
/// </summary>
internal static class PortAllocator
{
    public static async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"cilab-{Environment.UserName}", "ports.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
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
