using CiLab.Labs;

namespace CiLab.Machines;

/// <summary>A command to run in a guest: shell script text, where, with what environment and privileges, for how long.</summary>
public sealed record GuestCommand
{
    /// <summary>
    /// The script, run by sh in the guest: in a subshell of CiLab's persistent shell for the VM, or by <c>sh -c</c> on a
    /// channel of its own (quoted for the remote shell by CiLab).
    /// </summary>
    public required string Script { get; init; }

    /// <summary>The working directory in the guest.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Environment variables for the script.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How it gains root.</summary>
    public Elevation Elevation { get; init; } = Elevation.None;

    /// <summary>Text for its standard input.</summary>
    public string? StandardInput { get; init; }

    /// <summary>How long it may run before it is killed in the guest.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Whether a non-zero exit throws (the default).</summary>
    public bool ValidateExitCode { get; init; } = true;

    /// <summary>Each line of standard output as it arrives.</summary>
    public Action<string>? OnOutputLine { get; init; }

    /// <summary>Each line of standard error as it arrives.</summary>
    public Action<string>? OnErrorLine { get; init; }

    /// <summary>True when <see cref="Script"/> is one quoted argument list, which runs without an extra shell.</summary>
    public bool IsArgumentList { get; init; }

    /// <summary>
    /// A command running <paramref name="argv"/>, each word quoted so it arrives as given. On a channel of its own it starts
    /// no extra shell; in the persistent shell a name that is an sh builtin (true, printf) runs as that builtin.
    /// </summary>
    public static GuestCommand FromArguments(params IEnumerable<string> argv) => new() { Script = Processes.ShellQuoting.Join(argv), IsArgumentList = true };
}
