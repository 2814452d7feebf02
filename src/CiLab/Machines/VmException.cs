namespace CiLab.Machines;

/// <summary>A VM operation failed; the message names the VM and, where it helps, shows the serial console's last lines.</summary>
public class VmException(string message, Exception? inner = null) : CiLabException(message, inner);
