namespace CiLab.Machines;

/// <summary>A machine with a reset button: the guest restarts with no shutdown and no sync.</summary>
public interface IHardReset
{
    /// <summary>Presses it; returns at once, while the guest reboots.</summary>
    Task ResetAsync(CancellationToken cancellationToken);
}
