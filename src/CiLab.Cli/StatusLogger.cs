using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace CiLab.Cli;

/// <summary>Lines above a Spectre.Console status, which shows the latest one and the elapsed time.</summary>
internal sealed class StatusLogger(IAnsiConsole console, StatusContext context, string title) : ILogger
{
    private const int StatusWidth = 100;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private string _latest = title;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel is not LogLevel.None && logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = formatter(state, exception);
        lock (_gate)
        {
            console.WriteLine(line);
            _latest = line;
            Refresh();
        }
    }

    /// <summary>Shows the latest line (cut to fit) and the time so far.</summary>
    public void Refresh()
    {
        lock (_gate)
        {
            var text = _latest.Length > StatusWidth ? _latest[..(StatusWidth - 1)] + "…" : _latest;
            context.Status($"{Markup.Escape(text)} [grey]({_clock.Elapsed.ToString(@"m\:ss", CultureInfo.InvariantCulture)})[/]");
        }
    }
}
