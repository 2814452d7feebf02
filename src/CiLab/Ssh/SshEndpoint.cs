using CiLab.Labs;

namespace CiLab.Ssh;

/// <summary>How to reach one guest over SSH: address and port, user, key, pinned host key, and the ControlMaster socket rsync's ssh uses.</summary>
/// <param name="Port">The SSH port (QEMU's forwarded port on 127.0.0.1).</param>
/// <param name="User">The login user.</param>
/// <param name="IdentityFile">The lab's private key (0600).</param>
/// <param name="KnownHostsFile">The lab-local known_hosts holding the guest's pinned host key.</param>
/// <param name="HostKeyAlias">The name the host key is pinned under (ports change between runs; the alias does not).</param>
/// <param name="ControlPath">The ControlMaster socket the system ssh (rsync, interactive shells) uses for this guest.</param>
/// <param name="AcceptNewHostKey">Pin the host key on first contact (user images whose key CiLab did not make); a changed key is still refused.</param>
/// <param name="Host">The guest's address, as its backend gives it (127.0.0.1 for QEMU's forwarded port).</param>
public sealed record SshEndpoint(int Port, string User, string IdentityFile, string KnownHostsFile, string HostKeyAlias, string ControlPath, bool AcceptNewHostKey = false, string Host = "127.0.0.1")
{
    /// <summary>The login user; checked, since it lands on ssh's command line.</summary>
    public string User { get; init; } = Names.RequireValidUser(User);

    /// <summary>The same guest as another user (root, say), sharing nothing but the host key.</summary>
    public SshEndpoint As(string user) => this with { User = user, ControlPath = ControlPath + "-" + user };

    /// <summary>The ssh options every connection uses, without the destination.</summary>
    public IReadOnlyList<string> Options(bool multiplex = true) =>
    [
        "-F", "/dev/null",
        "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "-i", IdentityFile,
        "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes",
        "-o", $"UserKnownHostsFile={KnownHostsFile}",
        "-o", AcceptNewHostKey ? "StrictHostKeyChecking=accept-new" : "StrictHostKeyChecking=yes",
        "-o", $"HostKeyAlias={HostKeyAlias}",
        "-o", "ConnectTimeout=5",
        "-o", "ServerAliveInterval=5",
        "-o", "ServerAliveCountMax=3",
        "-o", "LogLevel=ERROR",
        .. multiplex ? (string[])["-o", "ControlMaster=auto", "-o", $"ControlPath={ControlPath}", "-o", "ControlPersist=120"] : ["-o", "ControlMaster=no", "-o", "ControlPath=none"],
    ];

    /// <summary>The destination argument.</summary>
    public string Destination => $"{User}@{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}";

    /// <summary>The address; checked, since it lands on ssh's command line.</summary>
    public string Host { get; init; } = System.Net.IPAddress.TryParse(Host, out _) || Uri.CheckHostName(Host) == UriHostNameType.Dns
        ? Host
        : throw new ArgumentException($"'{Host}' is not an IP address or host name.", nameof(Host));
}
