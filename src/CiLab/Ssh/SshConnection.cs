using System.Collections.Concurrent;
using System.Net.Sockets;
using CiLab.Labs;
using CiLab.Machines;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace CiLab.Ssh;

/// <summary>
/// The one SSH.NET connection CiLab holds per guest and user: connected on first use, a channel per command, reused
/// until <see cref="Drop"/> (a restore or reboot makes its TCP connection stale). SFTP gets its own session beside it.
/// </summary>
internal sealed class SshConnection : IDisposable
{
    private static readonly ConcurrentDictionary<SshEndpoint, SshConnection> Pool = new();
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly SshEndpoint _endpoint;
    private readonly string _vmName;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private BaseClient? _ssh;
    private BaseClient? _sftp;
    private volatile bool _dropped;
    private readonly SemaphoreSlim _sessionGate = new(1, 1);
    private readonly Dictionary<Elevation, GuestSession> _sessions = [];
    private readonly Dictionary<Elevation, string> _sessionsRefused = [];

    private SshConnection(SshEndpoint endpoint, string vmName) => (_endpoint, _vmName) = (endpoint, vmName);

    /// <summary>The connection for <paramref name="endpoint"/> (one per address, port, user and key).</summary>
    public static SshConnection For(SshEndpoint endpoint, string vmName) => Pool.GetOrAdd(Key(endpoint), _ => new SshConnection(endpoint, vmName));

    /// <summary>Closes the connection for <paramref name="endpoint"/>; the next use connects afresh.</summary>
    public static void Drop(SshEndpoint endpoint)
    {
        if (Pool.TryRemove(Key(endpoint), out var connection))
        {
            connection.Dispose();
        }
    }

