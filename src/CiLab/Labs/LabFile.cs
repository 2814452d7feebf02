using System.Globalization;
using CiLab.Testing;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CiLab.Labs;

/// <summary>
/// Reads <c>lab.yaml</c>. Every problem is collected (unknown keys, bad sizes, duplicate names, port clashes,
/// missing images) and reported together, each with file, line, column and key.
/// </summary>
public sealed partial class LabFile
{
    internal static readonly string[] TopKeys = ["images", "vms", "suites", "sync"];
    internal static readonly string[] ImageKeys = ["name", "recipe", "path", "url", "sha256", "suite", "packages", "disk", "provision", "cloud-init"];
    internal static readonly string[] VmKeys = ["name", "image", "cpus", "memory", "ssh-port", "ports", "user", "elevation", "read-only", "boot-timeout", "accelerator"];
    internal static readonly string[] SuiteKeys = ["name", "vm", "run", "directory", "elevation", "format", "timeout", "env", "artifacts"];
    private static readonly string[] Recipes = ["debian"];

    private readonly string _path;
    private readonly string _directory;
    private readonly List<LabFileError> _errors = [];

    private LabFile(string path)
    {
        _path = path;
        _directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
    }

    /// <summary>Reads and validates the lab file at <paramref name="path"/>.</summary>
    /// <exception cref="LabFileException">The file has errors (all of them are listed).</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static LabDefinition Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No lab file at {path}. Create one (see the README) or pass --lab.", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads and validates lab file text; <paramref name="path"/> names it in errors and anchors relative paths.</summary>
    /// <exception cref="LabFileException">The text has errors.</exception>
    public static LabDefinition Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new LabFile(path);
        var lab = reader.Read(text);
        return reader._errors.Count > 0 ? throw new LabFileException(reader._errors) : lab!;
    }

    private LabDefinition? Read(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            Error(e.Start, "(syntax)", e.InnerException?.Message ?? e.Message);
            return null;
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            Error(stream.Documents.FirstOrDefault()?.RootNode.Start ?? Mark.Empty, "(root)", "a lab file is a mapping with images, vms and suites");
            return null;
        }

        CheckKeys(root, "", TopKeys);
        var images = List(root, "images").Select((n, i) => ReadImage(n, $"images[{i}]")).OfType<ImageDefinition>().ToList();
        var vms = List(root, "vms").Select((n, i) => ReadVm(n, $"vms[{i}]", images)).OfType<VmDefinition>().ToList();
        var suites = List(root, "suites").Select((n, i) => ReadSuite(n, $"suites[{i}]", vms)).OfType<SuiteDefinition>().ToList();
        CheckDuplicates(root, "images", images.Select(i => i.Name));
        CheckDuplicates(root, "vms", vms.Select(v => v.Name));
        CheckDuplicates(root, "suites", suites.Select(s => s.Name));
        CheckPortClashes(root, vms);
        var excludes = Child(root, "sync") is YamlMappingNode sync ? Strings(sync, "exclude", "sync") : [];
        return new LabDefinition { Path = _path, Images = images, Vms = vms, Suites = suites, SyncExcludes = excludes };
    }

    private ImageDefinition? ReadImage(YamlNode node, string key)
    {
        if (Mapping(node, key) is not { } map)
        {
            return null;
        }

        CheckKeys(map, key, ImageKeys);
        var name = CheckName(map, key, RequiredString(map, "name", key));
        var recipe = String(map, "recipe", key);
        var path = String(map, "path", key);
        var url = String(map, "url", key);
        var sha256 = String(map, "sha256", key);
        if (new[] { recipe, path, url }.Count(x => x is not null) != 1)
        {
            Error(map.Start, key, "give exactly one of 'recipe' (an image CiLab builds), 'path' (your own qcow2 or raw file) or 'url' (downloaded once, with 'sha256')");
        }

        Uri? uri = null;
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out uri) || uri.Scheme is not ("https" or "http")))
        {
            Error(Child(map, "url")!.Start, $"{key}.url", $"'{url}' is not an http(s) URL");
        }

        if (url is not null && (sha256 is null || sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigit)))
        {
            Error((Child(map, "sha256") ?? map).Start, $"{key}.sha256", "a downloaded image needs its SHA-256: 64 hex digits");
        }

        if (recipe is not null && !Recipes.Contains(recipe))
        {
            Error(Child(map, "recipe")!.Start, $"{key}.recipe", $"unknown recipe '{recipe}' (known: {string.Join(", ", Recipes)})");
        }

        if (path is not null && !File.Exists(Path.Combine(_directory, path)))
        {
            Error(Child(map, "path")!.Start, $"{key}.path", $"no image file at {Path.Combine(_directory, path)}");
        }

        var provision = String(map, "provision", key);
        if (provision is not null && !File.Exists(Path.Combine(_directory, provision)))
        {
            Error(Child(map, "provision")!.Start, $"{key}.provision", $"no provisioning script at {Path.Combine(_directory, provision)}");
        }

        return name is null ? null : new ImageDefinition
        {
            Name = name,
            Recipe = recipe,
            Path = path is null ? null : Path.Combine(_directory, path),
            Url = uri,
            Sha256 = sha256,
            Suite = String(map, "suite", key) ?? "bookworm",
            Packages = Strings(map, "packages", key),
            DiskBytes = Size(map, "disk", key, minimum: 256L << 20) ?? (4L << 30),
            Provision = provision is null ? null : Path.Combine(_directory, provision),
            CloudInit = Bool(map, "cloud-init", key) ?? false,
        };
    }

    private VmDefinition? ReadVm(YamlNode node, string key, List<ImageDefinition> images)
    {
        if (Mapping(node, key) is not { } map)
        {
            return null;
        }

        CheckKeys(map, key, VmKeys);
        var name = CheckName(map, key, RequiredString(map, "name", key));
        var image = RequiredString(map, "image", key);
        if (image is not null && images.All(i => i.Name != image))
        {
            Error(Child(map, "image")!.Start, $"{key}.image", $"no image named '{image}' in images (known: {string.Join(", ", images.Select(i => i.Name))})");
        }

        var sshPort = String(map, "ssh-port", key) is { } port && port != "auto" ? Port(Child(map, "ssh-port")!, $"{key}.ssh-port", port) : 0;
        var ports = new List<PortForward>();
        if (Child(map, "ports") is YamlSequenceNode list)
        {
            foreach (var (item, i) in list.Children.Select((n, i) => (n, i)))
            {
                ports.Add(ReadPort(item, $"{key}.ports[{i}]"));
            }
        }

        var accelerator = String(map, "accelerator", key) ?? "auto";
        if (accelerator is not ("auto" or "kvm" or "tcg"))
        {
            Error(Child(map, "accelerator")!.Start, $"{key}.accelerator", $"'{accelerator}' is not one of auto, kvm, tcg");
        }

        return name is null || image is null ? null : new VmDefinition
        {
            Name = name,
            Image = image,
            Cpus = Int(map, "cpus", key, 1, 64) ?? 2,
            MemoryBytes = Size(map, "memory", key, minimum: 64L << 20) ?? (1L << 30),
            SshPort = sshPort,
            Ports = ports,
            User = User(map, key) ?? "cilab",
            Elevation = ElevationOf(map, key) ?? Elevation.Doas,
            ReadOnly = Bool(map, "read-only", key) ?? false,
            BootTimeout = Duration(map, "boot-timeout", key) ?? TimeSpan.FromMinutes(3),
            Accelerator = accelerator,
        };
    }

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
            Directory = RelativePath(map, "directory", key) ?? ".",
            Elevation = ElevationOf(map, key) ?? Elevation.None,
            Format = format ?? TestOutputFormat.ExitCode,
            Timeout = Duration(map, "timeout", key) ?? TimeSpan.FromMinutes(30),
            Environment = environment,
            Artifacts = RelativePaths(map, "artifacts", key),
        };
    }

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

    private PortForward ReadPort(YamlNode node, string key)
    {
        var text = (node as YamlScalarNode)?.Value ?? string.Empty;
        var parts = text.Split(':');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65536))
        {
            var numbers = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            return numbers.Length == 1 ? new PortForward(0, numbers[0]) : new PortForward(numbers[0], numbers[1]);
        }

        Error(node.Start, key, $"'{text}' is not a port forward: write GUEST or HOST:GUEST, ports 1-65535");
        return new PortForward(0, 0);
    }

    private void CheckPortClashes(YamlMappingNode root, List<VmDefinition> vms)
    {
        var used = new Dictionary<int, string>();
        foreach (var vm in vms)
        {
            foreach (var port in vm.Ports.Select(p => p.HostPort).Prepend(vm.SshPort).Where(p => p != 0))
            {
                if (used.TryGetValue(port, out var other))
                {
                    var node = VmNode(root, vm.Name) ?? root;
                    Error(node.Start, $"vms.{vm.Name}", $"host port {port} is already forwarded by VM '{other}'");
                }
                else
                {
                    used[port] = vm.Name;
                }
            }
        }
    }

    private static YamlNode? VmNode(YamlMappingNode root, string name) =>
        (Child(root, "vms") as YamlSequenceNode)?.Children.OfType<YamlMappingNode>()
            .FirstOrDefault(m => (Child(m, "name") as YamlScalarNode)?.Value == name);

    private void CheckDuplicates(YamlMappingNode root, string section, IEnumerable<string> names)
    {
        foreach (var duplicate in names.GroupBy(n => n).Where(g => g.Count() > 1))
        {
            var nodes = (Child(root, section) as YamlSequenceNode)?.Children.OfType<YamlMappingNode>()
                .Where(m => (Child(m, "name") as YamlScalarNode)?.Value == duplicate.Key).ToList() ?? [];
            var second = nodes.Skip(1).FirstOrDefault() ?? (YamlNode)root;
            Error(second.Start, $"{section}.{duplicate.Key}", $"the name '{duplicate.Key}' is used {duplicate.Count()} times; names must be unique");
        }
    }

    private void CheckKeys(YamlMappingNode map, string key, string[] known)
    {
        foreach (var child in map.Children.Keys.OfType<YamlScalarNode>().Where(k => !known.Contains(k.Value)))
        {
            var nearest = known.OrderBy(k => Distance(k, child.Value!)).First();
            var hint = Distance(nearest, child.Value!) <= 2 ? $" (did you mean '{nearest}'?)" : $" (known: {string.Join(", ", known)})";
            Error(child.Start, Join(key, child.Value!), $"unknown key{hint}");
        }
    }

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
