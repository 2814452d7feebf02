namespace CiLab.Build.Engine;

/// <summary>The result of one build run: the process exit code and what happened to each target.</summary>
/// <param name="ExitCode">0 success, 1 a target failed, 2 bad usage, 130 cancelled.</param>
/// <param name="Outcomes">The plan's targets in the order they were considered.</param>
public sealed record BuildResult(int ExitCode, IReadOnlyList<TargetOutcome> Outcomes)
{
    /// <summary>The exit code for bad usage (unknown target or parameter, a dependency cycle).</summary>
    public const int UsageError = 2;

    /// <summary>The exit code when the build was cancelled.</summary>
    public const int Cancelled = 130;
}
