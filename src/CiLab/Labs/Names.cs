using System.Text.RegularExpressions;

namespace CiLab.Labs;

/// <summary>
/// The grammar of what a lab file names. Names become folder names, QEMU option values and ssh arguments, so they are
/// checked before any of that: no path separators or "..", no commas, nothing that starts like an option.
/// </summary>
public static partial class Names
{
    /// <summary>What a valid name looks like, for messages.</summary>
    public const string NameRule = "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters";

    /// <summary>What a valid user name looks like, for messages.</summary>
    public const string UserRule = "a POSIX user name: lower-case letters, digits, '_' and '-', starting with a letter or '_', at most 32 characters";

    /// <summary>What a valid relative path looks like, for messages.</summary>
    public const string RelativePathRule = "a relative path inside the project: no leading '/', no '..', no control characters";

    /// <summary>True when <paramref name="name"/> may name a VM, image or suite.</summary>
    public static bool IsValidName(string? name) => name is not null && Name().IsMatch(name);

    /// <summary>True when <paramref name="user"/> may be a guest login.</summary>
    public static bool IsValidUser(string? user) => user is not null && User().IsMatch(user);

    /// <summary>True when <paramref name="suite"/> may be a Debian suite (a code name like <c>trixie</c> or <c>stable</c>).</summary>
    public static bool IsDebianSuite(string? suite) => suite is not null && DebianSuite().IsMatch(suite);

    /// <summary>True when <paramref name="package"/> is a Debian package name (Debian policy 5.6.1).</summary>
    public static bool IsDebianPackage(string? package) => package is not null && DebianPackage().IsMatch(package);

    /// <summary>True when <paramref name="path"/> stays inside the folder it is relative to.</summary>
    public static bool IsSafeRelativePath(string? path) =>
        !string.IsNullOrEmpty(path) && !path.StartsWith('/') && !path.Any(char.IsControl)
        && path.Split('/').All(segment => segment != "..");

    /// <summary>Returns <paramref name="name"/>, or throws when it breaks <see cref="NameRule"/>.</summary>
    /// <exception cref="ArgumentException">The name is not valid.</exception>
    public static string RequireValidName(string name, string what) =>
        IsValidName(name) ? name : throw new ArgumentException($"'{name}' is not a valid {what} name: {NameRule}.", nameof(name));

    /// <summary>Returns <paramref name="user"/>, or throws when it breaks <see cref="UserRule"/>.</summary>
    /// <exception cref="ArgumentException">The user name is not valid.</exception>
    public static string RequireValidUser(string user) =>
        IsValidUser(user) ? user : throw new ArgumentException($"'{user}' is not a valid user: {UserRule}.", nameof(user));

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\z")]
    private static partial Regex Name();

    [GeneratedRegex(@"^[a-z_][a-z0-9_-]{0,31}\z")]
    private static partial Regex User();

    [GeneratedRegex(@"^[a-z][a-z0-9-]{0,62}\z")]
    private static partial Regex DebianSuite();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9+.-]{1,99}\z")]
    private static partial Regex DebianPackage();
}
