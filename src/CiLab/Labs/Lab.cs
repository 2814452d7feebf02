using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CiLab.Images;
using CiLab.Machines;
using CiLab.Processes;
using CiLab.Ssh;
using CliWrap;
using Microsoft.Extensions.Logging;

namespace CiLab.Labs;

/// <summary>
/// A lab opened for work: its definition, its state, its key, and the VMs it describes with their images
/// resolved (built by a recipe and cached, or the user's own file).
/// </summary>
public sealed class Lab
{
    private readonly ILogger _log;
    private readonly ImageCache _cache;
    private readonly Dictionary<string, BootableImage> _images = [];

    private Lab(LabDefinition definition, LabState state, string publicKey, ImageCache cache, ILogger log)
    {
        Definition = definition;
        State = state;
        PublicKey = publicKey;
        _cache = cache;
        _log = log;
    }

    /// <summary>The lab's definition.</summary>
    public LabDefinition Definition { get; }

    /// <summary>Where its state lives.</summary>
    public LabState State { get; }

    /// <summary>Whether its VMs wait for another run that holds them (the default), or fail at once; see <see cref="IMachine.AcquireAsync"/>.</summary>
    public bool WaitWhenBusy { get; private init; } = true;

    /// <summary>Where progress lines go (image builds, boots).</summary>
    public ILogger Log => _log;

    /// <summary>The lab's public key (installed in images it builds).</summary>
    public string PublicKey { get; }

    /// <summary>Opens <paramref name="definition"/>: creates its state folders and its ed25519 key when missing.</summary>
    public static async Task<Lab> OpenAsync(LabDefinition definition, LabOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(options);
        var state = new LabState(definition.Directory);
        var publicKey = await SshKeys.EnsureAsync(state.PrivateKeyPath, "cilab-lab", cancellationToken).ConfigureAwait(false);
        return new Lab(definition, state, publicKey, options.Cache ?? ImageCache.Default(), options.Log) { WaitWhenBusy = options.WaitWhenBusy };
    }

    /// <summary>
    /// The status of the VMs called <paramref name="names"/> (every VM when empty), read from their state files alone: it
    /// never builds an image, boots a VM, or writes a file.
    /// </summary>
    /// <exception cref="ArgumentException">No VM has one of the names.</exception>
    public static IReadOnlyList<VmStatus> ReadStatus(LabDefinition definition, IReadOnlyCollection<string> names)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(names);
        var state = LabState.Peek(definition.Directory);
        var vms = names.Count == 0 ? definition.Vms : [.. names.Select(definition.Vm)];
        return [.. vms.Select(vm => Backend(vm).ReadStatus(definition, state, vm))];
    }

    /// <summary>The image called <paramref name="name"/>, built now when the recipe's output is not cached.</summary>
    public async Task<BootableImage> ImageAsync(string name, string user, CancellationToken cancellationToken)
    {
        if (_images.TryGetValue(name, out var known))
        {
            return known;
        }

        var image = Definition.Image(name);
        BootableImage bootable;
        if (image.Recipe is not null)
        {
            bootable = await new DebianImageBuilder(_cache, _log).GetAsync(image, user, cancellationToken).ConfigureAwait(false);
            _cache.RecordUse(DebianImageBuilder.CacheKey(image, user), State.Root);
        }
        else if (image.Blank)
        {
            var key = $"{BootableImage.BlankIdPrefix}{image.DiskBytes}";
            var directory = _cache.Find(key) ?? await _cache.BuildAsync(key, async (folder, ct) =>
            {
                var made = await Cli.Wrap("qemu-img").WithArguments(["create", "-q", "-f", "qcow2", Path.Combine(folder, "disk.qcow2"), image.DiskBytes.ToString(CultureInfo.InvariantCulture)])
                    .ExecuteBoundedAsync(ct).ConfigureAwait(false);
                if (!made.IsSuccess)
                {
                    throw new ImageBuildException($"Image '{image.Name}': qemu-img could not make the blank disk: {made.StandardError.Trim()}");
                }
            }, _log, cancellationToken).ConfigureAwait(false);
            _cache.RecordUse(key, State.Root);
            bootable = new BootableImage { Id = key, DiskPath = Path.Combine(directory, "disk.qcow2"), DiskFormat = "qcow2" };
        }
        else if (image.Url is not null)
        {
            var disk = await DownloadAsync(image, cancellationToken).ConfigureAwait(false);
            _cache.RecordUse(Path.GetFileName(Path.GetDirectoryName(disk)!), State.Root);
            bootable = UserImage(image, disk);
        }
        else
        {
            bootable = UserImage(image, image.Path!);
        }

        _images[name] = bootable;
        return bootable;
    }

    /// <summary>The VM called <paramref name="name"/>, from its backend, ready to set up or start (its image resolved, built when needed).</summary>
    public Task<IMachine> MachineAsync(string name, CancellationToken cancellationToken)
    {
        var vm = Definition.Vm(name);
        return Backend(vm).CreateAsync(this, vm, cancellationToken);
    }

    /// <summary>Every VM of the lab.</summary>
    public async Task<IReadOnlyList<IMachine>> MachinesAsync(CancellationToken cancellationToken)
    {
        var machines = new List<IMachine>();
        foreach (var vm in Definition.Vms)
        {
            machines.Add(await MachineAsync(vm.Name, cancellationToken).ConfigureAwait(false));
        }

        return machines;
    }

    // The lab file was checked against the registered backends when it was loaded.
    private static IMachineBackend Backend(VmDefinition vm) =>
        MachineBackends.Find(vm.Backend) ?? throw new InvalidOperationException($"VM '{vm.Name}': backend '{vm.Backend}' is not registered.");

    private async Task<string> DownloadAsync(ImageDefinition image, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        return await new ImageDownloader(_cache, http, _log).GetAsync(image.Url!, image.Sha256!, cancellationToken).ConfigureAwait(false);
    }

    private static BootableImage UserImage(ImageDefinition image, string path)
    {
        if (!File.Exists(path))
        {
            throw new ImageBuildException($"Image '{image.Name}': no file at {path}.");
        }

        var info = new FileInfo(path);
        var identity = $"{Path.GetFullPath(path)}|{info.Length}|{info.LastWriteTimeUtc.Ticks}";
        var format = ImageDownloader.DetectFormat(path);
        return new BootableImage
        {
            Id = "user-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16],
            DiskPath = path,
            DiskFormat = format,
            CloudInitSeed = image.CloudInit,
            ProvisionScript = image.Provision,
        };
    }
}
