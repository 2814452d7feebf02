namespace CiLab.Machines;

/// <summary>A VM's status: state, process, address, uptime, accelerator, owner, snapshots and the age of its image.</summary>
/// <param name="Name">The VM.</param>
/// <param name="State">Running, stopped or crashed.</param>
/// <param name="Pid">The local process running it (QEMU's), when there is one.</param>
/// <param name="Address">Where its SSH server answers (host:port), when running.</param>
/// <param name="Uptime">How long it has run.</param>
/// <param name="Accelerator">kvm or tcg (or what the backend reports).</param>
/// <param name="Owner">The process that owns the VM (stops it when it ends), or "detached".</param>
public sealed record VmStatus(string Name, VmRunState State, int? Pid, string? Address, TimeSpan? Uptime, string? Accelerator, string? Owner)
{
    /// <summary>The snapshots saved of the VM's current disk, oldest first (empty when unknown).</summary>
    public IReadOnlyList<string> Snapshots { get; init; } = [];

    /// <summary>When the image under the VM's disk was built or fetched, when known.</summary>
    public DateTimeOffset? ImageCreated { get; init; }

    /// <summary>The column headings of <see cref="ToString"/>'s rows.</summary>
    public static string Header => $"{"VM",-16} {"State",-8} {"Pid",-8} {"SSH",-21} {"Uptime",-8} {"Accel",-5} {"Owner",-12} {"Image age",-9} Snapshots";

    /// <summary>One table row: name, state, pid, SSH address, uptime, accelerator, owner, image age, snapshots.</summary>
    public override string ToString() =>
        $"{Name,-16} {State,-8} {(Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"),-8} {Address ?? "-",-21} {(Uptime is { } u ? $"{u.TotalSeconds:0}s" : "-"),-8} {Accelerator ?? "-",-5} {Owner ?? "-",-12} {(ImageCreated is { } c ? Age(DateTimeOffset.UtcNow - c) : "-"),-9} {(Snapshots.Count > 0 ? string.Join(", ", Snapshots) : "-")}";

    private static string Age(TimeSpan age) => age.TotalMinutes < 60 ? $"{Math.Max(0, (int)age.TotalMinutes)}m" : age.TotalHours < 48 ? $"{(int)age.TotalHours}h" : $"{(int)age.TotalDays}d";
}
