namespace CiLab.Processes;

/// <summary>What a host command run by <see cref="HostCommands.ExecuteBoundedAsync"/> left behind.</summary>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="StandardOutput">Standard output (its end, as much as the run kept).</param>
/// <param name="StandardError">Standard error (its last 64 KiB).</param>
/// <param name="StartTime">When the process started.</param>
/// <param name="Duration">How long it ran.</param>
public sealed record HostCommandResult(int ExitCode, string StandardOutput, string StandardError, DateTimeOffset StartTime, TimeSpan Duration)
{
    /// <summary>True when the exit code is zero.</summary>
    public bool IsSuccess => ExitCode == 0;
}
