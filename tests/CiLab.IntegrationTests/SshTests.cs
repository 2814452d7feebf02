using System.Diagnostics;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Ssh;

namespace CiLab.IntegrationTests;

public sealed class SshTests(SshGuest guest) : IClassFixture<SshGuest>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SshShell Ssh => guest.Vm.Ssh;

    [Fact]
    public async Task Exit_codes_and_stderr_come_back_and_a_failure_shows_the_command_and_output()
    {
        var result = await Ssh.RunAsync(new GuestCommand { Script = "echo out; echo err >&2; exit 3", ValidateExitCode = false }, Ct);
        Assert.Equal((3, "out\n", "err\n"), (result.ExitCode, result.StandardOutput, result.StandardError));

        var e = await Assert.ThrowsAsync<GuestCommandFailedException>(() => Ssh.RunAsync(new GuestCommand { Script = "echo broken >&2; exit 4" }, Ct));
        Assert.Contains("exited with code 4", e.Message, StringComparison.Ordinal);
        Assert.Contains("broken", e.Message, StringComparison.Ordinal);
        Assert.Contains("VM 'ssh'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_guest_resolves_names_through_QEMU_not_through_the_build_host_s_resolver()
    {
        // The mirror the image was built from: the host resolved it, so QEMU's resolver (10.0.2.3) can.
        var mirror = new ImageDefinition { Name = "debian", Recipe = "debian" }.Mirror.Host;
        var result = await Ssh.RunAsync(new GuestCommand { Script = $"cat /etc/resolv.conf; getent hosts {mirror}", ValidateExitCode = false }, Ct);
        Assert.True(result.ExitCode == 0, $"The guest could not resolve {mirror}:\n{result.StandardOutput}{result.StandardError}");
        Assert.Equal("nameserver 10.0.2.3", result.StandardOutput.Split('\n')[0]);
    }

    [Fact]
    public async Task A_command_that_exits_255_is_its_own_exit_code_not_a_lost_connection()
    {
        var result = await Ssh.RunAsync(new GuestCommand { Script = "echo said >&2; exit 255", ValidateExitCode = false }, Ct);
        Assert.Equal((255, "said\n"), (result.ExitCode, result.StandardError));
        var e = await Assert.ThrowsAsync<GuestCommandFailedException>(() => Ssh.RunAsync(new GuestCommand { Script = "exit 255" }, Ct));
        Assert.Contains("exited with code 255", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_working_directory_and_elevation_apply()
    {
        var result = await Ssh.RunAsync(new GuestCommand
        {
            Script = "pwd; echo \"$GREETING\"; id -u",
            WorkingDirectory = "/var/log",
            Environment = new Dictionary<string, string> { ["GREETING"] = "hello there" },
            Elevation = Elevation.Doas,
        }, Ct);
        Assert.Equal("/var/log\nhello there\n0\n", result.StandardOutput);
        Assert.Equal("1000\n", (await Ssh.RunAsync(new GuestCommand { Script = "id -u" }, Ct)).StandardOutput);
    }

    [Theory]
    [InlineData("two words")]
    [InlineData("it's \"quoted\"")]
    [InlineData("$HOME `id` $(id)")]
    [InlineData("line one\nline two")]
    [InlineData("back\\slash; semi|pipe&amp")]
    public async Task Arguments_reach_the_guest_exactly(string word)
    {
        var result = await Ssh.RunAsync(GuestCommand.FromArguments("printf", "%s", word) with { Elevation = Elevation.Sudo }, Ct);
        Assert.Equal(word, result.StandardOutput);
    }

    [Fact]
    public async Task An_argument_list_runs_without_a_shell_of_its_own_with_directory_and_environment()
    {
        var command = GuestCommand.FromArguments("sh", "-c", "pwd; echo \"$WHO\"; exit 7") with
        {
            WorkingDirectory = "/tmp",
            Environment = new Dictionary<string, string> { ["WHO"] = "me and you" },
            ValidateExitCode = false,
        };
        var result = await Ssh.RunAsync(command, Ct);
        Assert.Equal((7, "/tmp\nme and you\n"), (result.ExitCode, result.StandardOutput));
    }

    [Fact]
    public async Task Environment_values_with_spaces_and_quotes_reach_an_unelevated_script()
    {
        var result = await Ssh.RunAsync(new GuestCommand { Script = "printf '%s' \"$VALUE\"", Environment = new Dictionary<string, string> { ["VALUE"] = "a 'b' $c" } }, Ct);
        Assert.Equal("a 'b' $c", result.StandardOutput);
    }

    [Fact]
    public async Task Standard_input_is_passed_through()
    {
        var result = await Ssh.RunAsync(new GuestCommand { Script = "wc -l", StandardInput = "a\nb\nc\n" }, Ct);
        Assert.Equal("3", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task Commands_run_side_by_side_each_on_its_own_channel()
    {
        // Each command waits until all eight have started, so they can only finish if they run at the same time.
        var folder = $"/tmp/side-by-side-{Guid.NewGuid():N}";
        await Ssh.RunAsync(GuestCommand.FromArguments("mkdir", folder), Ct);
        var commands = Enumerable.Range(0, 8).Select(i => Ssh.RunAsync(new GuestCommand
        {
            Script = $"touch {folder}/{i}; until [ \"$(ls {folder} | wc -l)\" -ge 8 ]; do sleep 0.2; done; echo {i}",
            Timeout = TimeSpan.FromSeconds(90),
        }, Ct));

        var results = await Task.WhenAll(commands);

        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"{i}\n"), results.Select(r => r.StandardOutput));
    }

    [Fact]
    public async Task Input_a_command_never_reads_neither_blocks_its_timeout_nor_its_end()
    {
        var lots = new string('x', 8 << 20);
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<GuestCommandTimeoutException>(() => Ssh.RunAsync(new GuestCommand { Script = "sleep 40", StandardInput = lots, Timeout = TimeSpan.FromSeconds(3) }, Ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");

        var first = await Ssh.RunAsync(new GuestCommand { Script = "head -c 3", StandardInput = lots }, Ct);
        Assert.Equal("xxx", first.StandardOutput);
    }

    [Fact]
    public async Task A_timeout_kills_the_remote_process()
    {
        var marker = $"sleep 4{Random.Shared.Next(1000, 9999)}";
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<GuestCommandTimeoutException>(() => Ssh.RunAsync(new GuestCommand { Script = $"{marker} & {marker}; wait", Timeout = TimeSpan.FromSeconds(3) }, Ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        var left = await Ssh.RunAsync(new GuestCommand { Script = $"pgrep -fc '^{marker}' || true" }, Ct);
        Assert.Equal("0", left.StandardOutput.Trim());
    }

    [Fact]
    public async Task A_timeout_kills_a_command_that_starts_no_process_and_the_next_command_runs()
    {
        // A loop of builtins runs in the persistent shell's subshell itself, which carries no CILAB_ID: it must die too.
        await Assert.ThrowsAsync<GuestCommandTimeoutException>(() => Ssh.RunAsync(new GuestCommand { Script = "while :; do :; done", Timeout = TimeSpan.FromSeconds(3) }, Ct));
        var busy = await Ssh.RunAsync(new GuestCommand { Script = "ps -eo times=,args= | awk '/__cilab_m/ && $1 >= 2' | wc -l" }, Ct);
        Assert.Equal("0", busy.StandardOutput.Trim());
        Assert.Equal("next\n", (await Ssh.RunAsync(new GuestCommand { Script = "echo next" }, Ct)).StandardOutput);
    }

    [Fact]
    public async Task Output_that_looks_like_a_frame_end_is_output_and_a_command_sees_none_of_the_shells_variables()
    {
        // The persistent shell ends each command's output at a marker; a guest that prints one of its own ends nothing.
        var result = await Ssh.RunAsync(new GuestCommand { Script = "echo \"[$__cilab_m][$__cilab_l]\"; printf '\\ncilab-00000000000000000000000000000000 0\\n'; exit 5", ValidateExitCode = false }, Ct);
        Assert.Equal((5, "[][]\n\ncilab-00000000000000000000000000000000 0\n"), (result.ExitCode, result.StandardOutput));
        var quiet = await Ssh.RunAsync(new GuestCommand { Script = "printf 'no newline'" }, Ct);
        Assert.Equal("no newline", quiet.StandardOutput);
    }

    [Fact]
    public async Task Commands_run_again_after_a_reset_the_held_connection_did_not_see_coming()
    {
        Assert.Equal("before\n", (await Ssh.RunAsync(new GuestCommand { Script = "echo before" }, Ct)).StandardOutput);
        await guest.Vm.ResetAsync(Ct);
        // No reconnect by hand: the held connection and its persistent shell are stale, and the probes replace them.
        await guest.Vm.WaitUntilReadyAsync(TimeSpan.FromMinutes(3), Ct);
        Assert.Equal("after\n", (await Ssh.RunAsync(new GuestCommand { Script = "echo after" }, Ct)).StandardOutput);
    }

    [Fact]
    public async Task Waits_succeed_on_a_real_condition_and_time_out_with_the_last_output()
    {
        await guest.Vm.WaitForServiceAsync("ssh.service", TimeSpan.FromSeconds(30), Ct);
        await guest.Vm.WaitForPortAsync(22, TimeSpan.FromSeconds(30), Ct);
        var e = await Assert.ThrowsAsync<TimeoutException>(() => Ssh.WaitUntilAsync(new GuestCommand { Script = "echo not yet; false" }, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500), guest.Vm.IsRunning, Ct));
        Assert.Contains("not yet", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sshd_killed_mid_command_gives_a_clear_error_not_a_hang()
    {
        try
        {
            var running = Ssh.RunAsync(new GuestCommand { Script = "sleep 60" }, Ct);
            await Task.Delay(1000, Ct);
            await guest.Vm.RootShell.RunAsync(new GuestCommand { Script = "systemctl kill --signal=KILL ssh.service", ValidateExitCode = false }, Ct).ContinueWith(_ => { }, Ct);
            var e = await Assert.ThrowsAsync<GuestConnectionException>(() => running.WaitAsync(TimeSpan.FromSeconds(45), Ct));
            Assert.Contains("VM 'ssh'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await guest.Vm.RestoreAsync("clean", CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_replaced_host_key_is_refused_with_a_message_that_says_so()
    {
        try
        {
            await guest.Vm.RootShell.RunAsync(new GuestCommand { Script = "rm -f /etc/ssh/ssh_host_ed25519_key* && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && systemctl restart ssh" }, Ct);
            await Ssh.ReconnectAsync(Ct);
            await guest.Vm.RootShell.ReconnectAsync(Ct);
            var e = await Assert.ThrowsAsync<GuestConnectionException>(() => Ssh.RunAsync(new GuestCommand { Script = "true" }, Ct));
            Assert.Contains("host key does not match", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await guest.Vm.RestoreAsync("clean", CancellationToken.None);
        }
    }
}
