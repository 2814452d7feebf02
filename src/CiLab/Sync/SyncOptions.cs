namespace CiLab.Sync;

/// <summary>What a code sync leaves out and where it keeps its manifest.</summary>
public sealed record SyncOptions
{
    /// <summary>Excludes on top of <see cref="CodeSync.DefaultExcludes"/> and the project's .gitignore (rsync patterns).</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>
    /// Where to keep a manifest of each sync (the VM's state folder): with it, a sync to a guest copy nobody touched since
    /// sends only what changed on the host, and a guest with no copy gets the tree as one stream. None: every sync
    /// compares both trees.
    /// </summary>
    public string? StateDirectory { get; init; }
}
