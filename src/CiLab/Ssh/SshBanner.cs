using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace CiLab.Ssh;

/// <summary>
/// Waits until sshd greets at an address, without sitting out an attempt that cannot be answered: behind QEMU's user
/// network the host side of a forwarded port accepts at once and then stays silent while the guest has no network
/// (booting, rebooting), so one long attempt would hang until its timeout while the guest got ready (measured: probes
/// of 10 s each while booting). Attempts run one at a time — a pile of pending ones would all land on sshd together the
/// moment the guest's network came up — each silent one given a second longer than the last, from 2 s, so a guest too
/// busy to greet quickly is still reached.
/// </summary>
internal static class SshBanner
{
    private static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(2);

    /// <summary>Null once a banner arrives; otherwise why none did within <paramref name="budget"/>.</summary>
    public static async Task<string?> WaitAsync(string host, int port, TimeSpan budget, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var wait = FirstWait;
        var last = "no answer";
        while (clock.Elapsed < budget)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromTicks(Math.Min(wait.Ticks, (budget - clock.Elapsed).Ticks)));
            var attempt = Stopwatch.StartNew();
            if (await AttemptAsync(host, port, limit.Token).ConfigureAwait(false) is not { } failure)
            {
                return null;
            }

            cancellationToken.ThrowIfCancellationRequested();
            // An attempt cut short by the budget says less than an earlier refusal or close: keep that one.
            last = limit.IsCancellationRequested && last != "no answer" ? last : failure;
            if (limit.IsCancellationRequested)
            {
                wait += TimeSpan.FromSeconds(1);
            }
            else if (attempt.Elapsed < TimeSpan.FromMilliseconds(200))
            {
                // Refused or reset at once: the guest is up, sshd not yet; ask again soon, not in a busy loop.
                await Task.Delay(TimeSpan.FromMilliseconds(200) - attempt.Elapsed, cancellationToken).ConfigureAwait(false);
            }
        }

        return $"no SSH banner within {budget.TotalSeconds:0}s ({last})";
    }

    // Null when a banner came; otherwise what happened. Never throws: cancellation is a failed attempt too.
    private static async Task<string?> AttemptAsync(string host, int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            var stream = client.GetStream();
            var seen = new StringBuilder();
            var buffer = new byte[256];
            while (seen.Length < 8192)
            {
                var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return "closed before a banner";
                }

                seen.Append(Encoding.ASCII.GetString(buffer, 0, read));
                if (seen.ToString().Contains("SSH-", StringComparison.Ordinal))
                {
                    return null;
                }
            }

            return "no SSH banner, only other text";
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return e.Message;
        }
        catch (OperationCanceledException)
        {
            return "still silent";
        }
    }
}
