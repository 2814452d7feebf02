using System.Diagnostics;
using System.Text;

namespace CiLab.IntegrationTests;

/// <summary>The cilab command as its own process, as CI would run it (CI=true, every stream redirected).</summary>
public static class CilabCli
{
    public static Process Start(params string[] args)
    {
        // Started as at a terminal, with SIGINT's default action: a test run a non-interactive shell put in the background
        // inherits SIGINT ignored, and .NET leaves an ignored SIGINT ignored, so the Ctrl-C tests would wait forever.
        var info = new ProcessStartInfo("env") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        info.ArgumentList.Add("--default-signal=INT");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CiLab.Cli.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["CI"] = "true";
        return Process.Start(info)!;
    }

    /// <summary>
    /// A test's cleanup: kills <paramref name="leftOver"/> if it still runs (a CLI that never exited holds the VM's lock),
    /// then runs <c>cilab vm destroy</c>, bounded: a destroy that does not end fails the test by name instead of holding
    /// it until CI's own timeout.
    /// </summary>
    public static async Task DestroyAsync(string vm, string labFile, Process? leftOver)
    {
        if (leftOver is { HasExited: false })
        {
            leftOver.Kill(entireProcessTree: true);
            await leftOver.WaitForExitAsync(CancellationToken.None);
        }

        using var destroy = Start("vm", "destroy", vm, "--yes", "--lab", labFile);
        var output = destroy.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = destroy.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await destroy.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            destroy.Kill(entireProcessTree: true);
            Assert.Fail($"cilab vm destroy {vm} did not end within 2 minutes; killed it. It printed:{Environment.NewLine}{await output}{await error}");
        }

        Assert.True(destroy.ExitCode == 0, $"cilab vm destroy {vm} exited {destroy.ExitCode}:{Environment.NewLine}{await output}{await error}");
    }

    /// <summary>Reads <paramref name="cli"/>'s output into <paramref name="screen"/> until it shows <paramref name="text"/>; fails with what it showed when it does not in time.</summary>
    public static async Task ReadUntilAsync(Process cli, StringBuilder screen, string text, TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(timeout);
        var buffer = new char[4096];
        try
        {
            while (!screen.ToString().Contains(text, StringComparison.Ordinal) && await cli.StandardOutput.ReadAsync(buffer, deadline.Token) is > 0 and var read)
            {
                screen.Append(buffer, 0, read);
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
        }

        Assert.True(screen.ToString().Contains(text, StringComparison.Ordinal), $"'{text}' did not appear within {timeout.TotalSeconds:0}s; the console:{Environment.NewLine}{screen}");
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> (kill(2)); 0 when it was sent.</summary>
    public static int Signal(int pid, int signal) => Kill(pid, signal);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
