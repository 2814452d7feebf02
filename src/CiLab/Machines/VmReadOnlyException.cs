namespace CiLab.Machines;

/// <summary>An operation that changes or stops a VM was refused because the lab marks the VM read-only.</summary>
public sealed class VmReadOnlyException(string vm, string operation)
    : VmException($"VM '{vm}' is read-only in the lab file: '{operation}' is refused. Remove 'read-only: true' to allow it.");
