using CiLab.Testing;
using YamlDotNet.RepresentationModel;

namespace CiLab.Labs;

public sealed partial class LabFile
{
    private SuiteDefinition? ReadSuite(YamlNode node, string key, List<VmDefinition> vms)
    {
        if (Mapping(node, key) is not { } map)
        {
            return null;
        }

        CheckKeys(map, key, SuiteKeys);
        var name = CheckName(map, key, RequiredString(map, "name", key));
        var vm = RequiredString(map, "vm", key);
        var run = RequiredString(map, "run", key);
        if (vm is not null && vms.All(v => v.Name != vm))
        {
            Error(Child(map, "vm")!.Start, $"{key}.vm", $"no VM named '{vm}' in vms (known: {string.Join(", ", vms.Select(v => v.Name))})");
        }

        TestOutputFormat? format = TestOutputFormat.ExitCode;
        if (String(map, "format", key) is { } formatName)
        {
            format = TestOutputFormats.TryParse(formatName);
            if (format is null)
            {
                Error(Child(map, "format")!.Start, $"{key}.format", $"unknown format '{formatName}' (known: {string.Join(", ", TestOutputFormats.Names)})");
            }
        }

        var environment = new Dictionary<string, string>();
        if (Child(map, "env") is { } envNode)
        {
            if (envNode is YamlMappingNode envMap)
            {
                foreach (var (k, v) in envMap.Children)
                {
                    var variable = (k as YamlScalarNode)?.Value ?? string.Empty;
                    if (!EnvironmentName().IsMatch(variable))
                    {
                        Error(k.Start, $"{key}.env", $"'{variable}' is not an environment variable name (letters, digits and '_', not starting with a digit)");
                    }
                    else if (v is not YamlScalarNode value)
                    {
                        Error(v.Start, $"{key}.env.{variable}", "must be a text value");
                    }
                    else
                    {
                        environment[variable] = value.Value ?? string.Empty;
                    }
                }
            }
            else
            {
                Error(envNode.Start, $"{key}.env", "must be a mapping of NAME: value");
            }
        }

        return name is null || vm is null || run is null ? null : new SuiteDefinition
        {
            Name = name,
            Vm = vm,
            Run = run,
            Directory = RelativePath(map, "directory", key) ?? SuiteDefaults.Directory,
            Elevation = ElevationOf(map, key) ?? SuiteDefaults.Elevation,
            Format = format ?? SuiteDefaults.Format,
            Timeout = Duration(map, "timeout", key) ?? SuiteDefaults.Timeout,
            Environment = environment,
            Artifacts = RelativePaths(map, "artifacts", key),
            Needs = Strings(map, "needs", key),
        };
    }

    // A suite's needs run before it in the same VM (seed 003's vm-build before its tests): they must exist, share its VM and form no cycle.
    private void CheckNeeds(YamlMappingNode root, List<SuiteDefinition> suites)
    {
        var byName = suites.GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.First());
        var nodes = (Child(root, "suites") as YamlSequenceNode)?.Children.OfType<YamlMappingNode>().ToList() ?? [];
        for (var i = 0; i < suites.Count; i++)
        {
            var suite = suites[i];
            var node = nodes.FirstOrDefault(n => (Child(n, "name") as YamlScalarNode)?.Value == suite.Name);
            var mark = node is null ? root.Start : (Child(node, "needs") ?? node).Start;
            var key = $"suites.{suite.Name}.needs";
            foreach (var need in suite.Needs)
            {
                if (!byName.TryGetValue(need, out var needed))
                {
                    Error(mark, key, $"no suite named '{need}' in suites (known: {string.Join(", ", suites.Select(s => s.Name))})");
                }
                else if (needed.Vm != suite.Vm)
                {
                    Error(mark, key, $"'{need}' runs in VM '{needed.Vm}' and '{suite.Name}' in VM '{suite.Vm}': a suite can only need suites of its own VM");
                }
            }

            if (Cycle(suite, byName, []) is { } cycle)
            {
                Error(mark, key, $"the needs form a cycle: {string.Join(" → ", cycle)}");
            }
        }
    }

    private static List<string>? Cycle(SuiteDefinition suite, Dictionary<string, SuiteDefinition> byName, List<string> path)
    {
        if (path.Contains(suite.Name))
        {
            return path[0] == suite.Name ? [.. path, suite.Name] : null;
        }

        foreach (var need in suite.Needs.Where(byName.ContainsKey))
        {
            if (Cycle(byName[need], byName, [.. path, suite.Name]) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }

    private List<string> ReadDefaultSuites(YamlMappingNode root, List<SuiteDefinition> suites)
    {
        var names = Strings(root, "default-suites", "");
        foreach (var unknown in names.Where(n => suites.All(s => s.Name != n)))
        {
            Error(Child(root, "default-suites")!.Start, "default-suites", $"no suite named '{unknown}' in suites (known: {string.Join(", ", suites.Select(s => s.Name))})");
        }

        return names;
    }
}
