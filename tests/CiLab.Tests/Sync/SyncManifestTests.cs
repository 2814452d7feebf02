using CiLab.Sync;

namespace CiLab.Tests.Sync;

public sealed class SyncManifestTests
{
    private const string Listing = """
        drwxr-xr-x          4,096 2026/11/22 06:02:22 .
        drwxr-xr-x          4,096 2026/11/22 04:03:36 src
        -rw-r--r--          1,755 2026/11/22 04:03:36 src/main.go
        -rw-r--r--             37 2026/11/22 04:03:36 a file with  spaces
        lrwxrwxrwx              6 2026/11/22 06:29:53 link -> target
        """;

    [Fact]
    public void A_listing_becomes_path_to_stamp_with_names_kept_whole_and_link_targets_in_the_stamp()
    {
        var entries = SyncManifest.ParseListing(Listing);

        Assert.Equal(["a file with  spaces", "link", "src", "src/main.go"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("-rw-r--r-- 1755 2026/11/22 04:03:36", entries["src/main.go"]);
        Assert.Equal("lrwxrwxrwx 6 2026/11/22 06:29:53 -> target", entries["link"]);
        Assert.Equal([4096L, 1755L, 37L], new[] { "src", "src/main.go", "a file with  spaces" }.Select(p => SyncManifest.Size(entries[p])));
    }

    [Fact]
    public void Compare_finds_new_changed_and_deleted_entries_only()
    {
        var before = new SyncManifest("t", SyncManifest.ParseListing(Listing));
        var after = SyncManifest.ParseListing(Listing
            .Replace("1,755 2026/11/22 04:03:36 src/main.go", "1,756 2026/11/22 04:03:36 src/main.go", StringComparison.Ordinal)
            .Replace("lrwxrwxrwx              6 2026/11/22 06:29:53 link -> target", "-rw-r--r--              1 2026/11/22 06:40:00 new.txt", StringComparison.Ordinal));

        var (send, delete) = before.Compare(after);

        Assert.Equal(["new.txt", "src/main.go"], send);
        Assert.Equal(["link"], delete);
        Assert.Equal((0, 0), (before.Compare(before.Entries).Send.Count, before.Compare(before.Entries).Delete.Count));
    }

    [Fact]
    public void A_saved_manifest_loads_back_and_a_damaged_one_loads_as_none()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("cilab-manifest-").FullName, "m.json");
        new SyncManifest("token", SyncManifest.ParseListing(Listing)).Save(path);

        var loaded = SyncManifest.Load(path);

        Assert.Equal("token", loaded!.Token);
        Assert.Equal(4, loaded.Entries.Count);
        File.WriteAllText(path, "{ not json");
        Assert.Null(SyncManifest.Load(path));
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }
}
