using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace CiLab.Cli.Tests;

public sealed class LiveStatusTests
{
    [Fact]
    public async Task Redirected_output_gets_the_plain_lines_and_nothing_else()
    {
        var output = new StringWriter();

        var result = await LiveStatus.RunAsync(output, "start phase4", log =>
        {
            log.LogInformation("{Line}", "VM 'phase4' started [tcg]");
            log.LogInformation("{Line}", "VM 'phase4' is ready after 21.0s.");
            return Task.FromResult(7);
        });

        Assert.Equal(7, result);
        Assert.Equal("VM 'phase4' started [tcg]\nVM 'phase4' is ready after 21.0s.\n", output.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_terminal_gets_a_live_status_with_the_latest_step_and_its_time_and_keeps_every_line()
    {
        var screen = new Screen();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(screen),
        });

        var result = await LiveStatus.RunAsync(console, "start phase4", async log =>
        {
            log.LogInformation("{Line}", "VM 'phase4' started [tcg]; waiting for SSH (boot).");
            // The time is redrawn each second on Spectre's own render thread: wait until it has drawn one, not a fixed
            // while (a fixed 1.3 s lost the race on a loaded machine).
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!Elapsed().IsMatch(screen.ToString()) && waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            log.LogInformation("{Line}", "VM 'phase4' is ready after 21.0s.");
            return 3;
        });

        var text = screen.ToString();
        Assert.Equal(3, result);
        Assert.Contains("VM 'phase4' started [tcg]; waiting for SSH (boot).", text, StringComparison.Ordinal);
        Assert.Contains("VM 'phase4' is ready after 21.0s.", text, StringComparison.Ordinal);
        Assert.Contains("\u001b[", text, StringComparison.Ordinal); // drawn and redrawn in place, which a log file must never get
        Assert.Matches(Elapsed(), text);
    }

    // The verb's time, a second or more since it began.
    private static System.Text.RegularExpressions.Regex Elapsed() => new(@"\(0:(0[1-9]|[1-5][0-9])\)");

    // Written by Spectre's render thread while the test reads it.
    private sealed class Screen : StringWriter
    {
        private readonly Lock _lock = new();

        public override void Write(char value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_lock)
            {
                base.Write(buffer, index, count);
            }
        }

        public override void Write(string? value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            lock (_lock)
            {
                base.Write(buffer);
            }
        }

        public override string ToString()
        {
            lock (_lock)
            {
                return base.ToString();
            }
        }
    }
}
