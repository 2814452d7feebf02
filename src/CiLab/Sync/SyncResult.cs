namespace CiLab.Sync;

/// <summary>What a sync did: how it went about it, how many files and bytes it sent, and how long it took.</summary>
/// <param name="Method">
/// rsync; incremental (only the changes since the last sync, as one tar stream); copy (the guest had no copy: the whole
/// tree as one tar stream); or tar when the guest has no rsync.
/// </param>
/// <param name="FilesTransferred">Files sent.</param>
/// <param name="BytesSent">Bytes sent over the wire.</param>
/// <param name="Duration">Wall time.</param>
public sealed record SyncResult(string Method, int FilesTransferred, long BytesSent, TimeSpan Duration);
