using CiLab.Machines;
using CiLab.Processes;
using CiLab.Sync;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.IntegrationTests;

public sealed class SyncTests(SshGuest guest) : IClassFixture<SshGuest>, IDisposable
{
    private readonly string _source = Directory.CreateTempSubdirectory("cilab-sync-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sync_creates_updates_deletes_and_honours_excludes_and_gitignore()
    {
        Write("keep.txt", "one");
        Write("src/code.go", "package main");
        Write("bin/Debug/out.dll", "build output");
        Write(".git/HEAD", "ref");
        Write("secret.log", "ignored by .gitignore");
        Write(".gitignore", "*.log\n");
        Write("skip-me/data", "lab exclude");
        var sync = new CodeSync(guest.Vm.Ssh, NullLogger.Instance);

        var first = await sync.SyncAsync(_source, "/home/cilab/synced", ["skip-me/"], Ct);
        Assert.Equal(3, first.FilesTransferred);
        Assert.Equal(".gitignore\nkeep.txt\nsrc/code.go\n", await List());

        Write("keep.txt", "two, longer"); // rsync's quick check compares size and mtime: a same-size edit in the same second is invisible to it
        File.Delete(Path.Combine(_source, "src/code.go"));
        Write("new.txt", "new");
        var second = await sync.SyncAsync(_source, "/home/cilab/synced", ["skip-me/"], Ct);
        Assert.Equal(2, second.FilesTransferred);
        Assert.Equal(".gitignore\nkeep.txt\nnew.txt\n", await List());
        Assert.Equal("two, longer", (await guest.Vm.Ssh.RunAsync(new GuestCommand { Script = "cat /home/cilab/synced/keep.txt" }, Ct)).StandardOutput);
        Assert.Equal("cilab\n", (await guest.Vm.Ssh.RunAsync(new GuestCommand { Script = "stat -c %U /home/cilab/synced/keep.txt" }, Ct)).StandardOutput);
    }

    [Fact]
    public async Task Artifacts_copy_back_to_the_host()
    {
        await guest.Vm.Ssh.RunAsync(new GuestCommand { Script = "mkdir -p /tmp/out/reports && echo '<testsuites/>' > /tmp/out/reports/junit.xml && echo log > /tmp/out/run.log" }, Ct);
        var target = Path.Combine(_source, "back");
        await guest.Vm.Ssh.DownloadAsync("/tmp/out/", target, Ct);
        Assert.Equal("<testsuites/>\n", File.ReadAllText(Path.Combine(target, "reports", "junit.xml")));
        Assert.Equal("log\n", File.ReadAllText(Path.Combine(target, "run.log")));
    }

    [Fact]
    public async Task Artifacts_a_guest_made_hostile_arrive_without_links_devices_or_set_id_bits()
    {
        // A root test in the guest can make links that would point into the host once copied, set-id files, and fifos.
        await guest.Vm.RootShell.RunAsync(new GuestCommand
        {
            Script = "rm -rf /tmp/evil && mkdir -p /tmp/evil/sub && echo ok > /tmp/evil/report.txt && ln -s /etc/shadow /tmp/evil/shadow "
                + "&& ln -s / /tmp/evil/root && cp /bin/true /tmp/evil/sub/suid && chmod 4755 /tmp/evil/sub/suid && mkfifo /tmp/evil/fifo && ln -s /etc/hostname /tmp/evil-link",
        }, Ct);
        var target = Path.Combine(_source, "evil");
        await guest.Vm.Ssh.DownloadAsync("/tmp/evil/", target, Ct);

        Assert.Equal("ok\n", File.ReadAllText(Path.Combine(target, "report.txt")));
        Assert.Equal(["report.txt", "sub"], Directory.GetFileSystemEntries(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var mode = await CliWrap.Cli.Wrap("stat").WithArguments("-c", "%a", Path.Combine(target, "sub", "suid")).ExecuteBoundedAsync(Ct);
        Assert.Equal("644", mode.StandardOutput.Trim());

        // A top-level link is skipped too: the local file is left as it was, never replaced by a link to a host file.
        var single = Path.Combine(_source, "single.txt");
        await guest.Vm.Ssh.DownloadAsync("/tmp/evil-link", single, Ct);
        Assert.False(File.Exists(single) && new FileInfo(single).LinkTarget is not null);
    }

    [Fact]
    public async Task A_guest_without_rsync_gets_the_tree_by_tar_over_ssh()
    {
        Write("a.txt", "tarred");
        Write("bin/skip.dll", "build output");
        try
        {
            await guest.Vm.RootShell.RunAsync(new GuestCommand { Script = "mv /usr/bin/rsync /usr/bin/rsync.off" }, Ct);
            var result = await new CodeSync(guest.Vm.Ssh, NullLogger.Instance).SyncAsync(_source, "/home/cilab/tarred", [], Ct);
            Assert.Equal("tar", result.Method);
            Assert.Equal("a.txt\n", (await guest.Vm.Ssh.RunAsync(new GuestCommand { Script = "cd /home/cilab/tarred && find . -type f | sed 's|^./||'" }, Ct)).StandardOutput);
        }
        finally
        {
            await guest.Vm.RestoreAsync("clean", CancellationToken.None);
        }
    }

    [Fact]
    public async Task With_a_manifest_a_sync_sends_only_the_changes_unless_the_guest_copy_was_touched()
    {
        const string target = "/home/cilab/incremental";
        Write("a.txt", "one");
        Write("dir/b.txt", "two");
        Write("dir/c.txt", "three");
        Write(".gitignore", "*.log\n");
        Write("x.log", "ignored");
        await guest.Vm.Ssh.RunAsync(new GuestCommand { Script = $"rm -rf {target}" }, Ct);
        var sync = new CodeSync(guest.Vm.Ssh, NullLogger.Instance, Path.Combine(_source, ".cilab"));
        Assert.Equal(("copy", 4), (await sync.SyncAsync(_source, target, [], Ct)) is var first ? (first.Method, first.FilesTransferred) : default);
        Assert.Equal(".cilab-sync-token\n.gitignore\na.txt\ndir/b.txt\ndir/c.txt\n", await List(target));

        Write("a.txt", "one, changed");
        File.Delete(Path.Combine(_source, "dir/c.txt"));
        Write("dir/new dir/d.txt", "four");
        var second = await sync.SyncAsync(_source, target, [], Ct);
        Assert.Equal(("incremental", 2), (second.Method, second.FilesTransferred));
        Assert.Equal(".cilab-sync-token\n.gitignore\na.txt\ndir/b.txt\ndir/new dir/d.txt\n", await List(target));
        Assert.Equal("one, changed", await Cat(target + "/a.txt"));

        // Written behind the sync's back: the next sync notices and makes the guest copy whole again, the host's own
        // change included (the changes' command was already waiting in the guest when the check said no).
        await guest.Vm.Ssh.RunAsync(new GuestCommand { Script = $"echo tampered > {target}/dir/b.txt" }, Ct);
        Write("a.txt", "one, changed again");
        Assert.Equal("rsync", (await sync.SyncAsync(_source, target, [], Ct)).Method);
        Assert.Equal("two", await Cat(target + "/dir/b.txt"));
        Assert.Equal("one, changed again", await Cat(target + "/a.txt"));

        Assert.Equal(("incremental", 0), ((await sync.SyncAsync(_source, target, [], Ct)) is var unchanged ? (unchanged.Method, unchanged.FilesTransferred) : default));

        // Gone, as after restoring a snapshot taken before the first sync: the whole tree goes again as one stream.
        await guest.Vm.Ssh.RunAsync(new GuestCommand { Script = $"rm -rf {target}" }, Ct);
        Write("dir/b.txt", "two, changed");
        Assert.Equal(("copy", 4), (await sync.SyncAsync(_source, target, [], Ct)) is var again ? (again.Method, again.FilesTransferred) : default);
        Assert.Equal(".cilab-sync-token\n.gitignore\na.txt\ndir/b.txt\ndir/new dir/d.txt\n", await List(target));
        Assert.Equal("two, changed", await Cat(target + "/dir/b.txt"));
        Assert.Equal(("incremental", 0), ((await sync.SyncAsync(_source, target, [], Ct)) is var after ? (after.Method, after.FilesTransferred) : default));
    }

    [Fact]
    public async Task A_changes_channel_whose_command_died_before_its_input_sends_no_more_and_says_how_it_ended()
    {
        // 4 MB: more than the pipe holds, so a write that waited for a reader that is gone would never end.
        var archive = Path.Combine(_source, "archive");
        File.WriteAllBytes(archive, new byte[4 << 20]);
        var changes = ChangeChannel.Open(guest.Vm.Ssh, Ct);
        await using (changes)
        {
            // The command ends before it is given its line; the channel's own flush of that line is the one its end cancels.
            await guest.Vm.Ssh.RunAsync(new GuestCommand { Script = "until pkill -KILL -f 'read -r __cilab_[c]hanges'; do sleep 0.1; done" }, Ct);
            await changes.Command.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            await changes.BeginAsync("cat > /dev/null; echo applied", Ct);

            var ended = await changes.FinishAsync(archive, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal((137, ""), (ended.ExitCode, ended.StandardOutput));
        }
    }

    public void Dispose() => Directory.Delete(_source, recursive: true);

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_source, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private async Task<string> List(string directory = "/home/cilab/synced") =>
        (await guest.Vm.Ssh.RunAsync(new GuestCommand { Script = $"cd {directory} && find . -type f | sed 's|^./||' | LC_ALL=C sort" }, Ct)).StandardOutput;

    private async Task<string> Cat(string path) => (await guest.Vm.Ssh.RunAsync(new GuestCommand { Script = $"cat '{path}'" }, Ct)).StandardOutput;
}
