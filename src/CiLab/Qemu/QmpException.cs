namespace CiLab.Qemu;

/// <summary>QEMU answered a QMP command with an error.</summary>
internal sealed class QmpException(string command, string errorClass, string description)
    : CiLabException($"QMP {command} failed: {errorClass}: {description}")
{
    /// <summary>QEMU's error class, e.g. <c>GenericError</c>.</summary>
    public string ErrorClass { get; } = errorClass;

    /// <summary>QEMU's description.</summary>
    public string Description { get; } = description;
}
