namespace CiLab.Build;

/// <summary>The .NET build configuration.</summary>
public enum Configuration
{
    /// <summary>Debug build (the default locally).</summary>
    Debug,

    /// <summary>Release build.</summary>
    Release,
}
