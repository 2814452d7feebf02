namespace CiLab.Machines;

/// <summary>Another run holds the VM, and this one was told not to wait.</summary>
public sealed class VmBusyException(string vmName, string holder)
    : VmException($"VM '{vmName}' is in use by {holder}. Wait for that run to end, or stop it; two runs never drive one VM at once.")
{
    /// <summary>The VM.</summary>
    public string VmName { get; } = vmName;

    /// <summary>Who holds it, as that run wrote it.</summary>
    public string Holder { get; } = holder;
}
