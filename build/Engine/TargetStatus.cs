namespace CiLab.Build.Engine;

/// <summary>How a target in the plan ended.</summary>
public enum TargetStatus
{
    /// <summary>It ran and succeeded.</summary>
    Succeeded,

    /// <summary>It ran and failed (or was cancelled).</summary>
    Failed,

    /// <summary>It was skipped on request (<c>--skip</c>).</summary>
    Skipped,

    /// <summary>It did not run because a target before it failed.</summary>
    NotRun,
}
