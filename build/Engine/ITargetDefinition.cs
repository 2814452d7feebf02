namespace CiLab.Build.Engine;

/// <summary>The fluent description of a target: what it does and how it is ordered against others.</summary>
public interface ITargetDefinition
{
    /// <summary>One line shown by <c>--help</c>.</summary>
    ITargetDefinition Description(string description);

    /// <summary>Targets that must run, and succeed, before this one.</summary>
    ITargetDefinition DependsOn(params Target[] targets);

    /// <summary>Targets that, when they are in the plan anyway, run before this one (ordering only).</summary>
    ITargetDefinition After(params Target[] targets);

    /// <summary>Runs this target even after another target failed or the build was cancelled (clean-up, reports).</summary>
    ITargetDefinition AssuredAfterFailure();

    /// <summary>Adds a synchronous action.</summary>
    ITargetDefinition Executes(Action action);

    /// <summary>Adds an asynchronous action that receives the build's cancellation token (Ctrl-C, SIGTERM).</summary>
    ITargetDefinition Executes(Func<CancellationToken, Task> action);
}
