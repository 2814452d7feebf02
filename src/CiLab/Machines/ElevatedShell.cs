using CiLab.Labs;
using CiLab.Sync;

namespace CiLab.Machines;

/// <summary>
/// A guest shell whose commands all run elevated (sudo or doas) as another shell's user: root's shell on guests where
/// root may not log in, as on cloud images.
/// </summary>
/// <param name="inner">The lab user's shell.</param>
/// <param name="elevation">How commands gain root.</param>
public sealed class ElevatedShell(IGuestShell inner, Elevation elevation) : IGuestShell
{
    private readonly IGuestShell _inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <inheritdoc/>
    public string VmName => _inner.VmName;

    /// <inheritdoc/>
    public Task<GuestCommandResult> RunAsync(GuestCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return _inner.RunAsync(command with { Elevation = elevation }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<string?> ProbeAsync(CancellationToken cancellationToken) => _inner.ProbeAsync(cancellationToken);

    /// <inheritdoc/>
    public Task ReconnectAsync(CancellationToken cancellationToken) => _inner.ReconnectAsync(cancellationToken);

    /// <inheritdoc/>
    public Task<SyncResult> SyncAsync(string hostDirectory, string guestDirectory, SyncOptions options, CancellationToken cancellationToken) =>
        _inner.SyncAsync(hostDirectory, guestDirectory, options, cancellationToken);

    /// <inheritdoc/>
    public Task UploadAsync(string hostPath, string guestPath, CancellationToken cancellationToken) => _inner.UploadAsync(hostPath, guestPath, cancellationToken);

    /// <inheritdoc/>
    public Task DownloadAsync(string guestPath, string hostPath, CancellationToken cancellationToken) => _inner.DownloadAsync(guestPath, hostPath, cancellationToken);

    /// <inheritdoc/>
    public IReadOnlyList<string> InteractiveCommand() => _inner.InteractiveCommand();
}
