using System.Diagnostics;
using CiLab.Sync;

namespace CiLab.Tests.Sync;

// The script runs in a real sh and find on the host, as it would in the guest.
public sealed class GuestTreeCheckTests : IDisposable
{
    private static readonly string[] Excludes = [".git/", "bin/", "/data/", "*.log", ".*", "a/b/"];
    private readonly string _tree = Directory.CreateTempSubdirectory("cilab-check-").FullName;

    public GuestTreeCheckTests()
    {
        foreach (var file in new[] { "src/main.go", "bin/tool", "data/x", "src/data/y", "keep.txt", "bin-file/bin", "src/app.log", ".git/HEAD" })
        {
            Write(file, "v1");
        }

        Write(SyncManifest.TokenFile, "t1");
        // ctimes come from a clock that ticks every few milliseconds: a change in the token's tick would not be newer.
        Thread.Sleep(30);
    }

    public void Dispose() => Directory.Delete(_tree, recursive: true);

    [Fact]
    public void An_untouched_copy_with_its_token_is_unchanged_and_another_token_is_not()
    {
        Assert.Equal(GuestTreeCheck.Unchanged, Check(_tree, "t1"));
        Assert.Equal("", Check(_tree, "t2"));
    }

    [Fact]
    public void Only_a_name_with_nothing_behind_it_is_absent()
    {
        Assert.Equal(GuestTreeCheck.Absent, Check(Path.Combine(_tree, "missing"), "t1"));
        Assert.Equal(GuestTreeCheck.Absent, Check(Path.Combine(_tree, "missing", "deeper"), "t1"));
        Assert.Equal("", Check(Path.Combine(_tree, "keep.txt"), "t1"));
        File.CreateSymbolicLink(Path.Combine(_tree, "dangling"), Path.Combine(_tree, "nowhere"));
        Assert.Equal("", Check(Path.Combine(_tree, "dangling"), "t1"));
    }

    [Theory]
    [InlineData("bin/tool")]
    [InlineData("bin/new-tool")]
    [InlineData("src/app.log")]
    [InlineData("data/x")]
    [InlineData(".git/HEAD")]
    public void What_a_suite_writes_into_what_the_sync_leaves_alone_is_not_a_change(string file)
    {
        Write(file, "built in the guest");
        Assert.True(Unchanged("t1"));
    }

    [Theory]
    [InlineData("src/main.go")]
    [InlineData("src/data/y")] // '/data/' is anchored at the top
    [InlineData("bin-file/bin")] // 'bin/' names folders only
    [InlineData("new.txt")]
    [InlineData("src/new.log")] // excluded itself, but a new entry changes its synced folder
    public void A_file_written_where_the_sync_keeps_the_copy_is_a_change(string file)
    {
        Write(file, "v2");
        Assert.False(Unchanged("t1"));
    }

    [Fact]
    public void A_deletion_at_the_top_is_a_change_even_with_a_pattern_that_matches_dot()
    {
        File.Delete(Path.Combine(_tree, "keep.txt"));
        Assert.False(Unchanged("t1"));
    }

    private bool Unchanged(string token) => Check(_tree, token) == GuestTreeCheck.Unchanged;

    private static string Check(string directory, string token)
    {
        var sh = Process.Start(new ProcessStartInfo("sh", ["-c", GuestTreeCheck.Script(directory, token, Excludes)]) { RedirectStandardOutput = true })!;
        var output = sh.StandardOutput.ReadToEnd();
        sh.WaitForExit();
        return output.Trim();
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_tree, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
