namespace CiLab.Build.Engine.Tests;

public sealed class PlanTests : IDisposable
{
    private readonly BuildHarness _harness = new();

    [Fact]
    public async Task Dependencies_run_before_the_targets_that_need_them()
    {
        var build = new SampleBuild();
        var result = await _harness.RunAsync(build, "Test");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Restore", "Compile", "Test"], build.Ran);
    }

    [Fact]
    public async Task After_orders_targets_only_when_both_are_in_the_plan()
    {
        var build = new SampleBuild();
        await _harness.RunAsync(build, "Pack", "Test");
        Assert.Equal(["Restore", "Compile", "Test", "Pack"], build.Ran);

        var alone = new SampleBuild();
        await _harness.RunAsync(alone, "Pack");
        Assert.Equal(["Restore", "Compile", "Pack"], alone.Ran);
    }

    [Fact]
    public async Task The_default_target_runs_when_none_is_named()
    {
        var build = new SampleBuild();
        await _harness.RunAsync(build);
        Assert.Equal(["Restore", "Compile"], build.Ran);
    }

    [Fact]
    public async Task Plan_prints_the_ordered_targets_and_runs_nothing()
    {
        var build = new SampleBuild();
        var result = await _harness.RunAsync(build, "--plan", "Test");
        Assert.Equal(0, result.ExitCode);
        Assert.Empty(build.Ran);
        var text = _harness.Output.ToString();
        Assert.Contains("1. Restore", text, StringComparison.Ordinal);
        Assert.Contains("2. Compile", text, StringComparison.Ordinal);
        Assert.Contains("3. Test", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cycle_is_reported_with_its_members_and_exit_code_2()
    {
        var result = await _harness.RunAsync(new CyclicBuild(), "Start");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cycle: A -> B -> C -> A", _harness.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_target_exits_2_and_suggests_the_closest_name()
    {
        var build = new SampleBuild();
        var result = await _harness.RunAsync(build, "Compil");
        Assert.Equal(2, result.ExitCode);
        Assert.Empty(build.Ran);
        Assert.Contains("There is no target 'Compil'. Did you mean 'Compile'?", _harness.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skip_with_names_skips_those_targets_but_keeps_their_dependencies()
    {
        var build = new SampleBuild();
        var result = await _harness.RunAsync(build, "Test", "--skip", "Compile");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Restore", "Test"], build.Ran);
        Assert.Equal(TargetStatus.Skipped, result.Outcomes.Single(o => o.Name == "Compile").Status);
    }

    [Fact]
    public async Task Skip_alone_runs_only_the_named_targets()
    {
        var build = new SampleBuild();
        await _harness.RunAsync(build, "Test", "--skip");
        Assert.Equal(["Test"], build.Ran);
    }

    [Fact]
    public async Task Skip_of_an_unknown_target_is_a_usage_error()
    {
        var result = await _harness.RunAsync(new SampleBuild(), "Test", "--skip", "Restor");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Did you mean 'Restore'?", _harness.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_targets_with_descriptions_and_dependencies_and_parameters()
    {
        var result = await _harness.RunAsync(new SampleBuild(), "--help");
        Assert.Equal(0, result.ExitCode);
        var text = _harness.Output.ToString();
        Assert.Contains("restores", text, StringComparison.Ordinal);
        Assert.Contains("Compile", text, StringComparison.Ordinal);
        Assert.Contains("depends on Compile", text, StringComparison.Ordinal);
        Assert.Contains("--keep-vm", text, StringComparison.Ordinal);
        Assert.Contains("A text parameter (default: hello)", text, StringComparison.Ordinal);
    }

    public void Dispose() => _harness.Dispose();
}
