namespace CiLab.Machines;

/// <summary>ssh could not reach the guest, or the guest's host key did not match the pinned one.</summary>
public sealed class GuestConnectionException(string vm, string detail)
    : CiLabException($"Could not talk to VM '{vm}' over SSH: {detail}")
{
    /// <summary>What ssh said.</summary>
    public string Detail { get; } = detail;
}
