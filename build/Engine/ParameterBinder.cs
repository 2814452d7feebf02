using System.Reflection;
using System.Text.Json;

namespace CiLab.Build.Engine;

/// <summary>Fills the build's [Parameter] members: command line, then environment, then .nuke/parameters.json.</summary>
internal sealed class ParameterBinder
{
    private ParameterBinder(IReadOnlyList<BuildParameter> parameters) => Parameters = parameters;

    public IReadOnlyList<BuildParameter> Parameters { get; }

    public static ParameterBinder Discover(object build)
    {
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        var type = build.GetType();
        var members = type.GetFields(flags).Cast<MemberInfo>().Concat(type.GetProperties(flags))
            .Select(m => (Member: m, Attribute: m.GetCustomAttribute<ParameterAttribute>()))
            .Where(x => x.Attribute is not null)
            .OrderBy(x => x.Member.MetadataToken)
            .Select(x => new BuildParameter(x.Member, x.Attribute!.Description, build))
            .ToList();
        return new ParameterBinder(members);
    }

    public BuildParameter? FindByOption(string option) =>
        Parameters.FirstOrDefault(p => string.Equals(p.OptionName, option, StringComparison.OrdinalIgnoreCase));

    public void Bind(object build, IReadOnlyDictionary<string, IReadOnlyList<string>> options, IReadOnlyDictionary<string, string> environment, string rootDirectory)
    {
        var file = ReadParametersFile(rootDirectory);
        foreach (var parameter in Parameters)
        {
            if (options.TryGetValue(parameter.OptionName, out var values))
            {
                parameter.Set(build, values, $"--{parameter.OptionName}");
            }
            else if (FindEnvironment(environment, parameter.Name) is { } variable)
            {
                parameter.Set(build, [variable.Value], $"environment variable {variable.Key}");
            }
            else if (file.TryGetValue(parameter.Name, out var fromFile))
            {
                parameter.Set(build, fromFile, $"{ParametersFileName} key '{parameter.Name}'");
            }
        }
    }

    internal const string ParametersFileName = ".nuke/parameters.json";

    private static KeyValuePair<string, string>? FindEnvironment(IReadOnlyDictionary<string, string> environment, string name)
    {
        var wanted = Normalize(name);
        foreach (var pair in environment)
        {
            if (Normalize(pair.Key) == wanted)
            {
                return pair;
            }
        }

        return null;
    }

    private static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToUpperInvariant();

    private Dictionary<string, IReadOnlyList<string>> ReadParametersFile(string rootDirectory)
    {
        var path = Path.Combine(rootDirectory, ParametersFileName);
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path))
        {
            return result;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new BuildUsageException($"{ParametersFileName}: not valid JSON (line {e.LineNumber + 1}): {e.Message}");
        }

        using (document)
        {
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "$schema")
                {
                    continue;
                }

                if (!Parameters.Any(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new BuildUsageException($"{ParametersFileName}: unknown parameter '{property.Name}'.{Suggestions.DidYouMean(property.Name, Parameters.Select(p => p.Name))}");
                }

                result[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.Array => property.Value.EnumerateArray().Select(Text).ToList(),
                    _ => [Text(property.Value)],
                };
            }
        }

        return result;

        static string Text(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
    }
}
