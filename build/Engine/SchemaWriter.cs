using System.Text.Json;
using System.Text.Json.Nodes;

namespace CiLab.Build.Engine;

/// <summary>Writes .nuke/build.schema.json from the build class, so editors complete parameters.json.</summary>
internal static class SchemaWriter
{
    public static string Generate(TargetGraph graph, ParameterBinder parameters)
    {
        var targetNames = new JsonArray(graph.Targets.Select(t => (JsonNode)JsonValue.Create(t.Name)).ToArray());
        var properties = new JsonObject
        {
            ["$schema"] = new JsonObject { ["type"] = "string" },
            ["Target"] = TargetList("Targets to run (positional on the command line)", targetNames),
            ["Skip"] = TargetList("Targets to skip", targetNames.DeepClone().AsArray()),
        };
        foreach (var parameter in parameters.Parameters)
        {
            properties[parameter.Name] = Describe(parameter);
        }

        var schema = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-04/schema#",
            ["title"] = "Build Schema",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
        };
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject TargetList(string description, JsonArray names) => new()
    {
        ["type"] = "array",
        ["description"] = description,
        ["items"] = new JsonObject { ["type"] = "string", ["enum"] = names },
    };

    private static JsonObject Describe(BuildParameter parameter)
    {
        var element = parameter.ElementType;
        JsonObject item = element.IsEnum
            ? new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(Enum.GetNames(element).Select(n => (JsonNode)JsonValue.Create(n)).ToArray()) }
            : new JsonObject { ["type"] = JsonType(element) };
        if (!parameter.IsArray)
        {
            item["description"] = parameter.Description;
            return item;
        }

        return new JsonObject { ["type"] = "array", ["description"] = parameter.Description, ["items"] = item };
    }

    private static string JsonType(Type type) =>
        type == typeof(bool) ? "boolean"
        : type == typeof(int) || type == typeof(long) ? "integer"
        : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? "number"
        : "string";
}
