using CiLab.Images;

namespace CiLab.Tests.Images;

public sealed class PackageArchiveTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cilab-archive-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_finished_builds_packages_join_the_archive_and_packages_unused_for_a_month_leave_it()
    {
        var archive = new PackageArchive(Path.Combine(_root, "apt-archives"));
        var now = new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);
        var first = Collected("first", "git_1_amd64.deb", "old_1_amd64.deb");
        Assert.Equal(2, archive.Keep(first, now));

        // A month later a build uses git again (a newer copy) and a new package; old went unused.
        var second = Collected("second", "git_1_amd64.deb", "new_1_amd64.deb");
        File.WriteAllText(Path.Combine(second, "lock"), "");
        Directory.CreateDirectory(Path.Combine(second, "partial"));
        File.WriteAllText(Path.Combine(second, "partial", "half_1_amd64.deb"), "half");
        Assert.Equal(2, archive.Keep(second, now + PackageArchive.Unused + TimeSpan.FromDays(1)));

        Assert.Equal(["git_1_amd64.deb", "new_1_amd64.deb"], Directory.GetFileSystemEntries(archive.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("second git_1_amd64.deb", File.ReadAllText(Path.Combine(archive.Directory, "git_1_amd64.deb")));
    }

    private string Collected(string build, params string[] packages)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, build)).FullName;
        foreach (var package in packages)
        {
            File.WriteAllText(Path.Combine(directory, package), $"{build} {package}");
        }

        return directory;
    }
}
