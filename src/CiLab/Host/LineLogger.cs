using Microsoft.Extensions.Logging;

namespace CiLab.Host;

/// <summary>
/// An <see cref="ILogger"/> that writes each message as one plain line (no level, category or timestamp), the way the
/// build and the cilab tool show progress on a terminal or in a CI log. Safe to share between threads.
/// </summary>
/// <param name="output">Where the lines go.</param>
/// <param name="minimum">Messages below this level are dropped.</param>
public sealed class LineLogger(TextWriter output, LogLevel minimum = LogLevel.Information) : ILogger
{
    /// <summary>Lines to the console's standard output.</summary>
    public static LineLogger Console { get; } = new(System.Console.Out);

    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = formatter(state, exception);
        lock (output)
        {
            output.WriteLine(line);
        }
    }
}
