using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace CiLab.IntegrationTests;

/// <summary>
/// Relays TCP connections from this host's own network address to a port on 127.0.0.1: a guest reached the way a
/// cluster's guest is, at an address that is neither loopback nor link-local.
/// </summary>
internal sealed class TcpRelay : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly int _targetPort;

    public TcpRelay(int targetPort)
    {
        _targetPort = targetPort;
        Address = HostAddress();
        _listener = new TcpListener(Address, 0);
        _listener.Start();
        _ = AcceptAsync();
    }

    public IPAddress Address { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    private static IPAddress HostAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(a => a.Address))
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a) && a.GetAddressBytes() is not [169, 254, ..])
        ?? throw new InvalidOperationException("This host has no IPv4 address besides loopback, which the Proxmox end-to-end test needs to stand in for a cluster guest's address.");

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var target = new TcpClient())
        {
            try
            {
                await target.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = client.GetStream().CopyToAsync(target.GetStream(), done.Token);
                var down = target.GetStream().CopyToAsync(client.GetStream(), done.Token);
                await Task.WhenAny(up, down);
                await done.CancelAsync();
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // One side closed or the relay stopped: the connection ends, as a dropped TCP connection would.
            }
        }
    }
}
