using System.Diagnostics;

namespace CiLab.Machines;

/// <summary>Waiting for a guest: until a command succeeds, a port listens, a service is active.</summary>
public static class GuestWaits
{
    /// <summary>
    /// Runs <paramref name="probe"/> every <paramref name="interval"/> until it exits 0. Fails at once when
    /// <paramref name="isAlive"/> says the VM died, and with the probe's last output after <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="TimeoutException">The probe never succeeded in time; the message shows its last output.</exception>
    /// <exception cref="GuestConnectionException">The VM died meanwhile.</exception>
    public static async Task WaitUntilAsync(this IGuestShell shell, GuestCommand probe, TimeSpan timeout, TimeSpan interval, Func<bool>? isAlive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shell);
        ArgumentNullException.ThrowIfNull(probe);
        var clock = Stopwatch.StartNew();
        var last = "(never ran)";
        while (true)
        {
            if (isAlive is not null && !isAlive())
            {
                throw new GuestConnectionException(shell.VmName, $"the VM died while waiting for '{probe.Script}'.");
            }

            try
            {
                var result = await shell.RunAsync(probe with { ValidateExitCode = false, Timeout = interval + TimeSpan.FromSeconds(10) }, cancellationToken).ConfigureAwait(false);
                if (result.ExitCode == 0)
                {
                    return;
                }

                last = $"exit code {result.ExitCode}: {(result.StandardError + result.StandardOutput).Trim()}";
            }
            catch (GuestConnectionException e)
            {
                last = e.Detail;
            }
            catch (GuestCommandTimeoutException e)
            {
                // A guest going down mid-probe (a reboot) can leave the connection hanging: start the next try afresh.
                last = e.Message;
                await shell.ReconnectAsync(cancellationToken).ConfigureAwait(false);
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"In VM '{shell.VmName}', '{probe.Script}' did not succeed within {timeout.TotalSeconds:0}s (last: {last}).");
            }

            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until something listens on TCP <paramref name="port"/> in the guest.</summary>
    public static Task WaitForPortAsync(this IMachine machine, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return machine.Shell.WaitUntilAsync(new GuestCommand { Script = machine.Profile.PortListeningCommand(port) }, timeout, TimeSpan.FromMilliseconds(500), machine.IsRunning, cancellationToken);
    }

    /// <summary>Waits until service <paramref name="service"/> is active in the guest.</summary>
    public static Task WaitForServiceAsync(this IMachine machine, string service, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return machine.Shell.WaitUntilAsync(new GuestCommand { Script = machine.Profile.ServiceStateCommand(service) + " >/dev/null" }, timeout, TimeSpan.FromMilliseconds(500), machine.IsRunning, cancellationToken);
    }
}
