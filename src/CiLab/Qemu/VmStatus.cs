namespace CiLab.Qemu;

/// <summary>A VM's status: state, process, ports, uptime, accelerator, owner.</summary>
/// <param name="Name">The VM.</param>
/// <param name="State">Running, stopped or crashed.</param>
/// <param name="Pid">QEMU's process id when running.</param>
/// <param name="SshPort">The SSH port on 127.0.0.1 when running.</param>
/// <param name="Uptime">How long QEMU has run.</param>
/// <param name="Accelerator">kvm or tcg.</param>
/// <param name="Owner">The process that owns the VM (stops it when it ends), or "detached".</param>
public sealed record VmStatus(string Name, VmRunState State, int? Pid, int? SshPort, TimeSpan? Uptime, string? Accelerator, string? Owner);
