using CiLab.Host;
using CiLab.Images;

namespace CiLab.Tests.Images;

public sealed class RootlessBuildTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cilab-rootless-").FullName;

    private string ProcSys => Path.Combine(_root, "proc-sys");

    private string Etc => Path.Combine(_root, "etc");

    public RootlessBuildTests()
    {
        Directory.CreateDirectory(Path.Combine(ProcSys, "kernel"));
        Directory.CreateDirectory(Path.Combine(ProcSys, "user"));
        Directory.CreateDirectory(Etc);
        File.WriteAllText(Path.Combine(ProcSys, "user/max_user_namespaces"), "96365\n");
    }

    [Fact]
    public void A_user_with_namespaces_and_a_full_range_builds_in_unshare_mode()
    {
        var finding = Check("runner", "runner:165536:65536\n");

        Assert.Equal(DoctorLevel.Ok, finding.Level);
        Assert.Contains("unshare mode (subordinate IDs from 165536", finding.Finding, StringComparison.Ordinal);
    }

    [Fact]
    public void The_range_may_be_listed_under_the_uid()
    {
        Assert.Equal(DoctorLevel.Ok, Check("runner", "1001:165536:65536\n").Level);
        Assert.Equal(DoctorLevel.Problem, Check("runner", "1002:165536:65536\n").Level);
    }

    [Fact]
    public void A_missing_or_short_range_names_the_usermod_command_with_the_next_free_range()
    {
        var missing = Check("runner", string.Empty);
        var shortRange = Check("runner", "runner:165536:1000\n");

        Assert.Equal(DoctorLevel.Problem, missing.Level);
        Assert.Contains("The user runner has no range of 65536 subordinate user IDs", missing.Finding, StringComparison.Ordinal);
        Assert.Equal($"sudo touch {Etc}/subuid {Etc}/subgid && sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 runner", missing.Fix);
        Assert.Equal(DoctorLevel.Problem, shortRange.Level);
    }

    [Theory]
    [InlineData("kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone=1")]
    [InlineData("user/max_user_namespaces", "0", "user.max_user_namespaces=15000")]
    [InlineData("kernel/apparmor_restrict_unprivileged_userns", "1", "kernel.apparmor_restrict_unprivileged_userns=0")]
    public void Namespaces_switched_off_name_the_sysctl_that_turns_them_on(string file, string value, string setting)
    {
        File.WriteAllText(Path.Combine(ProcSys, file), value + "\n");

        var finding = Check("runner", "runner:165536:65536\n");

        Assert.Equal(DoctorLevel.Problem, finding.Level);
        Assert.EndsWith("no image can be built here.", finding.Finding, StringComparison.Ordinal);
        Assert.Contains($"sudo sysctl -w {setting}", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_id_mapping_programs_name_the_package()
    {
        File.WriteAllText(Path.Combine(Etc, "subuid"), "runner:165536:65536\n");
        File.WriteAllText(Path.Combine(Etc, "subgid"), "runner:165536:65536\n");

        var finding = RootlessBuild.Check("runner", 1001, ProcSys, Etc, p => p == "newuidmap" ? "/usr/bin/newuidmap" : null);

        Assert.Equal(DoctorLevel.Problem, finding.Level);
        Assert.Contains("newuidmap and newgidmap", finding.Finding, StringComparison.Ordinal);
        Assert.Equal("sudo apt-get install -y uidmap", finding.Fix);
    }

    [Fact]
    public void Root_builds_in_root_mode_whatever_the_namespaces()
    {
        File.WriteAllText(Path.Combine(ProcSys, "user/max_user_namespaces"), "0\n");

        Assert.Equal(DoctorLevel.Ok, RootlessBuild.Check("root", 0, ProcSys, Etc).Level);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private DoctorFinding Check(string user, string extraRanges)
    {
        File.WriteAllText(Path.Combine(Etc, "subuid"), "alice:100000:65536\n" + extraRanges);
        File.WriteAllText(Path.Combine(Etc, "subgid"), "alice:100000:65536\n" + extraRanges);
        // The host's own uidmap package is not this test's input: the programs are there.
        return RootlessBuild.Check(user, 1001, ProcSys, Etc, p => "/usr/bin/" + p);
    }
}
