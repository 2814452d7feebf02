namespace CiLab.Build.Engine;

/// <summary>The build's arguments split into targets, engine switches and parameter options.</summary>
internal sealed class CommandLine
{
    public List<string> Targets { get; } = [];

    public bool Help { get; private set; }

    public bool Plan { get; private set; }

    /// <summary>Null when --skip was not given; empty when given alone (skip every target not invoked).</summary>
    public List<string>? Skip { get; private set; }

    public Dictionary<string, IReadOnlyList<string>> Options { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static CommandLine Parse(IReadOnlyList<string> arguments)
    {
        var result = new CommandLine();
        var i = 0;
        while (i < arguments.Count && !arguments[i].StartsWith('-'))
        {
            result.Targets.Add(arguments[i++]);
        }

        while (i < arguments.Count)
        {
            var token = arguments[i++];
            if (!token.StartsWith('-'))
            {
                throw new BuildUsageException($"Unexpected argument '{token}': targets come first, then --options.");
            }

            var name = token.TrimStart('-');
            string? inlineValue = null;
            if (name.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
            {
                inlineValue = name[(eq + 1)..];
                name = name[..eq];
            }

            var values = new List<string>();
            if (inlineValue is not null)
            {
                values.Add(inlineValue);
            }

            while (i < arguments.Count && !arguments[i].StartsWith("--", StringComparison.Ordinal))
            {
                values.Add(arguments[i++]);
            }

            switch (name.ToLowerInvariant())
            {
                case "help" or "h" or "?":
                    result.Help = true;
                    break;
                case "plan":
                    result.Plan = true;
                    result.Targets.AddRange(values);
                    break;
                case "target":
                    result.Targets.AddRange(values.SelectMany(SplitList));
                    break;
                case "skip":
                    result.Skip = [.. values.SelectMany(SplitList)];
                    break;
                default:
                    result.Options[name] = values;
                    break;
            }
        }

        return result;
    }

    private static IEnumerable<string> SplitList(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
