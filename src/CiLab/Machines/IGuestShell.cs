using CiLab.Sync;

namespace CiLab.Machines;

/// <summary>
/// Commands and files in a running guest, as one user: the transport a backend gives its machines (OpenSSH today).
/// Command lines are POSIX sh; nothing relies on the login shell being bash.
/// </summary>
public interface IGuestShell
{
    /// <summary>The VM's name, for messages.</summary>
    string VmName { get; }

    /// <summary>Runs <paramref name="command"/> in the guest. A timeout or cancellation kills its processes in the guest too.</summary>
    /// <exception cref="GuestCommandFailedException">It exited non-zero and <see cref="GuestCommand.ValidateExitCode"/> is on.</exception>
    /// <exception cref="GuestCommandTimeoutException">It ran past its timeout.</exception>
    /// <exception cref="GuestConnectionException">The guest could not be reached (down, changed host key, dead server).</exception>
    Task<GuestCommandResult> RunAsync(GuestCommand command, CancellationToken cancellationToken);

    /// <summary>One short try at reaching the guest: null when it answers, otherwise why not.</summary>
    Task<string?> ProbeAsync(CancellationToken cancellationToken);

    /// <summary>Drops the connection, so the next command connects afresh (after a restore, reboot or link loss).</summary>
    Task ReconnectAsync(CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="guestDirectory"/> a copy of <paramref name="hostDirectory"/> (less the excludes).</summary>
    Task<SyncResult> SyncAsync(string hostDirectory, string guestDirectory, SyncOptions options, CancellationToken cancellationToken);

    /// <summary>Copies a host file or folder to <paramref name="guestPath"/>.</summary>
    Task UploadAsync(string hostPath, string guestPath, CancellationToken cancellationToken);

    /// <summary>
    /// Copies a guest file or folder to <paramref name="hostPath"/>. What a guest wrote is untrusted: links, devices and
    /// special files are left out, and the copy is bounded in size and time.
    /// </summary>
    /// <exception cref="GuestConnectionException">It could not be copied (missing, unreachable, too slow).</exception>
    Task DownloadAsync(string guestPath, string hostPath, CancellationToken cancellationToken);

    /// <summary>A command line a person can run for an interactive shell in the guest (ssh, say); empty when there is none.</summary>
    IReadOnlyList<string> InteractiveCommand();
}
