namespace CiLab.IntegrationTests;

/// <summary><c>cilab doctor</c> as a CI runner's normal user sees it: no root, no kvm group.</summary>
public sealed class DoctorTests
{
    [Fact]
    public async Task As_a_normal_user_doctor_says_tcg_will_be_used_names_the_kvm_fix_for_that_user_and_builds_without_root()
    {
        await using var user = await NormalUser.CreateAsync("cilab-doctor");
        var cli = Path.Combine(AppContext.BaseDirectory, "CiLab.Cli.dll");

        var result = await user.RunAsync($"DOTNET_NOLOGO=1 dotnet {cli} doctor --lab /nonexistent/lab.yaml", TimeSpan.FromMinutes(2));

        var output = result.StandardOutput;
        Assert.True(result.ExitCode == 0, output + result.StandardError);
        Assert.Contains("warn kvm    KVM is not usable", output, StringComparison.Ordinal);
        Assert.Contains("Guests run under TCG", output, StringComparison.Ordinal);
        if (Path.Exists("/dev/kvm") && !output.Contains("neither vmx nor svm", StringComparison.Ordinal))
        {
            Assert.Contains($"sudo usermod -aG kvm {user.Name}", output, StringComparison.Ordinal);
        }

        Assert.Contains($"ok   build  {user.Name} builds images in mmdebstrap's unshare mode", output, StringComparison.Ordinal);
        Assert.Contains($"in {user.Home}/.cache/cilab/images", output, StringComparison.Ordinal);
        Assert.Contains("This host is ready to run labs.", output, StringComparison.Ordinal);
    }
}
