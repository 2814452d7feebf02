using System.Globalization;
using CiLab.Processes;
using CliWrap;

namespace CiLab.Build.Bench;

/// <summary>Wall time and peak memory of one process, read by GNU time.</summary>
internal sealed record Measured(double Seconds, double PeakMegabytes)
{
    public static async Task<Measured> RunAsync(string[] argv, string workingDirectory, CancellationToken ct)
    {
        var report = Path.GetTempFileName();
        try
        {
            await Cli.Wrap("/usr/bin/time").WithArguments(["-f", "%e %M", "-o", report, .. argv])
                .WithWorkingDirectory(workingDirectory)
                .WithValidation(false)
                .ExecuteBoundedAsync(ct, outputLimit: 1024);
            var parts = File.ReadAllLines(report).Last().Split(' ');
            return new Measured(double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture) / 1024);
        }
        finally
        {
            File.Delete(report);
        }
    }
}
