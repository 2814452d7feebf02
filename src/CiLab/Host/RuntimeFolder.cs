namespace CiLab.Host;

/// <summary>
/// This user's folder for sockets, pid files, locks and logs of running VMs: <c>/run/cilab</c> for root, else
/// <c>/tmp/cilab-USER</c>. Its name is predictable in a folder everyone writes to, so before use it must be a real
/// folder this user owns (only the owner may chmod it; /tmp's sticky bit then keeps others from swapping it).
/// </summary>
public static class RuntimeFolder
{
    /// <summary>The folder's path; nothing is created.</summary>
    public static string Path { get; } = Environment.UserName == "root" && Directory.Exists("/run")
        ? "/run/cilab"
        : System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"cilab-{Environment.UserName}");

    /// <summary>Creates the folder (0700) if needed and checks that it is this user's; returns its path.</summary>
    /// <exception cref="IOException">Something else took its name: another user's folder, or a link.</exception>
    public static string Ensure() => Ensure(Path);

    internal static string Ensure(string path)
    {
        var folder = Directory.CreateDirectory(path);
        if (folder.LinkTarget is not null)
        {
            throw new IOException($"{path} is a link, not CiLab's runtime folder for {Environment.UserName}: remove it.");
        }

        try
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (UnauthorizedAccessException)
        {
            throw new IOException($"{path} belongs to another user, so CiLab cannot keep {Environment.UserName}'s VM sockets there: have it removed (sudo rm -r {path}).");
        }

        return path;
    }
}
