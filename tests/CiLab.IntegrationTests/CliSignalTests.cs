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
        using var cli = StartCli("vm", "start", "sigterm", "--lab", labFile);
        await WaitUntilAsync(() => GuestLab.QemuProcessesFor("sigterm") > 0, TimeSpan.FromSeconds(60));
        Assert.False(cli.HasExited, "cilab returned before the guest could have booted");

        Assert.Equal(0, Kill(cli.Id, 15));
        await cli.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await WaitUntilAsync(() => GuestLab.QemuProcessesFor("sigterm") == 0, TimeSpan.FromSeconds(15));
        Assert.Equal(0, GuestLab.QemuProcessesFor("sigterm"));
        Assert.NotEqual(0, cli.ExitCode);
    }

    [Fact]
    public async Task Destroy_without_yes_is_refused_when_not_interactive_and_read_only_vms_refuse_it_anyway()
    {
        var labFile = WriteLabFile("keepme", readOnly: false);
        using (var cli = StartCli("vm", "destroy", "keepme", "--lab", labFile))
        {
            var error = await cli.StandardError.ReadToEndAsync(Ct);
            await cli.WaitForExitAsync(Ct);
            Assert.Equal(2, cli.ExitCode);
            Assert.Contains("pass --yes", error, StringComparison.Ordinal);
        }

        var readOnly = WriteLabFile("keepme", readOnly: true);
        using (var cli = StartCli("vm", "destroy", "keepme", "--yes", "--lab", readOnly))
        {
            var error = await cli.StandardError.ReadToEndAsync(Ct);
            await cli.WaitForExitAsync(Ct);
            Assert.Equal(1, cli.ExitCode);
            Assert.Contains("read-only", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Vm_ssh_opens_a_shell_in_the_vm_at_a_terminal_and_prints_the_command_line_otherwise()
    {
        var labFile = WriteLabFile("shell", readOnly: false);
        using (var start = StartCli("vm", "start", "shell", "--lab", labFile))
        {
            await start.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(5), Ct);
            Assert.True(start.ExitCode == 0, await start.StandardError.ReadToEndAsync(Ct));
        }

        try
        {
            using (var printed = StartCli("vm", "ssh", "shell", "--lab", labFile))
            {
                var line = await printed.StandardOutput.ReadToEndAsync(Ct);
                await printed.WaitForExitAsync(Ct);
                Assert.Equal(0, printed.ExitCode);
                Assert.StartsWith("ssh ", line, StringComparison.Ordinal);
                Assert.Contains("StrictHostKeyChecking=yes", line, StringComparison.Ordinal);
            }

            // script(1) gives cilab a terminal, as a person's would be: ssh replaces cilab and the guest shell gets a tty.
            var cli = Path.Combine(AppContext.BaseDirectory, "CiLab.Cli.dll");
            var info = new ProcessStartInfo("script") { RedirectStandardInput = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "-qec", $"dotnet {cli} vm ssh shell --lab {labFile}", "/dev/null" })
            {
                info.ArgumentList.Add(arg);
            }

            using var terminal = Process.Start(info)!;
            var screen = new System.Text.StringBuilder();
            var reading = Task.Run(async () =>
            {
                var buffer = new char[4096];
                int read;
                while ((read = await terminal.StandardOutput.ReadAsync(buffer, Ct)) > 0)
                {
                    lock (screen)
                    {
                        screen.Append(buffer, 0, read);
                    }
                }
            }, Ct);
            string Screen()
            {
                lock (screen)
                {
                    return screen.ToString();
                }
            }

            await WaitUntilAsync(() => Screen().Contains("cilab@", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            await terminal.StandardInput.WriteAsync("echo \"inside $(hostname) on $(tty)\"; exit\n");
            await terminal.StandardInput.FlushAsync(Ct);
            await terminal.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
            await reading;
            Assert.Matches("inside cilab-guest on /dev/pts/[0-9]+", Screen());
        }
        finally
        {
            using var destroy = StartCli("vm", "destroy", "shell", "--yes", "--lab", labFile);
            await destroy.WaitForExitAsync(Ct);
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

    private static Process StartCli(params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "CiLab.Cli.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        info.ArgumentList.Add(cli);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["CI"] = "true";
        return Process.Start(info)!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < timeout)
        {
            await Task.Delay(100, Ct);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
