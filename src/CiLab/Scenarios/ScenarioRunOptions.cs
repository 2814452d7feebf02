using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.Scenarios;

/// <summary>How a <see cref="Scenario"/> runs.</summary>
public sealed record ScenarioRunOptions
{
    /// <summary>Run each step on all its VMs at once (the default) rather than one VM after another.</summary>
    public bool Parallel { get; init; } = true;

    /// <summary>Progress lines (a step starting or ending on a VM); also where step output is echoed when <see cref="EchoOutput"/>.</summary>
    public ILogger Log { get; init; } = NullLogger.Instance;

    /// <summary>Echo every command and output line of every step to <see cref="Log"/>, prefixed with the VM.</summary>
    public bool EchoOutput { get; init; }
}
