using System.Globalization;
using CiLab.Machines;
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
    internal static readonly string[] TopKeys = ["images", "vms", "suites", "default-suites", "sync", "proxmox"];
    // What a key left out means: the model's own defaults, written once, in the model.
    private static readonly ImageDefinition ImageDefaults = new() { Name = string.Empty };
    private static readonly VmDefinition VmDefaults = new() { Name = string.Empty, Image = string.Empty };
    private static readonly SuiteDefinition SuiteDefaults = new() { Name = string.Empty, Vm = string.Empty, Run = string.Empty };

    internal static readonly string[] ImageKeys = ["name", "recipe", "path", "url", "sha256", "suite", "mirror", "packages", "disk", "provision", "cloud-init", "proxmox-template", "boot", "blank"];
    internal static readonly string[] VmKeys = ["name", "image", "cpus", "memory", "ssh-port", "ports", "user", "elevation", "read-only", "boot-timeout", "accelerator", "backend", "guest", "firmware", "disk-bus", "nic", "install-iso"];
    internal static readonly string[] SuiteKeys = ["name", "vm", "run", "directory", "elevation", "format", "timeout", "env", "artifacts", "needs"];
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
        CheckNeeds(root, suites);
        var defaultSuites = ReadDefaultSuites(root, suites);
        CheckPortClashes(root, vms);
        var excludes = Child(root, "sync") is YamlMappingNode sync ? Strings(sync, "exclude", "sync") : [];
        var proxmox = Child(root, "proxmox") is { } proxmoxNode ? ReadProxmox(proxmoxNode) : null;
        CheckBackends(root, images, vms, proxmox);
        return new LabDefinition { Path = _path, Images = images, Vms = vms, Suites = suites, DefaultSuites = defaultSuites, SyncExcludes = excludes, Proxmox = proxmox };
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
        var template = Int(map, "proxmox-template", key, 100, 999_999_999);
        var blank = Bool(map, "blank", key) == true ? "blank" : null;
        if (new object?[] { recipe, path, url, template, blank }.Count(x => x is not null) != 1)
        {
            Error(map.Start, key, "give exactly one of 'recipe' (an image CiLab builds), 'path' (your own qcow2 or raw file), 'url' (downloaded once, with 'sha256'), 'proxmox-template' (a template VM's VMID on the lab's Proxmox cluster) or 'blank: true' (an empty disk for an installer)");
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

        var suite = String(map, "suite", key);
        if (suite is not null && !Names.IsDebianSuite(suite))
        {
            Error(Child(map, "suite")!.Start, $"{key}.suite", $"'{suite}' is not a Debian suite name (like trixie, stable or sid)");
        }

        var mirror = String(map, "mirror", key);
        Uri? mirrorUri = null;
        if (mirror is not null && (!Uri.TryCreate(mirror, UriKind.Absolute, out mirrorUri) || mirrorUri.Scheme is not ("https" or "http") || mirror.Any(char.IsWhiteSpace)))
        {
            Error(Child(map, "mirror")!.Start, $"{key}.mirror", $"'{mirror}' is not an http(s) URL of a Debian mirror");
        }

        var packages = Strings(map, "packages", key);
        foreach (var package in packages.Where(p => !Names.IsDebianPackage(p)))
        {
            Error(Child(map, "packages")!.Start, $"{key}.packages", $"'{package}' is not a Debian package name (lower-case letters, digits, + - and .)");
        }

        var provision = String(map, "provision", key);
        if (provision is not null && !File.Exists(Path.Combine(_directory, provision)))
        {
            Error(Child(map, "provision")!.Start, $"{key}.provision", $"no provisioning script at {Path.Combine(_directory, provision)}");
        }

        var boot = OneOf(map, "boot", key, ["kernel", "firmware"], ImageDefaults.Boot);
        if (recipe is null && Child(map, "boot") is { } bootNode)
        {
            Error(bootNode.Start, $"{key}.boot", "only a recipe image has a boot choice: your own image boots by firmware (set the VM's 'firmware')");
        }

        return name is null ? null : new ImageDefinition
        {
            Name = name,
            Recipe = recipe,
            Path = path is null ? null : Path.Combine(_directory, path),
            Url = uri,
            Sha256 = sha256,
            Suite = suite ?? ImageDefaults.Suite,
            Mirror = mirrorUri ?? ImageDefaults.Mirror,
            Packages = packages,
            DiskBytes = Size(map, "disk", key, minimum: 256L << 20) ?? ImageDefaults.DiskBytes,
            Provision = provision is null ? null : Path.Combine(_directory, provision),
            CloudInit = Bool(map, "cloud-init", key) ?? ImageDefaults.CloudInit,
            Boot = boot,
            Blank = blank is not null,
            ProxmoxTemplate = template,
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

        var installIso = String(map, "install-iso", key);
        if (installIso is not null && !File.Exists(Path.Combine(_directory, installIso)))
        {
            Error(Child(map, "install-iso")!.Start, $"{key}.install-iso", $"no ISO file at {Path.Combine(_directory, installIso)}");
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

        return name is null || image is null ? null : new VmDefinition
        {
            Name = name,
            Image = image,
            Cpus = Int(map, "cpus", key, 1, 64) ?? VmDefaults.Cpus,
            MemoryBytes = Size(map, "memory", key, minimum: 64L << 20) ?? VmDefaults.MemoryBytes,
            SshPort = sshPort,
            Ports = ports,
            User = User(map, key) ?? VmDefaults.User,
            Elevation = ElevationOf(map, key) ?? VmDefaults.Elevation,
            ReadOnly = Bool(map, "read-only", key) ?? VmDefaults.ReadOnly,
            BootTimeout = Duration(map, "boot-timeout", key) ?? VmDefaults.BootTimeout,
            Accelerator = OneOf(map, "accelerator", key, ["auto", "kvm", "tcg"], VmDefaults.Accelerator),
            Backend = OneOf(map, "backend", key, MachineBackends.Names, VmDefaults.Backend),
            Guest = OneOf(map, "guest", key, GuestProfiles.Names, VmDefaults.Guest),
            Firmware = OneOf(map, "firmware", key, ["bios", "uefi"], VmDefaults.Firmware),
            DiskBus = OneOf(map, "disk-bus", key, ["virtio", "sata", "scsi", "ide"], VmDefaults.DiskBus),
            Nic = OneOf(map, "nic", key, ["virtio", "e1000"], VmDefaults.Nic),
            InstallIso = installIso is null ? null : Path.GetFullPath(Path.Combine(_directory, installIso)),
        };
    }

    // A value from a fixed list, or the model's default.
    private string OneOf(YamlMappingNode map, string field, string key, IReadOnlyList<string> allowed, string fallback)
    {
        var value = String(map, field, key) ?? fallback;
        if (!allowed.Contains(value))
        {
            Error(Child(map, field)!.Start, $"{key}.{field}", $"'{value}' is not one of {string.Join(", ", allowed)}");
        }

        return value;
    }

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
}
