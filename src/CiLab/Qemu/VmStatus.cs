namespace CiLab.Qemu;

/// <summary>A VM's status: state, process, ports, uptime, accelerator, owner.</summary>
/// <param name="Name">The VM.</param>
/// <param name="State">Running, stopped or crashed.</param>
/// <param name="Pid">QEMU's process id when running.</param>
/// <param name="SshPort">The SSH port on 127.0.0.1 when running.</param>
/// <param name="Uptime">How long QEMU has run.</param>
/// <param name="Accelerator">kvm or tcg.</param>
/// <param name="Owner">The process that owns the VM (stops it when it ends), or "detached".</param>
public sealed record VmStatus(string Name, VmRunState State, int? Pid, int? SshPort, TimeSpan? Uptime, string? Accelerator, string? Owner)
{
    /// <summary>The column headings of <see cref="ToString"/>'s rows.</summary>
    public static string Header => $"{"VM",-16} {"State",-8} {"Pid",-8} {"SSH",-16} {"Uptime",-8} {"Accel",-5} Owner";

    /// <summary>One table row: name, state, pid, SSH address, uptime, accelerator, owner.</summary>
    public override string ToString() =>
        $"{Name,-16} {State,-8} {(Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"),-8} {(SshPort is { } p ? $"127.0.0.1:{p}" : "-"),-16} {(Uptime is { } u ? $"{u.TotalSeconds:0}s" : "-"),-8} {Accelerator ?? "-",-5} {Owner ?? "-"}";
}
