using System.Diagnostics;

namespace CiLab.IntegrationTests;

/// <summary>The cilab command as its own process, as CI would run it (CI=true, every stream redirected).</summary>
public static class CilabCli
{
    public static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CiLab.Cli.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["CI"] = "true";
        return Process.Start(info)!;
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> (kill(2)); 0 when it was sent.</summary>
    public static int Signal(int pid, int signal) => Kill(pid, signal);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
