namespace CiLab.Images;

/// <summary>
/// The Debian packages earlier image builds downloaded, kept in <c>apt-archives</c> beside the image cache so that a
/// rebuild (a new recipe version, one more package, a second recipe) downloads only what it has not seen. mmdebstrap
/// copies the archive into the tree before apt runs and the build's packages out into its own folder; only a finished
/// build's packages join the archive, each by an atomic rename, so a concurrent or interrupted build never sees half a
/// file (and apt checks every package's hash against the mirror's index before it uses it).
/// </summary>
internal sealed class PackageArchive(string directory)
{
    /// <summary>How long a package no build has used stays in the archive.</summary>
    public static readonly TimeSpan Unused = TimeSpan.FromDays(30);

    /// <summary>The archive beside <see cref="ImageCache.Default"/>'s images.</summary>
    public static PackageArchive Default() => new(Path.Combine(ImageCache.CacheHome(), "apt-archives"));

    /// <summary>The archive's folder.</summary>
    public string Directory { get; } = directory;

    /// <summary>
    /// Moves the packages a finished build collected in <paramref name="collected"/> into the archive, marks them used
    /// now, and drops the packages no build used for <see cref="Unused"/>. Returns how many packages the build used.
    /// </summary>
    public int Keep(string collected, DateTime now)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var used = 0;
        foreach (var package in System.IO.Directory.GetFiles(collected, "*.deb"))
        {
            var kept = Path.Combine(Directory, Path.GetFileName(package));
            File.Move(package, kept, overwrite: true);
            File.SetLastWriteTimeUtc(kept, now);
            used++;
        }

        foreach (var package in System.IO.Directory.GetFiles(Directory, "*.deb").Where(p => now - File.GetLastWriteTimeUtc(p) > Unused))
        {
            File.Delete(package);
        }

        return used;
    }
}
