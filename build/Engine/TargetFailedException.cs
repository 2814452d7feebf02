namespace CiLab.Build.Engine;

/// <summary>Thrown by a target to fail with a message alone (no exception type, no stack frame in the log).</summary>
public sealed class TargetFailedException(string message) : Exception(message);
