using CiLab.Host;

namespace CiLab.IntegrationTests;

/// <summary>The host install step on this (Debian) machine: quiet while apt works, its log's end when it fails.</summary>
public sealed class HostPrerequisitesTests
{
    [Fact]
    public async Task An_install_prints_a_line_per_step_and_on_failure_the_end_of_its_log()
    {
        var log = new StringWriter();
        var e = await Assert.ThrowsAsync<HostPrerequisitesMissingException>(() => HostPrerequisites.EnsureAsync(
            [new HostTool("cilab-no-such-command", "cilab-no-such-package")], new LineLogger(log), TestContext.Current.CancellationToken));

        Assert.Contains("cilab-no-such-package", e.Message, StringComparison.Ordinal);
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length <= 3, log.ToString());
        if (Environment.UserName == "root")
        {
            // apt-get update ran and said nothing here; the failed install's own words and the log's path are in the error.
            Assert.Contains("apt-get update: done in", log.ToString(), StringComparison.Ordinal);
            Assert.Contains("Unable to locate package cilab-no-such-package", e.Message, StringComparison.Ordinal);
            var path = e.Message[(e.Message.IndexOf("Full log: ", StringComparison.Ordinal) + "Full log: ".Length)..].Trim();
            Assert.Contains("$ apt-get install", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
    }
}
