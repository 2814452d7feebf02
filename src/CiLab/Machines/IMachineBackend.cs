using CiLab.Labs;

namespace CiLab.Machines;

/// <summary>
/// What runs a lab's VMs (<c>backend:</c> in the lab file): local QEMU, a Proxmox VE cluster, ... Register one with
/// <see cref="MachineBackends.Register"/>; see the README's "Adding a backend".
/// </summary>
public interface IMachineBackend
{
    /// <summary>Its name in the lab file (<c>qemu</c>).</summary>
    string Name { get; }

    /// <summary>The machine for <paramref name="vm"/> of <paramref name="lab"/>, ready to set up or start (its image resolved).</summary>
    Task<IMachine> CreateAsync(Lab lab, VmDefinition vm, CancellationToken cancellationToken);

    /// <summary>The status of <paramref name="vm"/>, read from state alone: it never builds, boots or writes anything.</summary>
    VmStatus ReadStatus(LabDefinition lab, LabState state, VmDefinition vm);
}
