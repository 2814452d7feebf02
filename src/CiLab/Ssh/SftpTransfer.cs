using CiLab.Machines;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace CiLab.Ssh;

/// <summary>
/// Copies files and folders to and from a guest over SFTP. A folder's contents go into the target folder. What comes
/// from the guest is untrusted: only regular files and folders are copied (links would point into the host once copied;
/// devices and fifos could block), names that are not plain names are refused, files get 0644 and folders 0755 (no owner,
/// no set-id bits), files over 2 GiB are skipped, and the whole copy is bounded in time.
/// </summary>
internal sealed class SftpTransfer(SftpClient sftp, string vmName)
{
    private const long MaxFileSize = 2L << 30;
    private static readonly TimeSpan DownloadTimeout = TimeSpan.FromMinutes(10);
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode FolderMode = FileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Copies a host file or folder (its contents) to <paramref name="guestPath"/>, keeping permission bits.</summary>
    public async Task UploadAsync(string hostPath, string guestPath, CancellationToken cancellationToken)
    {
        try
        {
            if (Directory.Exists(hostPath))
            {
                await UploadFolderAsync(new DirectoryInfo(hostPath), guestPath, cancellationToken).ConfigureAwait(false);
            }
            else if (File.Exists(hostPath))
            {
                await CreateFoldersAsync(ParentOf(guestPath), cancellationToken).ConfigureAwait(false);
                await UploadFileAsync(new FileInfo(hostPath), guestPath, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                throw new FileNotFoundException($"Cannot copy {hostPath} to VM '{vmName}': there is no such file or folder.", hostPath);
            }
        }
        catch (SshException e)
        {
            throw new GuestConnectionException(vmName, $"copying {hostPath} to {guestPath} failed: {e.Message}");
        }
    }

    /// <summary>Copies a guest file or folder (its contents) to <paramref name="hostPath"/>; a link or special file is left out.</summary>
    public async Task DownloadAsync(string guestPath, string hostPath, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(DownloadTimeout);
        try
        {
            var top = await sftp.GetAttributesAsync(guestPath, limit.Token).ConfigureAwait(false);
            if (top.IsDirectory)
            {
                await DownloadFolderAsync(guestPath.TrimEnd('/'), hostPath, limit.Token).ConfigureAwait(false);
            }
            else if (top.IsRegularFile && top.Size <= MaxFileSize)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(hostPath))!);
                await DownloadFileAsync(guestPath, hostPath, limit.Token).ConfigureAwait(false);
            }
        }
        catch (SftpPathNotFoundException)
        {
            throw new GuestConnectionException(vmName, $"{guestPath} does not exist in the guest.");
        }
        catch (SshException e)
        {
            throw new GuestConnectionException(vmName, $"copying {guestPath} from the guest failed: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GuestConnectionException(vmName, $"copying {guestPath} from the guest did not finish within {DownloadTimeout.TotalMinutes:0} minutes.");
        }
    }

    private async Task UploadFolderAsync(DirectoryInfo folder, string guestPath, CancellationToken cancellationToken)
    {
        await CreateFoldersAsync(guestPath, cancellationToken).ConfigureAwait(false);
        foreach (var entry in folder.EnumerateFileSystemInfos())
        {
            var target = $"{guestPath.TrimEnd('/')}/{entry.Name}";
            if (entry is DirectoryInfo child && child.LinkTarget is null)
            {
                await UploadFolderAsync(child, target, cancellationToken).ConfigureAwait(false);
            }
            else if (entry is FileInfo file && File.Exists(file.FullName))
            {
                // A link to a file arrives as the file it points to; a link to a folder is left out (it could loop).
                await UploadFileAsync(file, target, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task UploadFileAsync(FileInfo file, string guestPath, CancellationToken cancellationToken)
    {
        var source = file.OpenRead();
        await using (source.ConfigureAwait(false))
        {
            await sftp.UploadFileAsync(source, guestPath, cancellationToken).ConfigureAwait(false);
        }

        var mode = (int)File.GetUnixFileMode(file.FullName) & 0x1FF;
        sftp.ChangePermissions(guestPath, short.Parse(Convert.ToString(mode, 8), System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task CreateFoldersAsync(string guestPath, CancellationToken cancellationToken)
    {
        var path = guestPath.StartsWith('/') ? string.Empty : ".";
        foreach (var part in guestPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path += "/" + part;
            if (!await sftp.ExistsAsync(path, cancellationToken).ConfigureAwait(false))
            {
                await sftp.CreateDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task DownloadFolderAsync(string guestPath, string hostPath, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(hostPath);
        File.SetUnixFileMode(hostPath, FolderMode);
        await foreach (var entry in sftp.ListDirectoryAsync(guestPath, cancellationToken).ConfigureAwait(false))
        {
            // A name is one path component: a server that sends "../x" or "a/b" gets nothing written for it.
            if (entry.Name is "." or ".." || entry.Name.Length == 0 || entry.Name.Contains('/', StringComparison.Ordinal) || entry.Name.Contains('\0', StringComparison.Ordinal))
            {
                continue;
            }

            var target = Path.Combine(hostPath, entry.Name);
            if (entry.IsDirectory)
            {
                await DownloadFolderAsync($"{guestPath}/{entry.Name}", target, cancellationToken).ConfigureAwait(false);
            }
            else if (entry.IsRegularFile && entry.Length <= MaxFileSize)
            {
                await DownloadFileAsync($"{guestPath}/{entry.Name}", target, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task DownloadFileAsync(string guestPath, string hostPath, CancellationToken cancellationToken)
    {
        if (new FileInfo(hostPath).LinkTarget is not null)
        {
            File.Delete(hostPath); // written through, a link left on the host would send the guest's bytes elsewhere
        }

        var target = new FileStream(hostPath, System.IO.FileMode.Create, FileAccess.Write);
        await using (target.ConfigureAwait(false))
        {
            await sftp.DownloadFileAsync(guestPath, target, cancellationToken).ConfigureAwait(false);
        }

        File.SetUnixFileMode(hostPath, FileMode);
    }

    private static string ParentOf(string guestPath)
    {
        var slash = guestPath.TrimEnd('/').LastIndexOf('/');
        return slash switch { < 0 => ".", 0 => "/", _ => guestPath[..slash] };
    }
}
