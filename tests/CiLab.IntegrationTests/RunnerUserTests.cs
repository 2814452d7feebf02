using System.Xml.Linq;

namespace CiLab.IntegrationTests;

/// <summary>
/// The main job as a self-hosted runner runs it: a normal user (no sudo, no kvm group) with an empty cache, two
/// fresh clones one after the other, the image built once, without root, between them.
/// </summary>
public sealed class RunnerUserTests
{
    [Fact]
    public async Task A_normal_user_runs_the_main_job_from_an_empty_cache_in_two_clones_with_one_image_build()
    {
        await using var user = await NormalUser.CreateAsync("cilab-runner");
        var first = await user.CloneAsync("checkout-a");
        var second = await user.CloneAsync("checkout-b");

        var doctor = await user.RunAsync($"cd {first} && ./nuke.sh Doctor", TimeSpan.FromMinutes(10));
        Assert.True(doctor.ExitCode == 0, $"./nuke.sh Doctor as {user.Name}:\n{doctor.StandardOutput}{doctor.StandardError}");
        Assert.Contains("Guests run under TCG", doctor.StandardOutput, StringComparison.Ordinal);
        if (Path.Exists("/dev/kvm") && !doctor.StandardOutput.Contains("neither vmx nor svm", StringComparison.Ordinal))
        {
            Assert.Contains($"sudo usermod -aG kvm {user.Name}", doctor.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Contains($"ok   build  {user.Name} builds images in mmdebstrap's unshare mode", doctor.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"in {user.Home}/.cache/cilab/images", doctor.StandardOutput, StringComparison.Ordinal);

        var built = await MainJobAsync(user, first);
        Assert.Contains("with mmdebstrap", built, StringComparison.Ordinal);

        var reused = await MainJobAsync(user, second);
        Assert.DoesNotContain("with mmdebstrap", reused, StringComparison.Ordinal);
        Assert.Contains("Image 'debian' is up to date", reused, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(Path.Combine(user.Home, ".cache/cilab/images")));
    }

    // ./nuke.sh TestPhase4 in the clone, through to a passing JUnit report: the build's output.
    private static async Task<string> MainJobAsync(NormalUser user, string checkout)
    {
        var run = await user.RunAsync($"cd {checkout} && ./nuke.sh TestPhase4", TimeSpan.FromMinutes(20));
        var output = run.StandardOutput + run.StandardError;
        Assert.True(run.ExitCode == 0, $"./nuke.sh TestPhase4 as {user.Name} in {checkout} exited {run.ExitCode}:\n{output}");
        var suite = XDocument.Load(Path.Combine(checkout, "artifacts/test-results/phase4.xml")).Descendants("testsuite").Single();
        Assert.True(int.Parse((string)suite.Attribute("tests")!, System.Globalization.CultureInfo.InvariantCulture) > 0, suite.ToString());
        Assert.Equal(("0", "0"), ((string)suite.Attribute("failures")!, (string)suite.Attribute("errors")!));
        return output;
    }
}
