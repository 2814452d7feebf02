namespace CiLab.Machines;

/// <summary>How <see cref="IMachine.StartAsync"/> starts a VM.</summary>
public sealed record MachineStartOptions
{
    /// <summary>Start it owned by this process (the default): it is stopped when the process ends.</summary>
    public static MachineStartOptions Owned { get; } = new();

    /// <summary>Start it detached: it keeps running after this process ends (the <c>cilab vm start</c> way).</summary>
    public static MachineStartOptions DetachedFromRun { get; } = new() { Detached = true };

    /// <summary>Keep it running after this process ends.</summary>
    public bool Detached { get; init; }

    /// <summary>
    /// Boot once from the VM's install ISO and return as soon as it runs, without waiting for SSH (there is none yet): the
    /// installer is driven over the serial console (<c>cilab vm install</c>). Always detached.
    /// </summary>
    public bool Install { get; init; }

    /// <summary>Resume this snapshot instead of booting.</summary>
    public string? FromSnapshot { get; init; }
}
