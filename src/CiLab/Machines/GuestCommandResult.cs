namespace CiLab.Machines;

/// <summary>What a guest command left behind.</summary>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="StandardOutput">Its standard output (bounded: the end is kept).</param>
/// <param name="StandardError">Its standard error (bounded).</param>
/// <param name="Duration">How long it took, connection included.</param>
public sealed record GuestCommandResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration);
