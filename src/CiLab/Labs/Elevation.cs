namespace CiLab.Labs;

/// <summary>How a guest command gains root.</summary>
public enum Elevation
{
    /// <summary>It runs as the SSH user.</summary>
    None,

    /// <summary>Through <c>sudo -n</c>.</summary>
    Sudo,

    /// <summary>Through <c>doas -n</c> (OpenBSD's, packaged as opendoas).</summary>
    Doas,
}
