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
        var screen = new StringWriter();
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
            await Task.Delay(TimeSpan.FromMilliseconds(1300), TestContext.Current.CancellationToken);
            log.LogInformation("{Line}", "VM 'phase4' is ready after 21.0s.");
            return 3;
        });

        var text = screen.ToString();
        Assert.Equal(3, result);
        Assert.Contains("VM 'phase4' started [tcg]; waiting for SSH (boot).", text, StringComparison.Ordinal);
        Assert.Contains("VM 'phase4' is ready after 21.0s.", text, StringComparison.Ordinal);
        Assert.Contains("\u001b[", text, StringComparison.Ordinal); // drawn and redrawn in place, which a log file must never get
        Assert.Contains("(0:01)", text, StringComparison.Ordinal);
    }
}
