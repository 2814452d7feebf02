using System.Diagnostics;
using System.Text;

namespace CiLab.IntegrationTests;

/// <summary>
/// A command run under script(1), which gives it a terminal as a person's would be (raw mode, a tty for ssh): what it
/// prints is collected, keys are typed into it.
/// </summary>
public sealed class TerminalSession : IDisposable
{
    private readonly Process _script;
    private readonly StringBuilder _screen = new();
    private readonly Task _reading;

    public TerminalSession(string commandLine)
    {
        // SIGINT's default action, as at a terminal, even when this run inherited it ignored (see CilabCli.Start).
        var info = new ProcessStartInfo("env") { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--default-signal=INT", "script", "-qec", commandLine, "/dev/null" })
        {
            info.ArgumentList.Add(arg);
        }

        _script = Process.Start(info)!;
        _reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int read;
            while ((read = await _script.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (_screen)
                {
                    _screen.Append(buffer, 0, read);
                }
            }
        });
    }

    /// <summary>Everything the command printed so far.</summary>
    public string Screen
    {
        get
        {
            lock (_screen)
            {
                return _screen.ToString();
            }
        }
    }

    /// <summary>Waits until the screen shows <paramref name="text"/>; fails with the screen when it does not in time.</summary>
    public async Task WaitForAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Screen.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < timeout, $"'{text}' did not appear within {timeout.TotalSeconds:0}s; the screen:{Environment.NewLine}{Screen}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public async Task TypeAsync(string keys)
    {
        await _script.StandardInput.WriteAsync(keys);
        await _script.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
    }

    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        await _script.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        await _reading;
        return _script.ExitCode;
    }

    public void Dispose()
    {
        if (!_script.HasExited)
        {
            _script.Kill(entireProcessTree: true);
        }

        _script.Dispose();
    }
}
