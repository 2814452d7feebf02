namespace CiLab.Labs;

/// <summary>The lab's Proxmox VE cluster (<c>proxmox:</c> in lab.yaml), for VMs with <c>backend: proxmox</c>.</summary>
public sealed record ProxmoxSettings
{
    /// <summary>The API's address, e.g. https://pve1.example.org:8006/.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The node the lab's VMs are cloned on.</summary>
    public required string Node { get; init; }

    /// <summary>The lowest VMID CiLab may give a clone.</summary>
    public int FirstVmid { get; init; } = 9100;

    /// <summary>The highest VMID CiLab may give a clone.</summary>
    public int LastVmid { get; init; } = 9199;

    /// <summary>The API certificate's pinned SHA-256 fingerprint; null to trust the system's CAs.</summary>
    public string? Fingerprint { get; init; }

    /// <summary>Full clones instead of linked ones.</summary>
    public bool FullClone { get; init; }

    /// <summary>Target storage for full clones.</summary>
    public string? Storage { get; init; }

    /// <summary>The resource pool clones join.</summary>
    public string? Pool { get; init; }

    /// <summary>The guests' SSH port.</summary>
    public int SshPort { get; init; } = 22;
}
