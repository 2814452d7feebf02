using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CiLab.Host;
using CiLab.Machines;
using CiLab.Processes;
using CiLab.Ssh;
using CliWrap;
using Microsoft.Extensions.Logging;

namespace CiLab.Sync;

/// <summary>
/// Syncs a host folder into a guest with rsync over a multiplexed OpenSSH connection: deletions follow
/// the host, build output, VCS data, lab state and the project's .gitignore patterns stay out. Falls back to tar
/// over SSH.NET when the guest has no rsync, and sends small change sets, and the whole tree to a guest with no copy yet,
/// as one tar stream over SSH.NET too.
/// </summary>
/// <param name="ssh">The guest.</param>
/// <param name="log">Where a line per sync goes.</param>
/// <param name="stateDirectory">
/// Where to keep a manifest of each sync (the VM's state folder). With it, a sync to a guest copy that nobody touched
/// since the last one sends only what changed on the host, without rsync walking the tree on both sides.
/// Without it, every sync is rsync's.
/// </param>
public sealed partial class CodeSync(SshShell ssh, ILogger log, string? stateDirectory = null)
{
    // Past this many changed entries, rsync's own delta transfer is the better tool.
    private const int IncrementalLimit = 500;

    // A new copy goes as one archive, made on the host first: past this size rsync's streaming suits better.
    private const long NewCopyLimit = 256L << 20;

    /// <summary>Always left out: VCS data, build output, CiLab's own state and artifacts.</summary>
    public static IReadOnlyList<string> DefaultExcludes { get; } = [".git/", "artifacts/", ".cilab/", "bin/", "obj/", ".vs/", "node_modules/"];

