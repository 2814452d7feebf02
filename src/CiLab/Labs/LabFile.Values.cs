using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CiLab.Labs;

// Reading one value of the file: names, users, paths, text, lists, sizes, durations, numbers, ports, flags.
public sealed partial class LabFile
{
    private string? CheckName(YamlMappingNode map, string key, string? name)
    {
        if (name is null || Names.IsValidName(name))
        {
            return name;
        }

        Error(Child(map, "name")!.Start, $"{key}.name", $"'{name}' is not a valid name: {Names.NameRule}");
        return null;
    }

    private string? User(YamlMappingNode map, string key)
    {
        var user = String(map, "user", key);
        if (user is null || Names.IsValidUser(user))
        {
            return user;
        }

        Error(Child(map, "user")!.Start, $"{key}.user", $"'{user}' is not a valid user: {Names.UserRule}");
        return null;
    }

    private string? RelativePath(YamlMappingNode map, string name, string key)
    {
        var path = String(map, name, key);
        if (path is null || Names.IsSafeRelativePath(path))
        {
            return path;
        }

        Error(Child(map, name)!.Start, Join(key, name), $"'{path}' is not {Names.RelativePathRule}");
        return null;
    }

    private List<string> RelativePaths(YamlMappingNode map, string name, string key)
    {
        var paths = Strings(map, name, key);
        foreach (var (path, i) in paths.Select((p, i) => (p, i)).Where(p => !Names.IsSafeRelativePath(p.p)))
        {
            Error(((YamlSequenceNode)Child(map, name)!).Children[i].Start, $"{Join(key, name)}[{i}]", $"'{path}' is not {Names.RelativePathRule}");
        }

        return [.. paths.Where(Names.IsSafeRelativePath)];
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial System.Text.RegularExpressions.Regex EnvironmentName();

    private IEnumerable<YamlNode> List(YamlMappingNode map, string key)
    {
        var node = Child(map, key);
        if (node is null)
        {
            return [];
        }

        if (node is YamlSequenceNode sequence)
        {
            return sequence.Children;
        }

        Error(node.Start, key, "must be a list (each item starting with '- name: ...')");
        return [];
    }

    private YamlMappingNode? Mapping(YamlNode node, string key)
    {
        if (node is YamlMappingNode map)
        {
            return map;
        }

        Error(node.Start, key, "must be a mapping of keys");
        return null;
    }

    private string? RequiredString(YamlMappingNode map, string name, string key)
    {
        var value = String(map, name, key);
        if (value is null && Child(map, name) is null)
        {
            Error(map.Start, Join(key, name), "is required");
        }

        return value;
    }

    private string? String(YamlMappingNode map, string name, string key)
    {
        var node = Child(map, name);
        if (node is null)
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { Length: > 0 } value })
        {
            return value;
        }

        Error(node.Start, Join(key, name), "must be a non-empty text value");
        return null;
    }

    private List<string> Strings(YamlMappingNode map, string name, string key)
    {
        var node = Child(map, name);
        if (node is null)
        {
            return [];
        }

        if (node is YamlSequenceNode sequence && sequence.Children.All(c => c is YamlScalarNode))
        {
            return [.. sequence.Children.Cast<YamlScalarNode>().Select(c => c.Value ?? string.Empty)];
        }

        Error(node.Start, Join(key, name), "must be a list of text values");
        return [];
    }

    private long? Size(YamlMappingNode map, string name, string key, long minimum)
    {
        if (String(map, name, key) is not { } text)
        {
            return null;
        }

        var size = Quantities.ParseSize(text);
        if (size is null || size < minimum)
        {
            Error(Child(map, name)!.Start, Join(key, name), size is null
                ? $"'{text}' is not a size (write e.g. 512M, 2G)"
                : $"'{text}' is too small (at least {minimum >> 20}M)");
            return null;
        }

        return size;
    }

    private TimeSpan? Duration(YamlMappingNode map, string name, string key)
    {
        if (String(map, name, key) is not { } text)
        {
            return null;
        }

        var duration = Quantities.ParseDuration(text);
        if (duration is null || duration <= TimeSpan.Zero)
        {
            Error(Child(map, name)!.Start, Join(key, name), $"'{text}' is not a duration (write e.g. 90s, 10m, 1h)");
        }

        return duration;
    }

    private int? Int(YamlMappingNode map, string name, string key, int min, int max)
    {
        if (String(map, name, key) is not { } text)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Error(Child(map, name)!.Start, Join(key, name), $"'{text}' is not a whole number from {min} to {max}");
        return null;
    }

    private int Port(YamlNode node, string key, string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
        {
            return port;
        }

        Error(node.Start, key, $"'{text}' is not a port (1-65535) or 'auto'");
        return 0;
    }

    private bool? Bool(YamlMappingNode map, string name, string key)
    {
        if (String(map, name, key) is not { } text)
        {
            return null;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        Error(Child(map, name)!.Start, Join(key, name), $"'{text}' is not true or false");
        return null;
    }

    private Elevation? ElevationOf(YamlMappingNode map, string key)
    {
        if (String(map, "elevation", key) is not { } text)
        {
            return null;
        }

        if (Enum.TryParse<Elevation>(text, ignoreCase: true, out var elevation) && !int.TryParse(text, out _))
        {
            return elevation;
        }

        Error(Child(map, "elevation")!.Start, Join(key, "elevation"), $"'{text}' is not one of none, sudo, doas");
        return null;
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static string Join(string key, string name) => key.Length == 0 ? name : $"{key}.{name}";

    private void Error(Mark mark, string key, string message) => _errors.Add(new LabFileError(_path, (int)mark.Line, (int)mark.Column, key, message));

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
        }

        return d[a.Length, b.Length];
    }
}
