namespace CiLab.GitHub;

/// <summary>The severity of a check run annotation.</summary>
public enum CheckAnnotationLevel
{
    /// <summary>Information.</summary>
    Notice,

    /// <summary>A warning.</summary>
    Warning,

    /// <summary>A failure.</summary>
    Failure,
}
