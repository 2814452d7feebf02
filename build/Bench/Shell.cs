using System.Diagnostics;
using CiLab.Processes;
using CliWrap;

namespace CiLab.Build.Bench;

/// <summary>The plain shell way, as the seeds write it: a bash script, timed from outside.</summary>
internal static class Shell
{
    public static async Task<double> TimeAsync(string script, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await Cli.Wrap("bash").WithArguments("-euo", "pipefail", "-c", script).ExecuteBoundedAsync(ct);
        return clock.Elapsed.TotalSeconds;
    }

    public static async Task<double> TimeAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed.TotalSeconds;
    }
}
