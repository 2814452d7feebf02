namespace CiLab.Labs;

/// <summary>A guest TCP port forwarded to 127.0.0.1 on the host; host port 0 means "pick a free one".</summary>
/// <param name="HostPort">The host port, or 0.</param>
/// <param name="GuestPort">The guest port.</param>
public sealed record PortForward(int HostPort, int GuestPort);
