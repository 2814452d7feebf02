using CiLab.Processes;

namespace CiLab.IntegrationTests;

/// <summary><c>cilab doctor</c> as a CI runner's normal user sees it: no root, no kvm group.</summary>
public sealed class DoctorTests
{
    private const string User = "cilab-doctor";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task As_a_normal_user_doctor_says_tcg_will_be_used_names_the_kvm_fix_for_that_user_and_that_builds_need_root()
    {
        Assert.True(Environment.UserName == "root", "this test creates a normal user and needs root (CI runs as root)");
        var home = Directory.CreateTempSubdirectory("cilab-doctor-home-").FullName;
        await Run("sh", "-c", $"id {User} >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin {User}");
        await Run("chown", User, home);
        try
        {
            var cli = Path.Combine(AppContext.BaseDirectory, "CiLab.Cli.dll");
            var result = await CliWrap.Cli.Wrap("runuser").WithArguments(["-u", User, "--", "env", $"HOME={home}", "DOTNET_CLI_TELEMETRY_OPTOUT=1", "DOTNET_NOLOGO=1", "dotnet", cli, "doctor", "--lab", "/nonexistent/lab.yaml"])
                .WithWorkingDirectory(home).WithValidation(false).ExecuteBoundedAsync(Ct);

            var output = result.StandardOutput;
            Assert.True(result.ExitCode == 0, output + result.StandardError);
            Assert.Contains("warn kvm    KVM is not usable", output, StringComparison.Ordinal);
            Assert.Contains("Guests run under TCG", output, StringComparison.Ordinal);
            if (Path.Exists("/dev/kvm") && !output.Contains("neither vmx nor svm", StringComparison.Ordinal))
            {
                Assert.Contains($"sudo usermod -aG kvm {User}", output, StringComparison.Ordinal);
            }

            Assert.Contains($"warn root   {User} is not root", output, StringComparison.Ordinal);
            Assert.Contains($"in {home}/.cache/cilab/images", output, StringComparison.Ordinal);
            Assert.Contains("This host is ready to run labs.", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
            await Run("userdel", User);
        }
    }

    private static async Task Run(params string[] argv)
    {
        var result = await CliWrap.Cli.Wrap(argv[0]).WithArguments(argv[1..]).WithValidation(false).ExecuteBoundedAsync(Ct);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', argv)}: {result.StandardError}");
    }
}
