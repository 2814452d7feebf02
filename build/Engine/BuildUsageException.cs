namespace CiLab.Build.Engine;

/// <summary>The build was asked for something it does not have; reported with exit code 2, never with a stack trace.</summary>
internal sealed class BuildUsageException(string message) : Exception(message);