    /// <summary>Makes <paramref name="guestDirectory"/> a copy of <paramref name="hostDirectory"/> (less the excludes).</summary>
    public async Task<SyncResult> SyncAsync(string hostDirectory, string guestDirectory, IReadOnlyList<string> extraExcludes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(extraExcludes);
        var clock = Stopwatch.StartNew();
        var filters = new List<string> { "--filter=:- .gitignore", $"--exclude=/{SyncManifest.TokenFile}" };
        filters.AddRange(DefaultExcludes.Concat(extraExcludes).Select(e => $"--exclude={e}"));
        var manifestPath = stateDirectory is null ? null : Path.Combine(stateDirectory, "sync", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(guestDirectory)))[..16] + ".json");
        Dictionary<string, string>? listing = null;
        var previous = manifestPath is null ? null : SyncManifest.Load(manifestPath);
        // The guest checks its copy, a channel for the changes opens, and the host lists its tree, all at once: each of
        // the three costs about as much as the other two. Without a manifest no token can match (a fresh one is asked
        // for), and the check can only find the copy absent.
        var guestState = manifestPath is null ? null : GuestStateAsync(guestDirectory, previous?.Token ?? Guid.NewGuid().ToString("N"), DefaultExcludes.Concat(extraExcludes), cancellationToken);
        var changes = manifestPath is null ? null : ChangeChannel.Open(ssh, cancellationToken);
        try
        {
            if (manifestPath is not null)
            {
                // Listed before anything is sent: a file changed meanwhile differs from the manifest next time, and goes again.
                listing = SyncManifest.ParseListing((await RsyncAsync(["-a", "--list-only", .. filters, HostPath(hostDirectory)], local: true, cancellationToken).ConfigureAwait(false)).StandardOutput);
                var absentAtFirst = IsAbsent(guestState!);
                var sent = await TryChangesAsync(hostDirectory, guestDirectory, previous, listing, guestState!, changes!, clock, cancellationToken).ConfigureAwait(false);
                if (sent is null && !absentAtFirst && IsAbsent(guestState!))
                {
                    // The check ended only after the changes were staked on an unchanged copy (after a restore its fresh
                    // connection takes longer than the host's listing): the new copy goes on a channel of its own.
                    changes!.Abandon();
                    var second = ChangeChannel.Open(ssh, cancellationToken);
                    await using (second.ConfigureAwait(false))
                    {
                        sent = await TryChangesAsync(hostDirectory, guestDirectory, previous, listing, guestState!, second, clock, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (sent is { } done)
                {
                    new SyncManifest(done.Token, listing).Save(manifestPath);
                    return done.Result;
                }
            }

            changes?.Abandon();
            var arguments = new List<string> { "-az", "--delete", "--stats" };
            arguments.AddRange(filters);
            arguments.Add("--rsync-path=mkdir -p " + ShellQuoting.Quote(guestDirectory) + " && rsync");
            arguments.AddRange([HostPath(hostDirectory), $"{ssh.Endpoint.Destination}:{guestDirectory}/"]);
            HostCommandResult result;
            try
            {
                result = await RsyncAsync(arguments, local: false, cancellationToken).ConfigureAwait(false);
            }
            catch (GuestConnectionException e) when (e.Detail.Contains("code 127", StringComparison.Ordinal) || e.Detail.Contains("rsync: not found", StringComparison.Ordinal) || e.Detail.Contains("command not found", StringComparison.Ordinal))
            {
                // Asking first would cost a round trip on every sync; a guest without rsync is the rare case.
                return await TarAsync(hostDirectory, guestDirectory, extraExcludes, clock, cancellationToken).ConfigureAwait(false);
            }

            if (manifestPath is not null)
            {
                var token = Guid.NewGuid().ToString("N");
                await ssh.RunAsync(new GuestCommand { Script = $"printf %s {token} > {ShellQuoting.Quote(guestDirectory + "/" + SyncManifest.TokenFile)}" }, cancellationToken).ConfigureAwait(false);
                new SyncManifest(token, listing!).Save(manifestPath);
            }

            var files = Number(FilesTransferred(), result.StandardOutput);
            var bytes = Number(BytesSent(), result.StandardOutput);
            log.Line($"Synced {hostDirectory} to {ssh.VmName}:{guestDirectory}: {files} file(s), {bytes:N0} bytes in {clock.Elapsed.TotalSeconds:0.0}s.");
            return new SyncResult("rsync", (int)files, bytes, clock.Elapsed);
        }
        finally
        {
            if (changes is not null)
            {
                await changes.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<HostCommandResult> RsyncAsync(List<string> arguments, bool local, CancellationToken cancellationToken)
    {
        if (!local)
        {
            // rsync runs ssh with the same options, so it rides on the same multiplexed connection.
            // --timeout bounds a stalled transfer (ssh's keep-alives catch a dead connection, not a stuck peer).
            arguments.InsertRange(0, ["-e", ShellQuoting.Join(["ssh", .. ssh.Endpoint.Options()]), "--timeout=120"]);
        }

        var result = await Cli.Wrap("rsync").WithArguments(arguments).WithValidation(false).ExecuteBoundedAsync(cancellationToken, outputLimit: int.MaxValue).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            throw new GuestConnectionException(ssh.VmName, $"rsync exited with code {result.ExitCode}: {result.StandardError.Trim()}");
        }

        return result;
    }

    private async Task<string> GuestStateAsync(string guestDirectory, string token, IEnumerable<string> excludes, CancellationToken cancellationToken) =>
        (await ssh.RunAsync(new GuestCommand { Script = GuestTreeCheck.Script(guestDirectory, token, excludes), ValidateExitCode = false }, cancellationToken).ConfigureAwait(false)).StandardOutput.Trim();

    /// <summary>
    /// Sends only what changed since <paramref name="previous"/> — or, where the guest has no copy at all, the whole tree —
    /// as one tar stream on <paramref name="changes"/>, after a line that first checks the guest copy is still the one
    /// this assumed; null (nothing done) when it is not, or when rsync suits better.
    /// </summary>
    private async Task<(SyncResult Result, string Token)?> TryChangesAsync(
        string hostDirectory, string guestDirectory, SyncManifest? previous, Dictionary<string, string> current, Task<string> guestState, ChangeChannel changes, Stopwatch clock, CancellationToken cancellationToken)
    {
        // An absent copy is known at the check's first step, long before the host has listed its tree; a copy still being
        // walked is taken to be unchanged while the changes are prepared, and they are sent only if it is.
        var absent = IsAbsent(guestState);
        var basis = absent ? SyncManifest.Empty : previous;
        var (send, delete) = basis?.Compare(current) ?? ([], []);
        // Links, odd file types and names rsync had to escape go the full way: the changes' script is one line.
        if (basis is null || (absent ? send.Sum(p => SyncManifest.Size(current[p])) > NewCopyLimit : send.Count + delete.Count > IncrementalLimit) || guestDirectory.Contains('\n', StringComparison.Ordinal)
            || send.Any(p => current[p][0] is not ('-' or 'd') || p.Contains("\\#", StringComparison.Ordinal)) || delete.Any(p => p.Contains("\\#", StringComparison.Ordinal)))
        {
            if (!absent)
            {
                await ProvedUnchangedAsync(guestState, guestDirectory).ConfigureAwait(false);
            }

            return null;
        }

        var token = Guid.NewGuid().ToString("N");
        var directory = ShellQuoting.Quote(guestDirectory);
        var removal = delete.Count == 0 ? string.Empty : $"rm -rf -- {ShellQuoting.Join(delete)} && ";
        // What the check found is checked again here, next to the change.
        const string Stale = "{ cat >/dev/null; echo stale; exit 0; }";
        var script = absent
            ? $"if [ -e {directory} ] || [ -L {directory} ]; then {Stale}; fi; mkdir -p {directory} && cd {directory} && "
            : $"cd {directory} 2>/dev/null && {GuestTreeCheck.ReadToken("__cilab_t")} && [ \"$__cilab_t\" = {previous!.Token} ] || {Stale}; ";
        script += $"tar -xpf - && {removal}printf %s {token} > {SyncManifest.TokenFile} && echo applied";
        var list = Path.GetTempFileName();
        var archive = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(list, string.Concat(send.Select(p => p + "\0")), cancellationToken).ConfigureAwait(false);
            await Cli.Wrap("tar").WithArguments("-cf", archive, "-C", hostDirectory, "--no-recursion", "--null", "-T", list).ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
            // tar starts in the guest while the check still runs; it gets the archive only if the check passes.
            await changes.BeginAsync(script, cancellationToken).ConfigureAwait(false);
            if (!absent && !await ProvedUnchangedAsync(guestState, guestDirectory).ConfigureAwait(false))
            {
                return null;
            }

            // An archive cut short makes tar fail: no new token, and what it did unpack is newer than the old one, so the
            // next check sends the whole tree.
            var applied = await changes.FinishAsync(archive, cancellationToken).ConfigureAwait(false);
            var said = applied.StandardOutput.Trim();
            if (said != "applied")
            {
                log.Line(said == "stale"
                    ? ChangedSinceLastSync(guestDirectory)
                    : $"Sending only the changes to {ssh.VmName}:{guestDirectory} failed ({applied.StandardError.Trim()}): syncing it all.");
                return null;
            }

            var bytes = new FileInfo(archive).Length;
            var files = send.Count(p => current[p][0] == '-');
            var what = absent ? $"{files} file(s) as a new copy" : $"{files} changed file(s), {delete.Count} deletion(s)";
            log.Line($"Synced {hostDirectory} to {ssh.VmName}:{guestDirectory}: {what}, {bytes:N0} bytes in {clock.Elapsed.TotalSeconds:0.0}s (one tar stream).");
            return (new SyncResult(absent ? "copy" : "incremental", files, bytes, clock.Elapsed), token);
        }
        finally
        {
            File.Delete(list);
            File.Delete(archive);
        }
    }

    // Whether the check found the copy unchanged; a touched copy is logged here, an absent one is the caller's to send.
    private async Task<bool> ProvedUnchangedAsync(Task<string> guestState, string guestDirectory)
    {
        var state = await guestState.ConfigureAwait(false);
        if (state is not (GuestTreeCheck.Unchanged or GuestTreeCheck.Absent))
        {
            log.Line(ChangedSinceLastSync(guestDirectory));
        }

        return state == GuestTreeCheck.Unchanged;
    }

    private static bool IsAbsent(Task<string> guestState) => guestState.IsCompletedSuccessfully && guestState.Result == GuestTreeCheck.Absent;

    private string ChangedSinceLastSync(string guestDirectory) =>
        $"The copy in {ssh.VmName}:{guestDirectory} changed since the last sync (or is not that sync's): syncing it all.";

    private async Task<SyncResult> TarAsync(string hostDirectory, string guestDirectory, IReadOnlyList<string> extraExcludes, Stopwatch clock, CancellationToken cancellationToken)
    {
        log.Line($"VM '{ssh.VmName}' has no rsync: copying the whole tree with tar.");
        var archive = Path.GetTempFileName();
        try
        {
            var excludes = DefaultExcludes.Concat(extraExcludes).Select(e => $"--exclude={e.TrimEnd('/')}");
            await Cli.Wrap("tar").WithArguments([.. excludes, "-czf", archive, "-C", hostDirectory, "."]).ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
            var quoted = ShellQuoting.Quote(guestDirectory);
            var bytes = new FileInfo(archive).Length;
            var stream = File.OpenRead(archive);
            await using (stream.ConfigureAwait(false))
            {
                await ssh.RunAsync(new GuestCommand { Script = $"rm -rf {quoted} && mkdir -p {quoted} && tar -xzf - -C {quoted}" }, stream, cancellationToken).ConfigureAwait(false);
            }

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
