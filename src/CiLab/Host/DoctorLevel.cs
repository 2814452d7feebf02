namespace CiLab.Host;

/// <summary>How a host check came out.</summary>
public enum DoctorLevel
{
    /// <summary>Ready.</summary>
    Ok,

    /// <summary>Works, but slower or with a step left to someone else (say, TCG instead of KVM).</summary>
    Warning,

    /// <summary>CiLab cannot run a lab here until it is fixed.</summary>
    Problem,
}
