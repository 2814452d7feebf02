using System.Xml.Linq;
using CiLab.Processes;

namespace CiLab.IntegrationTests;

/// <summary>
/// The second job end to end, through the build itself as a user runs it (./nuke.sh TestUpgrade): both upgrade VMs,
/// all of seed 001's tests, one JUnit case per step and VM.
/// </summary>
public sealed class TestUpgradeFlowTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TestUpgrade_passes_every_step_on_both_vms_and_reports_each_as_a_case()
    {
        var root = GuestLab.RepositoryRoot;
        var build = Path.Combine(root, "artifacts", "build-bin", "_build.dll");
        Assert.True(File.Exists(build), $"{build} is missing: run the tests through ./nuke.sh Test, which builds it.");
        var output = new System.Text.StringBuilder();
        var run = await CliWrap.Cli.Wrap("dotnet").WithArguments(build, "TestUpgrade")
            .WithWorkingDirectory(root)
            .WithValidation(false)
            .WithStandardOutputLine(line => output.AppendLine(line))
            .WithStandardErrorLine(line => output.AppendLine(line))
            .ExecuteBoundedAsync(Ct, grace: TimeSpan.FromSeconds(30));

        Assert.True(run.ExitCode == 0, $"./nuke.sh TestUpgrade exited with {run.ExitCode}:\n{output}");
        var junit = XDocument.Load(Path.Combine(root, "artifacts", "test-results", "TestUpgrade.xml"));
        foreach (var vm in new[] { "sorrow", "torment" })
        {
            var cases = junit.Descendants("testcase").Where(c => (string?)c.Attribute("classname") == $"TestUpgrade.{vm}").ToList();
            Assert.True(cases.Count >= 11, $"{vm} has {cases.Count} cases.");
            Assert.All(cases, c => Assert.DoesNotContain(c.Elements(), e => e.Name.LocalName is "failure" or "error" or "skipped"));
            Assert.Contains(cases, c => (string?)c.Attribute("name") == "boot failure falls back to golden");
        }
    }
}
