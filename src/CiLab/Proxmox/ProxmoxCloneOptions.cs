namespace CiLab.Proxmox;

/// <summary>How a lab VM is cloned from its template.</summary>
/// <param name="Full">A full copy of the disks instead of a linked clone (the default for templates).</param>
/// <param name="Storage">Target storage for a full clone.</param>
/// <param name="Pool">The resource pool the clone joins.</param>
internal sealed record ProxmoxCloneOptions(bool Full = false, string? Storage = null, string? Pool = null);
