namespace CiLab.Machines;

/// <summary>A VM's status: state, process, address, uptime, accelerator, owner.</summary>
/// <param name="Name">The VM.</param>
/// <param name="State">Running, stopped or crashed.</param>
/// <param name="Pid">The local process running it (QEMU's), when there is one.</param>
/// <param name="Address">Where its SSH server answers (host:port), when running.</param>
/// <param name="Uptime">How long it has run.</param>
/// <param name="Accelerator">kvm or tcg (or what the backend reports).</param>
/// <param name="Owner">The process that owns the VM (stops it when it ends), or "detached".</param>
public sealed record VmStatus(string Name, VmRunState State, int? Pid, string? Address, TimeSpan? Uptime, string? Accelerator, string? Owner)
{
    /// <summary>The column headings of <see cref="ToString"/>'s rows.</summary>
    public static string Header => $"{"VM",-16} {"State",-8} {"Pid",-8} {"SSH",-21} {"Uptime",-8} {"Accel",-5} Owner";

    /// <summary>One table row: name, state, pid, SSH address, uptime, accelerator, owner.</summary>
    public override string ToString() =>
        $"{Name,-16} {State,-8} {(Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"),-8} {Address ?? "-",-21} {(Uptime is { } u ? $"{u.TotalSeconds:0}s" : "-"),-8} {Accelerator ?? "-",-5} {Owner ?? "-"}";
}
