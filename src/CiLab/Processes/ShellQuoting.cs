using System.Text.RegularExpressions;

namespace CiLab.Processes;

/// <summary>Quotes words for a POSIX shell (sh, bash, the remote side of ssh).</summary>
public static partial class ShellQuoting
{
    /// <summary>
    /// Returns <paramref name="word"/> so that a POSIX shell reads it back as exactly one word with the
    /// same characters: unchanged when it is plainly safe, otherwise in single quotes.
    /// </summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length > 0 && SafeWord().IsMatch(word))
        {
            return word;
        }

        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>Quotes each word and joins them with spaces.</summary>
    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));

    [GeneratedRegex(@"^[A-Za-z0-9_@%+=:,./-]+\z")]
    private static partial Regex SafeWord();
}
