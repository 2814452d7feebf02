namespace CiLab.Ssh;

/// <summary>
/// The persistent shell could not start or broke. <see cref="Sent"/> false: the command never reached the guest (it can
/// run elsewhere); true: it is unknown whether, or how, it ended. <see cref="Refused"/>: the guest's shell itself would
/// not run (sudo refused, say), which trying again will not change.
/// </summary>
internal sealed class GuestSessionException(string message, bool sent = true, bool refused = false) : Exception(message)
{
    public bool Sent { get; } = sent;

    public bool Refused { get; } = refused;
}
