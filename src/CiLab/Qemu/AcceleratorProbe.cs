namespace CiLab.Qemu;

/// <summary>
/// Chooses between KVM and TCG. KVM only when /dev/kvm opens for read and write and the CPU shows vmx or svm:
/// some hosts have a /dev/kvm under which guests hang, and their CPU flags give them away.
/// </summary>
public static class AcceleratorProbe
{
    /// <summary>The accelerator for <paramref name="requested"/> (<c>auto</c>, <c>kvm</c>, <c>tcg</c>).</summary>
    /// <exception cref="AcceleratorUnavailableException"><c>kvm</c> was asked for and is not usable.</exception>
    public static string Choose(string requested, string devicePath = "/dev/kvm", string cpuInfoPath = "/proc/cpuinfo")
    {
        return requested switch
        {
            "tcg" => "tcg",
            "kvm" => WhyNotKvm(devicePath, cpuInfoPath) is { } why ? throw new AcceleratorUnavailableException($"KVM was requested but cannot be used here: {why}. Use accelerator: auto or tcg.") : "kvm",
            _ => WhyNotKvm(devicePath, cpuInfoPath) is null ? "kvm" : "tcg",
        };
    }

    /// <summary>Why KVM is not usable here, or null when it is.</summary>
    public static string? WhyNotKvm(string devicePath = "/dev/kvm", string cpuInfoPath = "/proc/cpuinfo")
    {
        if (!Path.Exists(devicePath))
        {
            return $"{devicePath} does not exist (no KVM module, or a container without the device)";
        }

        try
        {
            using var device = new FileStream(devicePath, FileMode.Open, FileAccess.ReadWrite);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return $"{devicePath} cannot be opened for read and write ({e.Message}); add the user to the kvm group";
        }

        var flags = File.Exists(cpuInfoPath) ? File.ReadLines(cpuInfoPath).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? string.Empty : string.Empty;
        var words = flags.Split([' ', '\t', ':'], StringSplitOptions.RemoveEmptyEntries);
        return words.Contains("vmx") || words.Contains("svm")
            ? null
            : "the CPU shows neither vmx nor svm (nested virtualization is off), so guests would hang under KVM";
    }
}
