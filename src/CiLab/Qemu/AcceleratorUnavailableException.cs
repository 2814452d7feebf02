namespace CiLab.Qemu;

/// <summary>KVM was asked for, but this host cannot provide it; the message says why.</summary>
public sealed class AcceleratorUnavailableException(string message) : CiLabException(message);
