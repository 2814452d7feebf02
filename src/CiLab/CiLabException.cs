namespace CiLab;

/// <summary>
/// The base of every exception CiLab throws for a failure it understands (a bad lab file, a VM that will not boot, a
/// guest command that failed, a refused API call): catch this one type to tell them from bugs. The message is meant
/// for a person and names what failed.
/// </summary>
public abstract class CiLabException : Exception
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    protected CiLabException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
