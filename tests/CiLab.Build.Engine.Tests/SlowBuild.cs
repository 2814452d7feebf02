using CiLab.Build.Engine;

namespace CiLab.Build.Engine.Tests;

/// <summary>A build with a target that waits until cancelled, and a clean-up target that must still run.</summary>
internal sealed class SlowBuild : NukeBuild
{
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool CleanupRan { get; private set; }

    public bool CleanupTokenWasLive { get; private set; }

    public Target Wait => _ => _.Executes(async ct =>
    {
        Started.SetResult();
        await Task.Delay(Timeout.Infinite, ct);
    });

    public Target Cleanup => _ => _.After(Wait).AssuredAfterFailure().Executes(ct =>
    {
        CleanupRan = true;
        CleanupTokenWasLive = !ct.IsCancellationRequested;
        return Task.CompletedTask;
    });
}
