using CiLab.Host;

namespace CiLab.Tests.Host;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HostDoctorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-doctor-").FullName;

    [Fact]
    public void Without_a_kvm_device_it_says_tcg_will_be_used_and_how_to_get_kvm()
    {
        var finding = HostDoctor.Kvm("runner", Path.Combine(_directory, "kvm"), Cpu("vmx"));

        Assert.Equal(DoctorLevel.Warning, finding.Level);
        Assert.Contains("does not exist", finding.Finding, StringComparison.Ordinal);
        Assert.Contains("TCG", finding.Finding, StringComparison.Ordinal);
        Assert.Contains("kvm_intel or kvm_amd", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_this_user_cannot_open_names_the_kvm_group_and_the_user()
    {
        // A folder stands in for a device that does not open for read and write (root opens any file).
        var device = Directory.CreateDirectory(Path.Combine(_directory, "kvm")).FullName;
        File.SetUnixFileMode(device, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var finding = HostDoctor.Kvm("runner", device, Cpu("vmx"));

        Assert.Equal(DoctorLevel.Warning, finding.Level);
        Assert.Contains("add the user to the kvm group", finding.Finding, StringComparison.Ordinal);
        Assert.Contains("sudo usermod -aG kvm runner", finding.Fix, StringComparison.Ordinal);
        Assert.Contains("MODE=\"0660\"", finding.Fix, StringComparison.Ordinal); // The device is not open to its group.

        File.SetUnixFileMode(device, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        Assert.DoesNotContain("udev", HostDoctor.Kvm("runner", device, Cpu("vmx")).Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cpu_without_vmx_or_svm_means_tcg_and_a_usable_device_with_them_means_kvm()
    {
        var device = Path.Combine(_directory, "kvm");
        File.WriteAllText(device, string.Empty);

        var nested = HostDoctor.Kvm("runner", device, Cpu("sse2"));
        var ready = HostDoctor.Kvm("runner", device, Cpu("svm"));

        Assert.Equal(DoctorLevel.Warning, nested.Level);
        Assert.Contains("nested virtualization", nested.Fix, StringComparison.Ordinal);
        Assert.Equal((DoctorLevel.Ok, null), (ready.Level, ready.Fix));
        Assert.StartsWith("ok   kvm ", ready.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_tool_given_as_a_file_path_is_looked_for_at_that_path()
    {
        var keyring = Path.Combine(_directory, "debian-archive-keyring.gpg");
        HostTool tool = new(keyring, "debian-archive-keyring");

        Assert.Equal([tool], HostPrerequisites.FindMissing([tool]));
        File.WriteAllText(keyring, string.Empty);
        Assert.Empty(HostPrerequisites.FindMissing([tool]));
    }

    [Theory]
    [InlineData(20L << 30, DoctorLevel.Ok)]
    [InlineData(5L << 30, DoctorLevel.Warning)]
    [InlineData(1L << 30, DoctorLevel.Problem)]
    public void Free_disk_below_the_thresholds_warns_then_stops(long free, DoctorLevel level)
    {
        var finding = HostDoctor.Disk("/cache", free);

        Assert.Equal(level, finding.Level);
        Assert.Equal(level == DoctorLevel.Ok, finding.Fix is null);
        Assert.StartsWith(level == DoctorLevel.Problem ? "FAIL disk" : level == DoctorLevel.Warning ? "warn disk" : "ok   disk", finding.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Cpu(string flag)
    {
        var path = Path.Combine(_directory, "cpuinfo-" + flag);
        File.WriteAllText(path, $"processor\t: 0\nflags\t\t: fpu de pse {flag} aes\n");
        return path;
    }
}
