using System.Security.Cryptography;
using System.Text;
using CiLab.Host;
using Microsoft.Extensions.Logging;

namespace CiLab.Machines;

/// <summary>
/// A user image's <c>provision:</c> script, run with the VM's elevation (root through sudo or doas) over SSH after the first boot of each VM's disk. The record
/// lives on that disk (the script's SHA-256 in <see cref="Marker"/>), so it runs once per overlay on every backend,
/// again after the overlay is made anew, and again when the script changes.
/// </summary>
internal static class GuestProvisioning
{
    /// <summary>Where the guest keeps the hash of the script that provisioned it.</summary>
    public const string Marker = "/var/lib/cilab/provisioned";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(30);

    /// <summary>Runs <paramref name="scriptPath"/> in <paramref name="vm"/> unless this disk ran it already.</summary>
    /// <exception cref="VmException">The script failed or timed out: the disk is not recorded as provisioned.</exception>
    public static async Task EnsureAsync(IMachine vm, string scriptPath, ILogger log, CancellationToken cancellationToken)
    {
        var script = await File.ReadAllTextAsync(scriptPath, cancellationToken).ConfigureAwait(false);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(script)));
        var elevation = vm.Definition.Elevation;
        var recorded = await vm.Shell.RunAsync(new GuestCommand { Script = $"cat {Marker} 2>/dev/null || true", Elevation = elevation }, cancellationToken).ConfigureAwait(false);
        if (recorded.StandardOutput.Trim() == hash)
        {
            return;
        }

        log.Line($"VM '{vm.Name}': running the provisioning script {scriptPath} (first boot of this disk, or the script changed)");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = await vm.Shell.RunAsync(new GuestCommand
        {
            Script = script,
            Elevation = elevation,
            Timeout = Timeout,
            ValidateExitCode = false,
            OnOutputLine = line => log.Line($"  [{vm.Name}] {line}"),
            OnErrorLine = line => log.Line($"  [{vm.Name}] {line}"),
        }, cancellationToken).ConfigureAwait(false);
        if (run.ExitCode != 0)
        {
            var tail = string.Join('\n', (run.StandardOutput + run.StandardError).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(15));
            throw new VmException($"VM '{vm.Name}': the provisioning script {scriptPath} failed (exit code {run.ExitCode}); the disk is not marked provisioned, so the next start runs it again. Last lines:\n{tail}");
        }

        await vm.Shell.RunAsync(new GuestCommand { Script = $"mkdir -p {Path.GetDirectoryName(Marker)} && echo {hash} > {Marker} && sync", Elevation = elevation }, cancellationToken).ConfigureAwait(false);
        log.Line($"VM '{vm.Name}': provisioned in {clock.Elapsed.TotalSeconds:0.0}s");
    }
}
