namespace CiLab.Machines;

/// <summary>Whether a VM's QEMU is running.</summary>
public enum VmRunState
{
    /// <summary>Not running, and it was stopped cleanly (or never started).</summary>
    Stopped,

    /// <summary>QEMU is running.</summary>
    Running,

    /// <summary>QEMU is gone without a clean stop (killed, crashed).</summary>
    Crashed,
}
