using System.Text.Json;

namespace CiLab.Testing;

/// <summary>Turns a <c>go test -json</c> line into what a person wants to read while it streams.</summary>
public static class GoTestOutput
{
    /// <summary>
    /// An output event's text (without its line break); null for other events (run, pass, ...), which the
    /// output events already announce; any other line as it is.
    /// </summary>
    public static string? Display(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (!line.StartsWith('{'))
        {
            return line;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (!root.TryGetProperty("Action", out _))
            {
                return line;
            }

            return !root.TryGetProperty("Output", out var output) ? null
                : output.ValueKind == JsonValueKind.String ? output.GetString()!.TrimEnd('\n')
                : line; // Not what test2json writes: show it as it came.
        }
        catch (JsonException)
        {
            return line;
        }
    }
}
