using CiLab.Processes;

namespace CiLab.IntegrationTests;

/// <summary>The bootstrap scripts as a user types them.</summary>
public sealed class NukeScriptTests
{
    [Theory]
    [InlineData("nuke")]
    [InlineData("nuke.sh")]
    public async Task The_plan_of_TestPhase4_is_printed_by_either_script(string script)
    {
        var result = await CliWrap.Cli.Wrap(Path.Combine(GuestLab.RepositoryRoot, script)).WithArguments("--plan", "TestPhase4")
            .WithWorkingDirectory(Path.GetTempPath()).WithValidation(false).ExecuteBoundedAsync(TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains("1. VmSetup", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("4. TestPhase4", result.StandardOutput, StringComparison.Ordinal);
    }
}
