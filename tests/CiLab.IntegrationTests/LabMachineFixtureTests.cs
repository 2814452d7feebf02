using CiLab.Machines;
using CiLab.Xunit;

namespace CiLab.IntegrationTests;

/// <summary>The README's fixture example, as a user's test project would write it: the default lab's phase4 VM.</summary>
public sealed class Phase4Vm() : LabMachineFixture("lab.yaml", "phase4");

/// <summary>A VM per test class, put back to its clean snapshot before each test.</summary>
public sealed class LabMachineFixtureTests(Phase4Vm vm) : IClassFixture<Phase4Vm>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => new(vm.ResetAsync(Ct));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Theory]
    [InlineData("first")]
    [InlineData("second")]
    public async Task Each_test_finds_the_vm_as_the_snapshot_left_it(string test)
    {
        var found = await vm.Machine.Shell.RunAsync(new GuestCommand { Script = "cat ~/fixture-marker 2>/dev/null || echo none" }, Ct);
        await vm.Machine.Shell.RunAsync(new GuestCommand { Script = $"echo {test} > ~/fixture-marker" }, Ct);

        Assert.Equal("none", found.StandardOutput.Trim());
        Assert.Equal("0", (await vm.Machine.RootShell.RunAsync(new GuestCommand { Script = "id -u" }, Ct)).StandardOutput.Trim());
    }
}
