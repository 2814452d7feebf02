namespace CiLab.Machines;

/// <summary>
/// A machine that ends a guest's reboot with a fresh start of its emulator on the same disk instead of a warm reset:
/// the guest shuts down cleanly as for any reboot, then boots as from power-on. Under QEMU's TCG a warm reset boots
/// 1.5–2.5 times slower than a cold start (measured: the kernel and initrd phases), so this is how
/// scenario reboots are done where it is offered; reboots the guest starts by itself stay warm.
/// </summary>
public interface IColdReboot
{
    /// <summary>
    /// Asks the guest to reboot (its profile's reboot command), waits up to <paramref name="shutdownTimeout"/> for its
    /// shutdown, and starts the VM again on its disk, ports and owner; returns once started, before its shell answers.
    /// </summary>
    /// <exception cref="VmException">The guest did not shut down in time, or the VM would not start again.</exception>
    Task RebootColdAsync(TimeSpan shutdownTimeout, CancellationToken cancellationToken);
}
