namespace CiLab.Host;

/// <summary>One thing <see cref="HostDoctor"/> checked: what it found, and the exact fix when something is missing.</summary>
/// <param name="Check">What was checked (kvm, tools, root, disk, cache, vms).</param>
/// <param name="Level">Whether the host is ready in this respect.</param>
/// <param name="Finding">What was found, as a sentence.</param>
/// <param name="Fix">The command or step that fixes it; null when nothing needs doing.</param>
public sealed record DoctorFinding(string Check, DoctorLevel Level, string Finding, string? Fix = null)
{
    /// <summary>"ok   kvm    …" and, when there is one, the fix on the next line.</summary>
    public override string ToString()
    {
        var mark = Level switch { DoctorLevel.Ok => "ok  ", DoctorLevel.Warning => "warn", _ => "FAIL" };
        return Fix is null ? $"{mark} {Check,-6} {Finding}" : $"{mark} {Check,-6} {Finding}{Environment.NewLine}            fix: {Fix}";
    }
}
