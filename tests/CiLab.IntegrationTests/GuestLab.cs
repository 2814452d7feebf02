using CiLab.Host;
using CiLab.Images;
using CiLab.Labs;
using CiLab.Qemu;
using Microsoft.Extensions.Logging;

namespace CiLab.IntegrationTests;

/// <summary>
/// The real lab the integration tests use: the default Debian recipe built once (and cached across runs),
/// state under artifacts/integration-lab. A missing host prerequisite fails the tests, naming it.
/// </summary>
public sealed class GuestLab : IAsyncLifetime
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>
    /// The recipe's firmware-bootable disk with cloud-init, built once per run for the tests that bring their own image
    /// (cloud-init, firmware boot): a user image has no key of the lab's baked in, so the seed carries it. tcsh is
    /// there for a lab user whose login shell is not Bourne.
    /// </summary>
    public static ImageDefinition FirmwareImage { get; } = new() { Name = "debian-firmware", Recipe = "debian", DiskBytes = 2L << 30, CloudInit = true, Boot = "firmware", Packages = ["tcsh"] };

    public string Directory { get; } = Path.Combine(RepositoryRoot, "artifacts", "integration-lab");

    public StringWriter Log { get; } = new();

    // One writer for every logger: the fixture's image builds log at the same time.
    private readonly TextWriter _log;

    public GuestLab() => _log = TextWriter.Synchronized(Log);

    public ILogger Logger => new LineLogger(_log);

    public Lab Lab { get; private set; } = null!;

    public BootableImage Image { get; private set; } = null!;

    public TimeSpan ImageTime { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var missing = HostPrerequisites.FindMissing([.. HostTool.Virtualization, .. HostTool.ImageBuilding]);
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"Integration tests need {string.Join(", ", missing.Select(t => $"{t.Command} (Debian package {t.DebianPackage})"))}; ./nuke.sh Test installs them on Debian as root.");
        }

        System.IO.Directory.CreateDirectory(Directory);
        var definition = Definition([]);
        Lab = await Lab.OpenAsync(definition, new LabOptions { Log = Logger }, CancellationToken.None);
        // The other recipe images the tests use (FirmwareImage; the default lab's, for the TestPhase4 and TestUpgrade
        // flows) build at the same time: a build keeps about one core busy, so three take little longer than one on
        // two cores, and no test's own time then includes a build.
        var others = Task.WhenAll(PrebuildAsync(FirmwareImage), PrebuildAsync(DefaultLabImage()));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Image = await Lab.ImageAsync("debian", "cilab", CancellationToken.None);
        ImageTime = clock.Elapsed;
        await others;
    }

    // A failed prebuild is only logged: the test that needs the image builds it again and fails with the build's error.
    private async Task PrebuildAsync(ImageDefinition image)
    {
        try
        {
            await new DebianImageBuilder(ImageCache.Default(), Logger).GetAsync(image, "cilab", CancellationToken.None);
        }
        catch (Exception e) when (e is CiLabException or IOException)
        {
            Logger.LogWarning("Prebuilding image '{Image}' failed; the tests that need it build it again: {Error}", image.Name, e.Message);
        }
    }

    private static ImageDefinition DefaultLabImage() =>
        LabFile.Load(Path.Combine(RepositoryRoot, "lab.yaml")).Images.Single(i => i.Name == "debian");

    /// <summary>A lab with the shared image and <paramref name="vms"/>.</summary>
    public LabDefinition Definition(IReadOnlyList<VmDefinition> vms) => new()
    {
        Path = Directory,
        Images = [new ImageDefinition { Name = "debian", Recipe = "debian", DiskBytes = 2L << 30 }],
        Vms = vms,
    };

    /// <summary>A VM on the shared image; its state is wiped first so each test starts from nothing.</summary>
    public QemuMachine Machine(string name, Func<VmDefinition, VmDefinition>? change = null, BootableImage? image = null)
    {
        var definition = new VmDefinition { Name = name, Image = "debian", Cpus = 1, MemoryBytes = 768L << 20, BootTimeout = TimeSpan.FromMinutes(3) };
        definition = change?.Invoke(definition) ?? definition;
        var vm = new QemuMachine(definition, image ?? Image, Lab.State, Logger);
        vm.KillAsync().GetAwaiter().GetResult();
        return vm;
    }

    public ValueTask DisposeAsync()
    {
        OwnedMachinesCleanup();
        return ValueTask.CompletedTask;
    }

    /// <summary>Counts live QEMU processes named after <paramref name="vm"/>.</summary>
    public static int QemuProcessesFor(string vm) =>
        System.IO.Directory.GetDirectories("/proc").Where(d => char.IsDigit(Path.GetFileName(d)[0])).Count(d =>
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(d, "cmdline"));
                return cmdline.Contains("qemu-system", StringComparison.Ordinal) && cmdline.Contains($"cilab-{vm},", StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        });

    private void OwnedMachinesCleanup()
    {
        foreach (var name in Lab?.State.VmsWithRuntimeState() ?? [])
        {
            new QemuMachine(new VmDefinition { Name = name, Image = "debian" }, Image, Lab!.State, Logger).KillAsync().GetAwaiter().GetResult();
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CiLab.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (CiLab.sln) above " + AppContext.BaseDirectory);
    }
}
