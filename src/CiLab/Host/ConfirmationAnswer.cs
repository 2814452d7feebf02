namespace CiLab.Host;

/// <summary>What a person answered to a destructive verb's question.</summary>
public enum ConfirmationAnswer
{
    /// <summary>They said yes.</summary>
    Yes,

    /// <summary>They said no (or anything but yes).</summary>
    No,

    /// <summary>Nobody can answer: CI, or no terminal on standard input. Such runs need an explicit --yes.</summary>
    NotInteractive,
}
