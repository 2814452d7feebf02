using CiLab.Host;

namespace CiLab.Tests.Host;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RuntimeFolderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-runtime-").FullName;

    [Fact]
    public void A_new_folder_is_made_private()
    {
        var path = RuntimeFolder.Ensure(Path.Combine(_directory, "cilab-runner"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
    }

    [Fact]
    public void A_link_planted_under_its_name_is_refused_not_followed()
    {
        var elsewhere = Directory.CreateDirectory(Path.Combine(_directory, "elsewhere")).FullName;
        var planted = Path.Combine(_directory, "cilab-runner");
        Directory.CreateSymbolicLink(planted, elsewhere);

        var e = Assert.Throws<IOException>(() => RuntimeFolder.Ensure(planted));

        Assert.Contains("is a link", e.Message, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(elsewhere) & ~(UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
