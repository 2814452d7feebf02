using System.Diagnostics;

namespace CiLab.IntegrationTests;

/// <summary>The cilab command, run as its own process, against the integration lab's image.</summary>
public sealed class CliSignalTests(GuestLab lab)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sigterm_to_cilab_vm_start_while_it_boots_leaves_no_qemu_behind()
    {
        var labFile = WriteLabFile("sigterm", readOnly: false);
        using var cli = CilabCli.Start("vm", "start", "sigterm", "--lab", labFile);
        await WaitUntilAsync(() => GuestLab.QemuProcessesFor("sigterm") > 0, TimeSpan.FromSeconds(60));
        Assert.False(cli.HasExited, "cilab returned before the guest could have booted");

        Assert.Equal(0, CilabCli.Signal(cli.Id, 15));
        await cli.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await WaitUntilAsync(() => GuestLab.QemuProcessesFor("sigterm") == 0, TimeSpan.FromSeconds(15));
        Assert.Equal(0, GuestLab.QemuProcessesFor("sigterm"));
        Assert.NotEqual(0, cli.ExitCode);
    }

    [Fact]
    public async Task Destroy_without_yes_is_refused_when_not_interactive_and_read_only_vms_refuse_it_anyway()
    {
        var labFile = WriteLabFile("keepme", readOnly: false);
        using (var cli = CilabCli.Start("vm", "destroy", "keepme", "--lab", labFile))
        {
            var error = await cli.StandardError.ReadToEndAsync(Ct);
            await cli.WaitForExitAsync(Ct);
            Assert.Equal(2, cli.ExitCode);
            Assert.Contains("pass --yes", error, StringComparison.Ordinal);
        }

        var readOnly = WriteLabFile("keepme", readOnly: true);
        using (var cli = CilabCli.Start("vm", "destroy", "keepme", "--yes", "--lab", readOnly))
        {
            var error = await cli.StandardError.ReadToEndAsync(Ct);
            await cli.WaitForExitAsync(Ct);
            Assert.Equal(1, cli.ExitCode);
            Assert.Contains("read-only", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Vm_ssh_and_vm_console_reach_the_vm_at_a_terminal_and_from_a_script()
    {
        var labFile = WriteLabFile("shell", readOnly: false);
        using (var start = CilabCli.Start("vm", "start", "shell", "--lab", labFile))
        {
            await start.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(5), Ct);
            Assert.True(start.ExitCode == 0, await start.StandardError.ReadToEndAsync(Ct));
        }

        Process? scripted = null;
        try
        {
            using (var printed = CilabCli.Start("vm", "ssh", "shell", "--lab", labFile))
            {
                var line = await printed.StandardOutput.ReadToEndAsync(Ct);
                await printed.WaitForExitAsync(Ct);
                Assert.Equal(0, printed.ExitCode);
                Assert.StartsWith("ssh ", line, StringComparison.Ordinal);
                Assert.Contains("StrictHostKeyChecking=yes", line, StringComparison.Ordinal);
            }

            // script(1) gives cilab a terminal, as a person's would be: ssh replaces cilab and the guest shell gets a tty.
            var cli = Path.Combine(AppContext.BaseDirectory, "CiLab.Cli.dll");
            using (var terminal = new TerminalSession($"dotnet {cli} vm ssh shell --lab {labFile}"))
            {
                await terminal.WaitForAsync("cilab@", TimeSpan.FromSeconds(60));
                await terminal.TypeAsync("echo \"inside $(hostname) on $(tty)\"; exit\n");
                await terminal.ExitCodeAsync(TimeSpan.FromSeconds(60));
                Assert.Matches("inside cilab-guest on /dev/pts/[0-9]+", terminal.Screen);
            }

            // The serial console at a terminal: Enter brings the guest's serial getty's prompt, Ctrl-] detaches.
            using (var console = new TerminalSession($"dotnet {cli} vm console shell --lab {labFile}"))
            {
                await console.WaitForAsync("Ctrl-] detaches", TimeSpan.FromSeconds(30));
                await console.TypeAsync("\n");
                await console.WaitForAsync("cilab-guest login:", TimeSpan.FromSeconds(30));
                await console.TypeAsync("\u001d");
                Assert.Equal(0, await console.ExitCodeAsync(TimeSpan.FromSeconds(30)));
                Assert.Contains("Detached; the VM runs on.", console.Screen, StringComparison.Ordinal);
            }

            // From a script: the input goes in, the output comes out until Ctrl-C (SIGINT); the VM runs on.
            scripted = CilabCli.Start("vm", "console", "shell", "--lab", labFile);
            await scripted.StandardInput.WriteAsync("root\n");
            scripted.StandardInput.Close();
            await CilabCli.ReadUntilAsync(scripted, new System.Text.StringBuilder(), "Password:", TimeSpan.FromSeconds(60));
            Assert.Equal(0, CilabCli.Signal(scripted.Id, 2));
            await scripted.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(130, scripted.ExitCode);

            Assert.Equal(1, GuestLab.QemuProcessesFor("shell"));
        }
        finally
        {
            await CilabCli.DestroyAsync("shell", labFile, scripted);
            scripted?.Dispose();
        }
    }

    // Same recipe options as GuestLab's image, in the same lab folder: the cached image is reused.
    private string WriteLabFile(string vm, bool readOnly)
    {
        var path = Path.Combine(lab.Directory, $"{vm}.lab.yaml");
        File.WriteAllText(path, $"""
            images:
              - name: debian
                recipe: debian
                disk: 2G
            vms:
              - name: {vm}
                image: debian
                cpus: 1
                memory: 768M
                read-only: {(readOnly ? "true" : "false")}
            """);
        return path;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < timeout)
        {
            await Task.Delay(100, Ct);
        }
    }
}
