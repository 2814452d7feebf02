using System.Globalization;
using CiLab.Host;

namespace CiLab.Images;

/// <summary>
/// Whether a normal user can build images here: mmdebstrap's unshare mode needs user namespaces (not switched off by
/// sysctl or AppArmor), newuidmap and newgidmap, and a subordinate ID range of at least 65,536 for the user. Each
/// answer that is not ok names what an administrator must do.
/// </summary>
public static class RootlessBuild
{
    /// <summary>The subordinate IDs mmdebstrap maps into its namespace: one 16-bit ID space.</summary>
    public const long NeededIds = 65536;

    /// <summary>
    /// Checks this host for <paramref name="user"/> (uid <paramref name="uid"/>); the paths and
    /// <paramref name="findProgram"/> (a program's path or null; PATH by default) are for tests.
    /// </summary>
    public static DoctorFinding Check(string user, long uid, string procSys = "/proc/sys", string etc = "/etc", Func<string, string?>? findProgram = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user == "root")
        {
            return new("build", DoctorLevel.Ok, "running as root: images are built in mmdebstrap's root mode.");
        }

        if (Read(Path.Combine(procSys, "kernel/unprivileged_userns_clone")) == "0")
        {
            return Problem($"This kernel refuses user namespaces to normal users (kernel.unprivileged_userns_clone = 0), and {user} builds images in one",
                Sysctl("kernel.unprivileged_userns_clone", "1"));
        }

        if (Read(Path.Combine(procSys, "user/max_user_namespaces")) == "0")
        {
            return Problem("User namespaces are switched off (user.max_user_namespaces = 0)", Sysctl("user.max_user_namespaces", "15000"));
        }

        if (Read(Path.Combine(procSys, "kernel/apparmor_restrict_unprivileged_userns")) == "1")
        {
            return Problem("AppArmor takes every capability from a normal user's namespace (kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu's default since 23.10), and mmdebstrap needs them",
                Sysctl("kernel.apparmor_restrict_unprivileged_userns", "0"));
        }

        findProgram ??= HostPrerequisites.FindOnPath;
        if (findProgram("newuidmap") is null || findProgram("newgidmap") is null)
        {
            return Problem("The programs newuidmap and newgidmap (which map its IDs into mmdebstrap's namespace) are missing", "sudo apt-get install -y uidmap");
        }

        var uids = Range(Path.Combine(etc, "subuid"), user, uid);
        var gids = Range(Path.Combine(etc, "subgid"), user, uid);
        if (uids is null || gids is null)
        {
            var start = Math.Max(NextFree(Path.Combine(etc, "subuid")), NextFree(Path.Combine(etc, "subgid")));
            var range = string.Create(CultureInfo.InvariantCulture, $"{start}-{start + NeededIds - 1}");
            return Problem($"The user {user} has no range of {NeededIds} subordinate {(uids is null ? "user" : "group")} IDs in {etc}/{(uids is null ? "subuid" : "subgid")}, which mmdebstrap maps into its namespace",
                // usermod refuses -v/-w while the files do not exist (a host where no user has a range yet).
                $"sudo touch {etc}/subuid {etc}/subgid && sudo usermod --add-subuids {range} --add-subgids {range} {user}");
        }

        return new("build", DoctorLevel.Ok, $"{user} builds images in mmdebstrap's unshare mode (subordinate IDs from {uids} in {etc}/subuid).");
    }

    /// <summary>This process's real user id, from /proc.</summary>
    public static long CurrentUid() =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).First();

    private static DoctorFinding Problem(string finding, string fix) => new("build", DoctorLevel.Problem, $"{finding}: no image can be built here.", fix);

    private static string Sysctl(string key, string value) =>
        $"sudo sysctl -w {key}={value} && echo {key}={value} | sudo tee -a /etc/sysctl.d/60-cilab.conf";

    // The first line for the user (by name or uid) with at least NeededIds IDs: its start.
    private static long? Range(string file, string user, long uid)
    {
        var owners = new[] { user, uid.ToString(CultureInfo.InvariantCulture) };
        return Entries(file).Where(e => owners.Contains(e.Owner) && e.Count >= NeededIds).Select(e => (long?)e.Start).FirstOrDefault();
    }

    private static long NextFree(string file) => Entries(file).Select(e => e.Start + e.Count).DefaultIfEmpty(100000).Max();

    private static IEnumerable<(string Owner, long Start, long Count)> Entries(string file)
    {
        foreach (var line in File.Exists(file) ? File.ReadLines(file) : [])
        {
            var parts = line.Split(':');
            if (parts.Length == 3 && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var start) && long.TryParse(parts[2], CultureInfo.InvariantCulture, out var count))
            {
                yield return (parts[0], start, count);
            }
        }
    }

    private static string? Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;
}
