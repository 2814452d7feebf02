using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.Labs;

/// <summary>How <see cref="Lab.OpenAsync"/> opens a lab.</summary>
public sealed record LabOptions
{
    /// <summary>Where progress goes (image builds, boots, waits); <see cref="Host.LineLogger"/> writes plain lines.</summary>
    public ILogger Log { get; init; } = NullLogger.Instance;

    /// <summary>The image cache; the user's (~/.cache/cilab/images) when not given.</summary>
    public Images.ImageCache? Cache { get; init; }

    /// <summary>When another run holds one of its VMs: wait until it ends (true, the default) or fail at once with <see cref="Machines.VmBusyException"/>.</summary>
    public bool WaitWhenBusy { get; init; } = true;
}
