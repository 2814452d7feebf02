namespace CiLab.Ssh;

/// <summary>
/// The persistent shell could not start or broke. <see cref="Sent"/> false: the command never reached the guest (it can
/// run elsewhere); true: it is unknown whether, or how, it ended.
/// </summary>
internal sealed class GuestSessionException(string message, bool sent = true) : Exception(message)
{
    public bool Sent { get; } = sent;
}
