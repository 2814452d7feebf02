using CiLab.Processes;

namespace CiLab.Images;

/// <summary>
/// Built images, content-addressed under the user's cache directory (<c>$XDG_CACHE_HOME/cilab/images</c>).
/// A build happens in a partial folder that is renamed into place only when complete, so an interrupted
/// build never leaves a half-made image behind.
/// </summary>
public sealed class ImageCache(string root)
{
    /// <summary>The cache at <c>$CILAB_CACHE</c>, else <c>$XDG_CACHE_HOME/cilab</c>, else <c>~/.cache/cilab</c>.</summary>
    public static ImageCache Default()
    {
        var root = Environment.GetEnvironmentVariable("CILAB_CACHE")
            ?? Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "cilab");
        return new ImageCache(Path.Combine(root, "images"));
    }

    /// <summary>The cache's folder.</summary>
    public string Root { get; } = root;

    /// <summary>The folder of a complete entry, or null.</summary>
    public string? Find(string key)
    {
        var directory = Path.Combine(Root, key);
        return File.Exists(Path.Combine(directory, ".complete")) ? directory : null;
    }

    /// <summary>Builds the entry <paramref name="key"/> with <paramref name="build"/> into a partial folder, then moves it into place.</summary>
    public async Task<string> BuildAsync(string key, Func<string, CancellationToken, Task> build, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(build);
        Directory.CreateDirectory(Root);
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
            await File.WriteAllTextAsync(Path.Combine(partial, ".complete"), DateTimeOffset.UtcNow.ToString("O"), CancellationToken.None).ConfigureAwait(false);
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

    /// <summary>Entries in the cache, complete or not.</summary>
    public IReadOnlyList<string> List() => Directory.Exists(Root) ? [.. Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)] : [];

    /// <summary>Deletes every entry except <paramref name="keep"/>; returns what was deleted.</summary>
    public IReadOnlyList<string> Prune(IReadOnlySet<string> keep)
    {
        var removed = new List<string>();
        foreach (var entry in List().Where(e => !keep.Contains(e)))
        {
            Directory.Delete(Path.Combine(Root, entry), recursive: true);
            removed.Add(entry);
        }

        return removed;
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
