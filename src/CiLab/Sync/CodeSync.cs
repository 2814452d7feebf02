using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CiLab.Processes;
using CiLab.Ssh;

namespace CiLab.Sync;

/// <summary>
/// Syncs a host folder into a guest with rsync over the guest's multiplexed SSH connection: deletions follow
/// the host, build output, VCS data, lab state and the project's .gitignore patterns stay out. Falls back to tar
/// over SSH when the guest has no rsync. Also copies files and folders both ways.
/// </summary>
public sealed partial class CodeSync(SshClient ssh, TextWriter log)
{
    /// <summary>Always left out: VCS data, build output, CiLab's own state and artifacts.</summary>
    public static IReadOnlyList<string> DefaultExcludes { get; } = [".git/", "artifacts/", ".cilab/", "bin/", "obj/", ".vs/", "node_modules/"];

    /// <summary>Makes <paramref name="guestDirectory"/> a copy of <paramref name="hostDirectory"/> (less the excludes).</summary>
    public async Task<SyncResult> SyncAsync(string hostDirectory, string guestDirectory, IReadOnlyList<string> extraExcludes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(extraExcludes);
        var clock = Stopwatch.StartNew();
        var arguments = new List<string> { "-az", "--delete", "--stats", "--filter=:- .gitignore" };
        arguments.AddRange(DefaultExcludes.Concat(extraExcludes).Select(e => $"--exclude={e}"));
        arguments.Add("--rsync-path=mkdir -p " + ShellQuoting.Quote(guestDirectory) + " && rsync");
        arguments.AddRange([HostPath(hostDirectory), $"{ssh.Endpoint.Destination}:{guestDirectory}/"]);
        CommandResult result;
        try
        {
            result = await RsyncAsync(arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (SshConnectionException e) when (e.Detail.Contains("code 127", StringComparison.Ordinal) || e.Detail.Contains("rsync: not found", StringComparison.Ordinal) || e.Detail.Contains("command not found", StringComparison.Ordinal))
        {
            // Asking first would cost a round trip on every sync; a guest without rsync is the rare case.
            return await TarAsync(hostDirectory, guestDirectory, extraExcludes, clock, cancellationToken).ConfigureAwait(false);
        }

        var files = Number(FilesTransferred(), result.StandardOutput);
        var bytes = Number(BytesSent(), result.StandardOutput);
        log.WriteLine($"Synced {hostDirectory} to {ssh.VmName}:{guestDirectory}: {files} file(s), {bytes:N0} bytes in {clock.Elapsed.TotalSeconds:0.0}s.");
        return new SyncResult("rsync", (int)files, bytes, clock.Elapsed);
    }

    /// <summary>Copies a host file or folder to <paramref name="guestPath"/>.</summary>
    public Task UploadAsync(string hostPath, string guestPath, CancellationToken cancellationToken) =>
        RsyncAsync(["-a", Directory.Exists(hostPath) ? HostPath(hostPath) : hostPath, $"{ssh.Endpoint.Destination}:{guestPath}"], cancellationToken);

    /// <summary>Copies a guest file or folder to <paramref name="hostPath"/> (a folder's contents go into it).</summary>
    public async Task DownloadAsync(string guestPath, string hostPath, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(hostPath))!);
        await RsyncAsync(["-a", $"{ssh.Endpoint.Destination}:{guestPath}", hostPath], cancellationToken).ConfigureAwait(false);
    }

    private async Task<CommandResult> RsyncAsync(List<string> arguments, CancellationToken cancellationToken)
    {
        // rsync runs ssh with the same options, so it rides on the same multiplexed connection.
        arguments.Insert(0, "-e");
        arguments.Insert(1, ShellQuoting.Join(["ssh", .. ssh.Endpoint.Options()]));
        var result = await Command.Create("rsync").WithArguments(arguments).WithValidation(false).ExecuteAsync(cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            throw new SshConnectionException(ssh.VmName, $"rsync exited with code {result.ExitCode}: {result.StandardError.Trim()}");
        }

        return result;
    }

    private async Task<SyncResult> TarAsync(string hostDirectory, string guestDirectory, IReadOnlyList<string> extraExcludes, Stopwatch clock, CancellationToken cancellationToken)
    {
        log.WriteLine($"VM '{ssh.VmName}' has no rsync: copying the whole tree with tar.");
        var archive = Path.GetTempFileName();
        try
        {
            var excludes = DefaultExcludes.Concat(extraExcludes).Select(e => $"--exclude={e.TrimEnd('/')}");
            await Command.Create("tar").WithArguments([.. excludes, "-czf", archive, "-C", hostDirectory, "."]).ExecuteAsync(cancellationToken).ConfigureAwait(false);
            var quoted = ShellQuoting.Quote(guestDirectory);
            var bytes = new FileInfo(archive).Length;
            var upload = Command.Create("sh").WithArguments("-c", $"{ShellQuoting.Join(["ssh", .. ssh.Endpoint.Options(), ssh.Endpoint.Destination])} {ShellQuoting.Quote($"rm -rf {quoted} && mkdir -p {quoted} && tar -xzf - -C {quoted}")} < {ShellQuoting.Quote(archive)}");
            await upload.ExecuteAsync(cancellationToken).ConfigureAwait(false);
            return new SyncResult("tar", -1, bytes, clock.Elapsed);
        }
        finally
        {
            File.Delete(archive);
        }
    }

    private static string HostPath(string directory) => Path.GetFullPath(directory).TrimEnd('/') + "/";

    private static long Number(Regex pattern, string text) =>
        pattern.Match(text) is { Success: true } m ? long.Parse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"Number of regular files transferred: ([\d,]+)")]
    private static partial Regex FilesTransferred();

    [GeneratedRegex(@"Total bytes sent: ([\d,]+)")]
    private static partial Regex BytesSent();
}
