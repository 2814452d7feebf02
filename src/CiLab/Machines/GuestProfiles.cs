namespace CiLab.Machines;

/// <summary>The guest profiles a lab file can name (<c>guest:</c>), by name.</summary>
public static class GuestProfiles
{
    private static readonly IGuestProfile[] Known = [LinuxSystemdProfile.Instance, BsdRcProfile.Instance];

    /// <summary>Their names, for lab-file errors.</summary>
    public static IReadOnlyList<string> Names => [.. Known.Select(p => p.Name)];

    /// <summary>The profile called <paramref name="name"/>, or null.</summary>
    public static IGuestProfile? Find(string name) => Known.FirstOrDefault(p => p.Name == name);
}
