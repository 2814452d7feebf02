using CiLab.Labs;
using CiLab.Machines;
using CiLab.Processes;
using CliWrap;

namespace CiLab.Tests.Machines;

/// <summary>
/// The BSD profile's commands run by a real sh against the BSD tools' output as their manual pages show it (recorded
/// in small stand-ins on PATH): there is no BSD guest on these machines.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BsdRcProfileTests : IDisposable
{
    private readonly string _bin = Directory.CreateTempSubdirectory("cilab-bsd-").FullName;

    private static BsdRcProfile Profile => BsdRcProfile.Instance;

    [Fact]
    public async Task Kill_tagged_signals_only_processes_whose_environment_holds_the_tag()
    {
        Tool("ps", """
            printf '  101 CILAB_ID=abc HOME=/root sleep 100\n'
            printf '  102 HOME=/root CILAB_ID=abcd sleep 5\n'
            printf '  103 PATH=/bin sh -c echo CILAB_ID=abc\n'
            printf '  104 USER=cilab CILAB_ID=abc /usr/local/bin/go test ./...\n'
            """);

        var output = await RunAsync("kill() { echo \"kill $*\"; }; " + Profile.KillTaggedCommand("CILAB_ID", "abc", "TERM"));

        Assert.Equal("kill -TERM 101\nkill -TERM 104\n", output);
    }

    [Fact]
    public async Task A_port_listens_when_sockstat_lists_a_tcp_socket_for_it()
    {
        Tool("sockstat", """
            echo 'USER     COMMAND    PID   FD  PROTO  LOCAL ADDRESS         FOREIGN ADDRESS'
            [ "$3" = 22 ] && echo 'root     sshd       812   4   tcp6   *:22                  *:*'
            [ "$3" = 53 ] && echo 'unbound  unbound    640   5   udp4   127.0.0.1:53          *:*'
            true
            """);

        Assert.Equal(0, await ExitCodeAsync(Profile.PortListeningCommand(22)));
        Assert.Equal(1, await ExitCodeAsync(Profile.PortListeningCommand(80)));
        Assert.Equal(1, await ExitCodeAsync(Profile.PortListeningCommand(53))); // UDP only
    }

    [Fact]
    public async Task Fill_disk_writes_until_refused_then_gives_back_what_should_stay_free()
    {
        // dd stands for a filesystem that is full after 1,000,000 bytes; stat -f %z is BSD's size.
        Tool("dd", "for a; do case $a in of=*) head -c 1000000 /dev/zero > \"${a#of=}\";; esac; done; exit 1");
        Tool("stat", "wc -c < \"$3\"");
        Tool("df", "echo '/dev/ada0p2  1.9G  1.9G  0B  100%  /'");
        var filler = Path.Combine(_bin, "filler");

        var output = await RunAsync(Profile.FillDiskCommand(filler, 300_000));

        Assert.Equal(700_000, new FileInfo(Path.Combine(filler, "0")).Length);
        Assert.Equal("/dev/ada0p2  1.9G  1.9G  0B  100%  /\n", output);
    }

    [Fact]
    public async Task Kill_by_name_prints_how_many_there_were_without_pgrep_c()
    {
        Tool("pgrep", "printf '11\\n12\\n'");
        Tool("pkill", "echo \"pkill $*\" >&2");

        Assert.Equal("2\n", await RunAsync(Profile.KillByNameCommand("upgrade-agent", "KILL")));
    }

    [Fact]
    public void A_lab_names_it_with_guest_bsd()
    {
        var lab = LabFile.Parse("vms:\n  - name: dfly\n    image: x\n    guest: bsd\n    disk-bus: sata\n    nic: e1000\nimages:\n  - name: x\n    recipe: debian\n", "/labs/lab.yaml");

        Assert.Same(BsdRcProfile.Instance, GuestProfiles.Find(lab.Vm("dfly").Guest));
        Assert.Contains("Fatal trap ", Profile.PanicPatterns);
    }

    public void Dispose() => Directory.Delete(_bin, recursive: true);

    private void Tool(string name, string body)
    {
        var path = Path.Combine(_bin, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private async Task<string> RunAsync(string script) =>
        (await Command(script).ExecuteBoundedAsync(TestContext.Current.CancellationToken)).StandardOutput;

    private async Task<int> ExitCodeAsync(string script) =>
        (await Command(script).WithValidation(false).ExecuteBoundedAsync(TestContext.Current.CancellationToken)).ExitCode;

    private Command Command(string script) =>
        Cli.Wrap("sh").WithArguments(["-c", script]).WithEnvironmentVariables(e => e.Set("PATH", _bin + ":/usr/bin:/bin"));
}
