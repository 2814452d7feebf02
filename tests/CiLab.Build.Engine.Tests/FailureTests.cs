namespace CiLab.Build.Engine.Tests;

public sealed class FailureTests : IDisposable
{
    private readonly BuildHarness _harness = new();

    [Fact]
    public async Task A_failing_target_stops_its_dependents_and_fails_the_build()
    {
        var build = new SampleBuild();
        build.Failing.Add("Compile");
        var result = await _harness.RunAsync(build, "Test");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["Restore", "Compile"], build.Ran);
        var test = result.Outcomes.Single(o => o.Name == "Test");
        Assert.Equal(TargetStatus.NotRun, test.Status);
        Assert.Equal("Compile did not succeed", test.Note);
        Assert.Contains("Compile was told to fail", _harness.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assured_targets_run_after_a_failure()
    {
        var build = new SampleBuild();
        build.Failing.Add("Test");
        var result = await _harness.RunAsync(build, "Test", "Report");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["Restore", "Compile", "Test", "Report"], build.Ran);
        Assert.Equal(TargetStatus.Succeeded, result.Outcomes.Single(o => o.Name == "Report").Status);
    }

    [Fact]
    public async Task The_summary_table_lists_every_target_with_its_status()
    {
        var build = new SampleBuild();
        build.Failing.Add("Compile");
        await _harness.RunAsync(build, "Test");
        var lines = _harness.Output.ToString().Split('\n');

        Assert.Contains(lines, l => l.StartsWith("Restore", StringComparison.Ordinal) && l.Contains("Succeeded", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Compile", StringComparison.Ordinal) && l.Contains("Failed", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Test", StringComparison.Ordinal) && l.Contains("NotRun", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Build failed.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unexpected_exception_fails_its_target_with_the_message_and_type()
    {
        var build = new ThrowingBuild();
        var result = await _harness.RunAsync(build, "Boom");
        Assert.Equal(1, result.ExitCode);
        var text = _harness.Output.ToString();
        Assert.Contains("error: Boom: disk on fire", text, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_stops_the_running_target_and_assured_targets_still_run_with_a_live_token()
    {
        var build = new SlowBuild();
        using var cancellation = new CancellationTokenSource();
        var run = _harness.RunAsync(build, cancellation.Token, "Wait", "Cleanup");
        await build.Started.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await cancellation.CancelAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal(130, result.ExitCode);
        Assert.Equal("cancelled", result.Outcomes.Single(o => o.Name == "Wait").Note);
        Assert.True(build.CleanupRan);
        Assert.True(build.CleanupTokenWasLive);
    }

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task An_exception_the_build_calls_explained_fails_its_target_with_the_message_alone()
    {
        var result = await _harness.RunAsync(new ThrowingBuild(), "Explained");
        Assert.Equal(1, result.ExitCode);
        var text = _harness.Output.ToString();
        Assert.Contains("error: Explained: VM 'a' has no snapshot 'clean'.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("TimeoutException", text, StringComparison.Ordinal);
    }

    private sealed class ThrowingBuild : NukeBuild
    {
        public Target Boom => _ => _.Executes(() => throw new InvalidOperationException("disk on fire"));

        public Target Explained => _ => _.Executes(() => throw new TimeoutException("VM 'a' has no snapshot 'clean'."));

        protected internal override bool IsExplainedFailure(Exception exception) => exception is TimeoutException;
    }
}
