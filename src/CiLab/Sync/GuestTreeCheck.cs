using CiLab.Processes;

namespace CiLab.Sync;

/// <summary>
/// The guest-side check that a guest copy is still the one the last sync left: it holds that sync's token and nothing
/// in it changed since (no ctime newer than the token file's). Folders the sync leaves alone — build output, VCS data,
/// the excludes — are not walked: what a suite writes inside them neither matters to the copy nor forces a full sync
/// (a new entry still changes the synced folder that holds it), and walking them costs time under emulation.
/// </summary>
internal static class GuestTreeCheck
{
    /// <summary>What the script prints when the copy is unchanged.</summary>
    public const string Unchanged = "unchanged";

    /// <summary>A POSIX sh script that prints <see cref="Unchanged"/> when <paramref name="directory"/> is unchanged since <paramref name="token"/>.</summary>
    public static string Script(string directory, string token, IEnumerable<string> excludes)
    {
        var prune = excludes.Select(Prune).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        // Never the folder itself ('.*' matches '.'): its ctime is what tells of a deletion at the top.
        var skip = prune.Count == 0 ? string.Empty : $"-path './*' \\( {string.Join(" -o ", prune)} \\) -prune -o ";
        return $"cd {ShellQuoting.Quote(directory)} 2>/dev/null && [ \"$(cat {SyncManifest.TokenFile} 2>/dev/null)\" = {ShellQuoting.Quote(token)} ] " +
            $"&& [ -z \"$(find . {skip}-cnewer {SyncManifest.TokenFile} -print -quit)\" ] && echo {Unchanged}";
    }

    // The find test that matches what an rsync exclude pattern excludes, or null when that is not exactly expressible:
    // then the folder is walked (pruning more than rsync leaves alone would miss a change; walking more only costs time).
    private static string? Prune(string pattern)
    {
        var directoryOnly = pattern.EndsWith('/');
        var anchored = pattern.StartsWith('/');
        var name = pattern.Trim('/');
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal)
            || name.Contains('[', StringComparison.Ordinal) || name.Contains("**", StringComparison.Ordinal) || (anchored && name.IndexOfAny(['*', '?']) >= 0))
        {
            return null;
        }

        var test = anchored ? $"-path {ShellQuoting.Quote("./" + name)}" : $"-name {ShellQuoting.Quote(name)}";
        return directoryOnly ? $"{test} -type d" : test;
    }
}
