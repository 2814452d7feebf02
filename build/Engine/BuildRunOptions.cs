namespace CiLab.Build.Engine;

/// <summary>Everything a build run reads from outside, so a run can be driven from tests.</summary>
public sealed record BuildRunOptions
{
    /// <summary>Command-line arguments (targets, <c>--parameters</c>, <c>--plan</c>, <c>--skip</c>, <c>--help</c>).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Environment variables consulted for parameters.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The directory holding <c>.nuke/</c>.</summary>
    public required string RootDirectory { get; init; }

    /// <summary>The target run when none is named.</summary>
    public string? DefaultTarget { get; init; }

    /// <summary>Where logs, plans and the summary go.</summary>
    public TextWriter Output { get; init; } = Console.Out;

    /// <summary>Cancelled by Ctrl-C or SIGTERM; passed to the running target.</summary>
    public CancellationToken CancellationToken { get; init; }
}
