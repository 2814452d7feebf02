namespace CiLab.GitHub;

/// <summary>How a completed check run ended.</summary>
public enum CheckConclusion
{
    /// <summary>Everything passed.</summary>
    Success,

    /// <summary>Something failed.</summary>
    Failure,

    /// <summary>Neither passed nor failed (nothing ran).</summary>
    Neutral,

    /// <summary>Stopped before it finished.</summary>
    Cancelled,

    /// <summary>Ran out of time.</summary>
    TimedOut,

    /// <summary>Was skipped.</summary>
    Skipped,
}