    /// <summary>
    /// Takes the connection for <paramref name="endpoint"/> out of use without cutting what still runs on it; it is closed
    /// once <paramref name="pending"/> (a write that may yet break it) has ended. The next use connects afresh.
    /// </summary>
    public static void Retire(SshEndpoint endpoint, Task pending)
    {
        if (Pool.TryRemove(Key(endpoint), out var connection))
        {
            pending.ContinueWith(_ => connection.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    /// <summary>The command connection, connected.</summary>
    /// <exception cref="GuestConnectionException">It could not connect, or the host key is not the pinned one.</exception>
    public async Task<SshClient> CommandsAsync(CancellationToken cancellationToken) =>
        (SshClient)await ConnectedAsync(() => _ssh, c => _ssh = c, info => new SshClient(info), cancellationToken).ConfigureAwait(false);

    /// <summary>The SFTP connection, connected.</summary>
    /// <exception cref="GuestConnectionException">It could not connect, or the host key is not the pinned one.</exception>
    public async Task<SftpClient> FilesAsync(CancellationToken cancellationToken) =>
        (SftpClient)await ConnectedAsync(() => _sftp, c => _sftp = c, info => new SftpClient(info), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The persistent shell with <paramref name="elevation"/> on the command connection, started on first use and again
    /// after it broke; null where it cannot start (then each such command opens its own channel, and
    /// <paramref name="log"/> is told once why).
    /// </summary>
    public async Task<GuestSession?> SessionAsync(Elevation elevation, Action<string> log, CancellationToken cancellationToken)
    {
        await _sessionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A session lives on one client: a reconnect (after a reset, say) leaves it on a dead one.
            if (_sessions.TryGetValue(elevation, out var held) && held.IsUsable && ReferenceEquals(held.Client, _ssh) && IsAlive(held.Client))
            {
                return held;
            }

            if (_sessionsRefused.ContainsKey(elevation))
            {
                return null;
            }

            held?.Dispose();
            _sessions.Remove(elevation);
            var client = await CommandsAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var session = await GuestSession.StartAsync(client, elevation, cancellationToken).ConfigureAwait(false);
                if (_dropped)
                {
                    session.Dispose();
                    return null;
                }

                _sessions[elevation] = session;
                return session;
            }
            catch (GuestSessionException e) when (!e.Refused)
            {
                return null; // The connection's trouble, not the shell's: a channel of its own will say what it is.
            }
            catch (GuestSessionException e)
            {
                _sessionsRefused[elevation] = e.Message;
                var who = elevation == Elevation.None ? _endpoint.User : $"{_endpoint.User} through {elevation.ToString().ToLowerInvariant()}";
                log($"VM '{_vmName}': no persistent shell for {who} ({e.Message}); each such command opens a channel of its own.");
                return null;
            }
        }
        finally
        {
            _sessionGate.Release();
        }
    }

    public void Dispose()
    {
        _dropped = true;
        foreach (var session in _sessions.Values)
        {
            session.Dispose();
        }
        _ssh?.Dispose();
        _sftp?.Dispose();
    }

    private static bool IsAlive(BaseClient client)
    {
        try
        {
            return client.IsConnected;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    // The pool key leaves out the OpenSSH-only ControlPath.
    private static SshEndpoint Key(SshEndpoint endpoint) => endpoint with { ControlPath = string.Empty };

    private async Task<BaseClient> ConnectedAsync(Func<BaseClient?> get, Action<BaseClient?> set, Func<ConnectionInfo, BaseClient> create, CancellationToken cancellationToken)
    {
        if (get() is { IsConnected: true } ready)
        {
            return ready;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (get() is { IsConnected: true } raced)
            {
                return raced;
            }

            // Forgotten as soon as it is disposed: a failed reconnect below must not leave a disposed client to be
            // asked IsConnected (which throws) by the next command.
            get()?.Dispose();
            set(null);
            if (await SshBanner.WaitAsync(_endpoint.Host, _endpoint.Port, ConnectTimeout, cancellationToken).ConfigureAwait(false) is { } silent)
            {
                throw new GuestConnectionException(_vmName, $"connecting to {_endpoint.User}@{_endpoint.Host}:{_endpoint.Port} failed: {silent}.");
            }

            var client = create(ConnectionInfo());
            client.KeepAliveInterval = TimeSpan.FromSeconds(5);
            await ConnectAsync(client, cancellationToken).ConfigureAwait(false);
            if (_dropped)
            {
                // Dropped while connecting (a restore or reboot began): this connection belongs to no one.
                client.Dispose();
                throw new GuestConnectionException(_vmName, "the connection was closed while it was being made (the VM was restored, rebooted or stopped).");
            }

            set(client);
            return client;
        }
        finally
        {
            _gate.Release();
        }
    }

    private ConnectionInfo ConnectionInfo()
    {
        var info = new PrivateKeyConnectionInfo(_endpoint.Host, _endpoint.Port, _endpoint.User, new PrivateKeyFile(_endpoint.IdentityFile)) { Timeout = ConnectTimeout };
        var pinnedTypes = KnownHosts.Algorithms(KnownHosts.Read(_endpoint.KnownHostsFile, _endpoint.HostKeyAlias).Select(p => p.Type)).ToHashSet(StringComparer.Ordinal);
        if (pinnedTypes.Count > 0)
        {
            foreach (var algorithm in info.HostKeyAlgorithms.Keys.Where(a => !pinnedTypes.Contains(a)).ToList())
            {
                info.HostKeyAlgorithms.Remove(algorithm);
            }
        }

        return info;
    }

    private async Task ConnectAsync(BaseClient client, CancellationToken cancellationToken)
    {
        string? refused = null;
        client.HostKeyReceived += (_, e) =>
        {
            refused = CheckHostKey(e);
            e.CanTrust = refused is null;
        };
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or SocketException or IOException or TimeoutException)
        {
            client.Dispose();
            throw new GuestConnectionException(_vmName, refused ?? $"connecting to {_endpoint.User}@{_endpoint.Host}:{_endpoint.Port} failed: {e.Message}");
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Null when the offered key is the pinned one (or the first one, for accept-new); otherwise why not.</summary>
    private string? CheckHostKey(HostKeyEventArgs offered)
    {
        // The blob names its own type ("ssh-rsa" for every RSA signature algorithm), as known_hosts does.
        var key = Convert.ToBase64String(offered.HostKey);
        var type = System.Text.Encoding.ASCII.GetString(offered.HostKey, 4, Math.Min(offered.HostKey.Length - 4, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(offered.HostKey)));
        var pinned = KnownHosts.Read(_endpoint.KnownHostsFile, _endpoint.HostKeyAlias);
        if (pinned.Any(p => p.Key == key))
        {
            return null;
        }

        if (pinned.Count == 0 && _endpoint.AcceptNewHostKey && KnownHosts.PinFirst(_endpoint.KnownHostsFile, _endpoint.HostKeyAlias, type, key))
        {
            return null;
        }

        return pinned.Count == 0
            ? $"the guest's host key ({type} SHA256:{offered.FingerPrintSHA256}) is not pinned in {_endpoint.KnownHostsFile} under '{_endpoint.HostKeyAlias}', and this image's key must be known in advance. Refusing to connect."
            : $"the guest's host key does not match the one pinned in the lab's known_hosts (the guest was replaced, or something is in the way). Refusing to connect. It offered {type} SHA256:{offered.FingerPrintSHA256}; {_endpoint.KnownHostsFile} pins another key for '{_endpoint.HostKeyAlias}'.";
    }
}
