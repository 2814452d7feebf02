namespace CiLab.Labs;

/// <summary>A lab: images, the VMs that boot them, the suites that run in them, and what is synced in.</summary>
public sealed record LabDefinition
{
    /// <summary>The lab file it came from (its folder anchors relative paths), or the folder for labs built in code.</summary>
    public required string Path { get; init; }

    /// <summary>Images by name.</summary>
    public IReadOnlyList<ImageDefinition> Images { get; init; } = [];

    /// <summary>VMs.</summary>
    public IReadOnlyList<VmDefinition> Vms { get; init; } = [];

    /// <summary>Suites.</summary>
    public IReadOnlyList<SuiteDefinition> Suites { get; init; } = [];

    /// <summary>The suites run when none are named (<c>default-suites</c>); every suite when empty.</summary>
    public IReadOnlyList<string> DefaultSuites { get; init; } = [];

    /// <summary>Extra exclude patterns for code sync.</summary>
    public IReadOnlyList<string> SyncExcludes { get; init; } = [];

    /// <summary>The Proxmox VE cluster VMs with <c>backend: proxmox</c> run on; null when the lab has none.</summary>
    public ProxmoxSettings? Proxmox { get; init; }

    /// <summary>The folder relative paths start from.</summary>
    public string Directory => File.Exists(Path) ? System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))! : System.IO.Path.GetFullPath(Path);

    /// <summary>The VM called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">There is none; the message lists those there are.</exception>
    public VmDefinition Vm(string name) => Vms.FirstOrDefault(v => v.Name == name)
        ?? throw new ArgumentException($"The lab has no VM '{name}' (it has: {string.Join(", ", Vms.Select(v => v.Name))}).", nameof(name));

    /// <summary>The image called <paramref name="name"/>.</summary>
    public ImageDefinition Image(string name) => Images.FirstOrDefault(i => i.Name == name)
        ?? throw new ArgumentException($"The lab has no image '{name}' (it has: {string.Join(", ", Images.Select(i => i.Name))}).", nameof(name));

    /// <summary>The suite called <paramref name="name"/>.</summary>
    public SuiteDefinition Suite(string name) => Suites.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"The lab has no suite '{name}' (it has: {string.Join(", ", Suites.Select(s => s.Name))}).", nameof(name));

    /// <summary>
    /// The suites to run for <paramref name="names"/> — suite names, <c>all</c>, or none for the default set — with what
    /// they need added: in the order asked (the lab file's for all and the default set), each after its needs.
    /// </summary>
    /// <exception cref="ArgumentException">A name is not a suite of the lab; the message lists those there are.</exception>
    public IReadOnlyList<SuiteDefinition> SelectSuites(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var wanted = names.Count == 0 ? (DefaultSuites.Count > 0 ? DefaultSuites : [.. Suites.Select(s => s.Name)])
            : names.Contains("all") ? [.. Suites.Select(s => s.Name)]
            : names;
        var ordered = new List<SuiteDefinition>();
        void Add(SuiteDefinition suite, int depth)
        {
            if (ordered.Contains(suite) || depth > Suites.Count)
            {
                return;
            }

            foreach (var need in suite.Needs)
            {
                Add(Suite(need), depth + 1);
            }

            ordered.Add(suite);
        }

        foreach (var name in wanted)
        {
            Add(Suite(name), 0);
        }

        return ordered;
    }
}
