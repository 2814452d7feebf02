namespace CiLab.Proxmox;

/// <summary>What a lab remembers of its clone: the VMID, and the guest's address once its agent reported it.</summary>
internal sealed record ProxmoxVmState(int Vmid, string? Address);
