using CiLab.Processes;
using CliWrap;
using Microsoft.Extensions.Logging;

namespace CiLab.Host;

/// <summary>
/// Checks that the host has the programs a run needs and, on Debian or Ubuntu as root (or with passwordless
/// sudo), installs the missing ones with apt-get. Elsewhere it stops with the exact command to run.
/// </summary>
public static class HostPrerequisites
{
    /// <summary>The tools of <paramref name="tools"/> whose command is not on PATH.</summary>
    public static IReadOnlyList<HostTool> FindMissing(IEnumerable<HostTool> tools) =>
        [.. tools.Where(t => FindOnPath(t.Command) is null).DistinctBy(t => t.Command)];

    /// <summary>The full path of <paramref name="command"/> on PATH (or the standard sbin folders), or null; an absolute path is looked at as it is.</summary>
    public static string? FindOnPath(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (Path.IsPathRooted(command))
        {
            return File.Exists(command) ? command : null;
        }

        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/sbin", "/sbin"]);
        return path.Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists);
    }

    /// <summary>Makes sure every tool is there, installing what is missing when this host allows it.</summary>
    /// <exception cref="HostPrerequisitesMissingException">Something is missing and cannot be installed here.</exception>
    public static async Task EnsureAsync(IEnumerable<HostTool> tools, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        var missing = FindMissing(tools);
        if (missing.Count == 0)
        {
            return;
        }

        var packages = missing.Select(t => t.DebianPackage).Distinct().Order(StringComparer.Ordinal).ToList();
        var commands = string.Join(", ", missing.Select(t => t.Command));
        var install = $"apt-get install -y {string.Join(' ', packages)}";
        if (!File.Exists("/etc/debian_version") || FindOnPath("apt-get") is null)
        {
            throw new HostPrerequisitesMissingException($"Missing on this host: {commands}. Install them with your package manager (on Debian/Ubuntu: sudo {install}).");
        }

        var prefix = await ElevationPrefixAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new HostPrerequisitesMissingException($"Missing on this host: {commands}. Run: sudo apt-get update && sudo {install}");
        // apt's hundreds of lines go to a log file; the console gets a line per step, and the log's end only on failure.
        var logPath = Path.Combine(RuntimeFolder.Ensure(), $"host-install-{DateTime.Now:yyyyMMdd-HHmmss}.log");
        log.Line($"Installing missing host packages: {string.Join(' ', packages)} (log: {logPath})");
        await RunAsync(prefix, ["apt-get", "update", "-qq"], logPath, log, cancellationToken).ConfigureAwait(false);
        await RunAsync(prefix, ["apt-get", "install", "-y", "-qq", "--no-install-recommends", .. packages], logPath, log, cancellationToken).ConfigureAwait(false);
        var still = FindMissing(missing);
        if (still.Count > 0)
        {
            throw new HostPrerequisitesMissingException($"apt-get ran, but these are still missing: {string.Join(", ", still.Select(t => t.Command))}.");
        }
    }

    private static async Task<string[]?> ElevationPrefixAsync(CancellationToken cancellationToken)
    {
        if (Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root")
        {
            return [];
        }

        if (FindOnPath("sudo") is null)
        {
            return null;
        }

        var sudo = await Cli.Wrap("sudo").WithArguments("-n", "true").WithValidation(false).ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
        return sudo.IsSuccess ? ["sudo", "-n"] : null;
    }

    private static async Task RunAsync(string[] prefix, string[] command, string logPath, ILogger log, CancellationToken cancellationToken)
    {
        string[] argv = [.. prefix, .. command];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var lines = new List<string>();
        void Keep(string line)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }

        var result = await Cli.Wrap(argv[0]).WithArguments(argv[1..])
            .WithEnvironmentVariable("DEBIAN_FRONTEND", "noninteractive")
            .WithStandardOutputLine(Keep)
            .WithStandardErrorLine(Keep)
            .WithValidation(false)
            .ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
        await File.AppendAllLinesAsync(logPath, [$"$ {string.Join(' ', argv)}", .. lines, $"(exit code {result.ExitCode})"], CancellationToken.None).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            var tail = string.Join(Environment.NewLine, lines.TakeLast(15).Select(l => "  " + l));
            throw new HostPrerequisitesMissingException($"{string.Join(' ', command)} failed (exit code {result.ExitCode}); its last lines:{Environment.NewLine}{tail}{Environment.NewLine}Full log: {logPath}");
        }

        log.Line($"  {string.Join(' ', command.Take(2))}: done in {clock.Elapsed.TotalSeconds:0.0}s");
    }
}
