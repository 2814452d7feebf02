namespace CiLab.Ssh;

/// <summary>ssh could not reach the guest, or the guest's host key did not match the pinned one.</summary>
public sealed class SshConnectionException(string vm, string detail)
    : Exception($"Could not talk to VM '{vm}' over SSH: {detail}")
{
    /// <summary>What ssh said.</summary>
    public string Detail { get; } = detail;
}
