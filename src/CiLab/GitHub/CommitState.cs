namespace CiLab.GitHub;

/// <summary>The state of a commit status.</summary>
public enum CommitState
{
    /// <summary>Could not run.</summary>
    Error,

    /// <summary>Ran and failed.</summary>
    Failure,

    /// <summary>Still running.</summary>
    Pending,

    /// <summary>Ran and passed.</summary>
    Success,
}
