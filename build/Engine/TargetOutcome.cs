namespace CiLab.Build.Engine;

/// <summary>One row of the build summary.</summary>
/// <param name="Name">The target.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="Note">Why it failed or did not run.</param>
public sealed record TargetOutcome(string Name, TargetStatus Status, TimeSpan Duration, string? Note);
