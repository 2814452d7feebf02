using CiLab.Host;

namespace CiLab.Ssh;

/// <summary>
/// The lab's known_hosts, read the way OpenSSH writes it (<c>alias keytype base64</c>), so SSH.NET and the system ssh
/// (rsync, a person's <c>cilab vm ssh</c>) pin the same keys.
/// </summary>
internal static class KnownHosts
{
    private static readonly Lock AppendLock = new();

    /// <summary>The pinned keys of <paramref name="alias"/>: key type and the key blob in base64.</summary>
    public static IReadOnlyList<(string Type, string Key)> Read(string file, string alias)
    {
        if (!File.Exists(file))
        {
            return [];
        }

        return [.. File.ReadLines(file)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length >= 3 && words[0].Split(',').Contains(alias, StringComparer.Ordinal))
            .Select(words => (words[1], words[2]))];
    }

    /// <summary>
    /// The server host-key algorithms that can prove one of <paramref name="types"/>; an RSA key is offered under its
    /// SHA-2 signature names too. Negotiating only these keeps SSH.NET from picking a key type nobody pinned.
    /// </summary>
    public static IEnumerable<string> Algorithms(IEnumerable<string> types) =>
        types.SelectMany(type => type == "ssh-rsa" ? (string[])["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type]);

    /// <summary>Pins <paramref name="key"/> for <paramref name="alias"/> unless a key is pinned already (first contact).</summary>
    /// <returns>False when another key was pinned in the meantime and <paramref name="key"/> is not it.</returns>
    public static bool PinFirst(string file, string alias, string type, string key)
    {
        lock (AppendLock)
        {
            var pinned = Read(file, alias);
            if (pinned.Count > 0)
            {
                return pinned.Any(p => p.Key == key);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            var lines = File.Exists(file) ? File.ReadAllLines(file).Where(l => l.Length > 0).ToList() : [];
            lines.Add($"{alias} {type} {key}");
            AtomicFile.WriteAllText(file, string.Join('\n', lines) + "\n");
            return true;
        }
    }
}
