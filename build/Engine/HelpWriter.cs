namespace CiLab.Build.Engine;

/// <summary>What --help prints: the targets with descriptions and dependencies, then the parameters.</summary>
internal static class HelpWriter
{
    public static void Write(TextWriter output, TargetGraph graph, ParameterBinder parameters, string? defaultTarget)
    {
        output.WriteLine("Usage: ./nuke.sh [targets] [--parameter value ...] [--plan] [--skip [targets]] [--help]");
        output.WriteLine();
        output.WriteLine("Targets:");
        var width = graph.Targets.Select(t => t.Name.Length).DefaultIfEmpty(0).Max() + 4;
        foreach (var target in graph.Targets)
        {
            var marker = string.Equals(target.Name, defaultTarget, StringComparison.Ordinal) ? " (default)" : string.Empty;
            var dependsOn = target.DependencyTargets.Count > 0 ? $" -> depends on {string.Join(", ", target.DependencyTargets.Select(d => d.Name))}" : string.Empty;
            output.WriteLine($"  {target.Name.PadRight(width)}{target.Text}{marker}{dependsOn}");
        }

        output.WriteLine();
        output.WriteLine("Parameters (command line, else environment variable, else .nuke/parameters.json):");
        var rows = parameters.Parameters.Select(p => (Option: $"--{p.OptionName} <{ValueHint(p)}>", p)).ToList();
        var optionWidth = rows.Select(r => r.Option.Length).DefaultIfEmpty(0).Max() + 2;
        foreach (var (option, parameter) in rows)
        {
            var defaultValue = FormatDefault(parameter.DefaultValue);
            output.WriteLine($"  {option.PadRight(optionWidth)}{parameter.Description}{defaultValue}");
        }

        output.WriteLine();
        output.WriteLine("Options:");
        output.WriteLine("  --plan                 print the ordered plan and stop");
        output.WriteLine("  --skip [targets]       skip the named targets (alone: every target not named on the command line)");
        output.WriteLine("  --help                 this text");
    }

    private static string ValueHint(BuildParameter parameter)
    {
        var type = parameter.ElementType;
        var hint = type.IsEnum ? string.Join("|", Enum.GetNames(type)) : type == typeof(bool) ? "true|false" : type.Name.ToLowerInvariant();
        return parameter.IsArray ? $"{hint},..." : hint;
    }

    private static string FormatDefault(object? value) => value switch
    {
        null => string.Empty,
        string s when s.Length == 0 => string.Empty,
        Array a when a.Length == 0 => string.Empty,
        Array a => $" (default: {string.Join(",", a.Cast<object>())})",
        _ => $" (default: {value})",
    };
}
