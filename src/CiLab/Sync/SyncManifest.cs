using System.Text.Json;

namespace CiLab.Sync;

/// <summary>
/// What the host last synced into one guest folder — each entry's type, size and mtime as rsync lists them — and the
/// token it left there. The guest copy still matches when it holds the same token and nothing in it changed since
/// (no ctime newer than the token file's, which even a restored snapshot or a test writing into the tree updates).
/// </summary>
internal sealed record SyncManifest(string Token, IReadOnlyDictionary<string, string> Entries)
{
    /// <summary>The token file in the guest folder.</summary>
    public const string TokenFile = ".cilab-sync-token";

    /// <summary>What an absent copy holds: nothing.</summary>
    public static SyncManifest Empty { get; } = new(string.Empty, new Dictionary<string, string>());

    public static SyncManifest? Load(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<SyncManifest>(File.ReadAllText(path)) : null;
        }
        catch (JsonException)
        {
            // A damaged manifest only costs a full sync.
            return null;
        }
    }

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".new";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Reads `rsync --list-only` output ("perms size date time path", symlinks as "path -> target") into path → stamp.
    /// Names rsync had to escape (\#ooo) are kept as listed; they only ever take the full-sync path.
    /// </summary>
    public static Dictionary<string, string> ParseListing(string listing)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5 || fields[4] == ".")
            {
                continue;
            }

            var path = fields[4];
            var stamp = $"{fields[0]} {fields[1].Replace(",", "", StringComparison.Ordinal)} {fields[2]} {fields[3]}";
            if (fields[0].StartsWith('l') && path.IndexOf(" -> ", StringComparison.Ordinal) is var arrow and > 0)
            {
                stamp += path[arrow..];
                path = path[..arrow];
            }

            entries[path] = stamp;
        }

        return entries;
    }

    /// <summary>The size in bytes an entry's stamp gives.</summary>
    public static long Size(string stamp) => long.Parse(stamp.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What changed from this manifest to <paramref name="current"/>: entries to send, and paths to delete.</summary>
    public (List<string> Send, List<string> Delete) Compare(IReadOnlyDictionary<string, string> current)
    {
        var send = current.Where(e => !Entries.TryGetValue(e.Key, out var old) || old != e.Value).Select(e => e.Key).Order(StringComparer.Ordinal).ToList();
        var delete = Entries.Keys.Where(k => !current.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        return (send, delete);
    }
}
