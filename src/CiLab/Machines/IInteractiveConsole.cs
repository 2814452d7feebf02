namespace CiLab.Machines;

/// <summary>
/// A machine whose serial console a person can type into: an installer driven by hand once (then snapshotted), a guest
/// whose SSH is broken. <c>cilab vm console</c> connects a terminal to it.
/// </summary>
public interface IInteractiveConsole
{
    /// <summary>
    /// A two-way stream to the running VM's serial port: what is read is the guest's output from now on, what is written
    /// the guest reads as typed. One at a time (a second one sees nothing until the first is disposed); disposing it
    /// detaches (the VM runs on).
    /// </summary>
    /// <exception cref="VmException">The VM is not running, or its console socket refuses the connection.</exception>
    Task<Stream> AttachConsoleAsync(CancellationToken cancellationToken);
}
