using CiLab.Host;
using CiLab.Processes;
using Microsoft.Extensions.Logging;

namespace CiLab.Images;

/// <summary>
/// Built images, content-addressed under the user's cache directory (<c>$XDG_CACHE_HOME/cilab/images</c>).
/// A build happens in a partial folder that is renamed into place only when complete, so an interrupted
/// build never leaves a half-made image behind.
/// </summary>
public sealed class ImageCache(string root)
{
    /// <summary>The cache at <c>$CILAB_CACHE</c>, else <c>$XDG_CACHE_HOME/cilab</c>, else <c>~/.cache/cilab</c>.</summary>
    public static ImageCache Default() => new(Path.Combine(CacheHome(), "images"));

    // CiLab's cache folder: $CILAB_CACHE, else $XDG_CACHE_HOME/cilab, else ~/.cache/cilab.
    internal static string CacheHome() => Environment.GetEnvironmentVariable("CILAB_CACHE")
        ?? Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "cilab");

    /// <summary>The cache's folder.</summary>
    public string Root { get; } = root;

    /// <summary>The folder of a complete entry, or null.</summary>
    public string? Find(string key)
    {
        var directory = Path.Combine(Root, key);
        return File.Exists(Path.Combine(directory, ".complete")) ? directory : null;
    }

    /// <summary>
    /// Builds the entry <paramref name="key"/> with <paramref name="build"/> into a partial folder, then moves it into
    /// place. One process builds a key at a time: another that asks meanwhile waits, then takes the finished entry.
    /// </summary>
    public async Task<string> BuildAsync(string key, Func<string, CancellationToken, Task> build, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(log);
        Directory.CreateDirectory(Root);
        using var buildLock = await Host.FileLock.AcquireAsync(Path.Combine(Root, key + ".lock"), $"The build of image {key}", timeout: null,
            holder => log.Line($"Image {key} is being built by {holder}; waiting for it."), cancellationToken).ConfigureAwait(false);
        if (Find(key) is { } builtMeanwhile)
        {
            return builtMeanwhile;
        }

        RemoveAbandonedPartials();
        var final = Path.Combine(Root, key);
        var partial = Path.Combine(Root, $"{key}.partial-{Environment.ProcessId}");
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }

        Directory.CreateDirectory(partial);
        try
        {
            await build(partial, cancellationToken).ConfigureAwait(false);
            // A fresh stamp per build: it is part of the image's id, so overlays made over an earlier build of this key are made again.
            await File.WriteAllTextAsync(Path.Combine(partial, ".complete"), $"{DateTimeOffset.UtcNow:O} {Guid.NewGuid():N}", CancellationToken.None).ConfigureAwait(false);
            if (Directory.Exists(final))
            {
                Directory.Delete(final, recursive: true);
            }

            Directory.Move(partial, final);
            return final;
        }
        finally
        {
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }
        }
    }

    /// <summary>Eight hex digits that differ for every build of an entry (from its completion stamp).</summary>
    public static string BuildStamp(string entryDirectory) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(entryDirectory, ".complete"))))[..8];

    /// <summary>Notes that the lab whose state is in <paramref name="labStateRoot"/> uses entry <paramref name="key"/>, so that another lab's prune keeps it.</summary>
    public void RecordUse(string key, string labStateRoot)
    {
        var users = Path.Combine(Root, key, "users");
        Directory.CreateDirectory(users);
        var name = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(labStateRoot)))[..16];
        Host.AtomicFile.WriteAllText(Path.Combine(users, name), labStateRoot);
    }

    /// <summary>The entries, by name (partial builds and lock files are not entries).</summary>
    public IReadOnlyList<string> List() => Directory.Exists(Root)
        ? [.. Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Where(e => !e.Contains(".partial-", StringComparison.Ordinal)).Order(StringComparer.Ordinal)]
        : [];

    /// <summary>
    /// Deletes the complete entries that neither <paramref name="keep"/> names nor another lab still uses (a lab whose
    /// state folder still exists and that recorded a use), and that no process is building; returns what was deleted and
    /// what was kept for another lab. Partial builds of live processes are never touched.
    /// </summary>
    public (IReadOnlyList<string> Removed, IReadOnlyList<string> KeptForOthers) Prune(IReadOnlySet<string> keep, string labStateRoot)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var removed = new List<string>();
        var kept = new List<string>();
        foreach (var entry in List().Where(e => !keep.Contains(e)))
        {
            var directory = Path.Combine(Root, entry);
            var users = Directory.Exists(Path.Combine(directory, "users"))
                ? Directory.GetFiles(Path.Combine(directory, "users")).Select(File.ReadAllText).Where(u => u != labStateRoot && Directory.Exists(u)).ToList()
                : [];
            if (users.Count > 0)
            {
                kept.Add($"{entry} (used by the lab at {Path.GetDirectoryName(users[0])})");
                continue;
            }

            using var building = Host.FileLock.TryAcquire(Path.Combine(Root, entry + ".lock"));
            if (building is null)
            {
                kept.Add($"{entry} (being built by {Host.FileLock.Holder(Path.Combine(Root, entry + ".lock"))})");
                continue;
            }

            Directory.Delete(directory, recursive: true);
            removed.Add(entry);
        }

        return (removed, kept);
    }

    // A build killed outright (SIGKILL, power loss) leaves its partial folder; its process is gone.
    private void RemoveAbandonedPartials()
    {
        foreach (var directory in Directory.GetDirectories(Root, "*.partial-*"))
        {
            var pid = int.TryParse(directory[(directory.LastIndexOf('-') + 1)..], out var p) ? p : 0;
            if (!Signals.IsAlive(pid))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
