namespace CiLab.Machines;

/// <summary>A guest command ran past its timeout and was killed in the guest.</summary>
public sealed class GuestCommandTimeoutException(string vm, GuestCommand command, TimeSpan timeout)
    : CiLabException($"In VM '{vm}', '{command.Script}' did not finish within {timeout.TotalSeconds:0.#}s and was killed.");
