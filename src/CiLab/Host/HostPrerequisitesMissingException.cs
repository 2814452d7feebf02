namespace CiLab.Host;

/// <summary>Host programs are missing and could not be installed here; the message gives the command to run.</summary>
public sealed class HostPrerequisitesMissingException(string message) : CiLabException(message);
