namespace CiLab.Machines;

/// <summary>A step asked a machine for something its backend cannot do (pull its network cable, press reset, read its console).</summary>
public sealed class CapabilityMissingException(string vmName, string backend, string capability)
    : VmException($"VM '{vmName}' cannot {capability}: its backend ({backend}) does not offer it.")
{
    /// <summary>What was asked, in words.</summary>
    public string Capability { get; } = capability;
}
