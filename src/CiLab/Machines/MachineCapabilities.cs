namespace CiLab.Machines;

/// <summary>Asking a machine for an optional capability, with one clear sentence when it lacks it.</summary>
public static class MachineCapabilities
{
    /// <summary>The machine as <typeparamref name="T"/>, for <paramref name="capability"/> (in words: "pull its network cable").</summary>
    /// <exception cref="CapabilityMissingException">Its backend does not offer it.</exception>
    public static T Require<T>(this IMachine machine, string capability)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(machine);
        return machine as T ?? throw new CapabilityMissingException(machine.Name, machine.Definition.Backend, capability);
    }
}
