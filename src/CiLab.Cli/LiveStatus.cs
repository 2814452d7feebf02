using CiLab.Host;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace CiLab.Cli;

/// <summary>
/// How a verb shows its progress. At a terminal: a Spectre.Console spinner with the latest step and the time since the
/// verb began, every line kept above it. In CI, or with the output redirected: the same lines, plain, and nothing else.
/// </summary>
internal static class LiveStatus
{
    /// <summary>Runs <paramref name="action"/> with a logger suited to where <paramref name="output"/> goes.</summary>
    public static Task<T> RunAsync<T>(TextWriter output, string title, Func<ILogger, Task<T>> action) =>
        IsTerminal(output) ? RunAsync(AnsiConsole.Console, title, action) : action(new LineLogger(output));

    /// <summary>Runs <paramref name="action"/> under a live status on <paramref name="console"/>.</summary>
    internal static Task<T> RunAsync<T>(IAnsiConsole console, string title, Func<ILogger, Task<T>> action) =>
        console.Status().StartAsync(Markup.Escape(title), async context =>
        {
            var logger = new StatusLogger(console, context, title);
            using var ticker = new PeriodicTimer(TimeSpan.FromSeconds(1));
            var work = action(logger);
            while (!work.IsCompleted)
            {
                await Task.WhenAny(work, ticker.WaitForNextTickAsync().AsTask()).ConfigureAwait(false);
                logger.Refresh();
            }

            return await work.ConfigureAwait(false);
        });

    private static bool IsTerminal(TextWriter output) =>
        ReferenceEquals(output, Console.Out)
        && !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
        && AnsiConsole.Profile.Capabilities.Interactive;
}
