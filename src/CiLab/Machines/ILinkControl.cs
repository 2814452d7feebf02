namespace CiLab.Machines;

/// <summary>A machine whose network cable can be pulled and plugged back in (a fault to inject).</summary>
public interface ILinkControl
{
    /// <summary>Sets the link of the VM's network device up or down; the guest sees the carrier change.</summary>
    Task SetLinkAsync(bool up, CancellationToken cancellationToken);
}
