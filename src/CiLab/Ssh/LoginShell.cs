using System.Globalization;
using System.Text;

namespace CiLab.Ssh;

/// <summary>
/// sshd runs a command through the user's login shell, which may be tcsh, csh or fish, where a POSIX command line
/// breaks (`NAME=value cmd`, a newline inside quotes, `!`). Every command line is therefore handed to that shell in a
/// form all of them read alike: <c>exec sh -c '…'</c> whose quoted part holds no quote, newline, <c>!</c> or doubled
/// backslash, and has sh rebuild the original line with printf's octal escapes and run it.
/// </summary>
internal static class LoginShell
{
    /// <summary>The POSIX sh <paramref name="commandLine"/> as a line any login shell passes on to sh unchanged.</summary>
    public static string Wrap(string commandLine)
    {
        var escaped = new StringBuilder(commandLine.Length * 2);
        foreach (var b in Encoding.UTF8.GetBytes(commandLine))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is ' ' or ',' or '.' or '/' or ':' or '=' or '@' or '_' or '+' or '-')
            {
                escaped.Append(c);
            }
            else
            {
                escaped.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
            }
        }

        // In sh's double quotes a backslash before a digit stays, so printf sees \NNN. $( ) drops trailing newlines only.
        return string.Create(CultureInfo.InvariantCulture, $"exec sh -c 'eval \"$(printf \"{escaped}\")\"'");
    }
}
