namespace CiLab.Host;

/// <summary>The question destructive verbs ask, the same for the build's targets and the cilab command.</summary>
public static class Confirmation
{
    /// <summary>Asks <paramref name="question"/> on the terminal; never asks in CI (<c>CI</c> set) or without a terminal.</summary>
    public static ConfirmationAnswer Ask(string question, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 } || Console.IsInputRedirected)
        {
            return ConfirmationAnswer.NotInteractive;
        }

        output.Write($"{question} [y/N] ");
        return Console.ReadLine()?.Trim().ToLowerInvariant() is "y" or "yes" ? ConfirmationAnswer.Yes : ConfirmationAnswer.No;
    }
}
