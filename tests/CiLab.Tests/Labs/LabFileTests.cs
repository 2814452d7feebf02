using CiLab.Labs;
using CiLab.Machines;
using CiLab.Testing;
using CiLab.Tests.Machines;

namespace CiLab.Tests.Labs;

public sealed class LabFileTests
{
    private const string Good = """
        images:
          - name: debian
            recipe: debian
            packages: [golang-go, git]
            mirror: http://ftp.de.debian.org/debian
            disk: 4G
        vms:
          - name: phase4
            image: debian
            memory: 1536M
            ssh-port: auto
            ports: ["8080:80", "9000"]
            elevation: doas
            boot-timeout: 5m
        suites:
          - name: phase4
            vm: phase4
            run: go test -json ./internal/worker/...
            directory: examples/mountlab
            elevation: doas
            format: go-test-json
            timeout: 10m
            env:
              MOUNTLAB_FAIL: "1"
        """;

    [Fact]
    public void A_valid_lab_file_reads_into_the_model()
    {
        var lab = LabFile.Parse(Good, "/labs/lab.yaml");
        var vm = lab.Vm("phase4");
        Assert.Equal(1536L << 20, vm.MemoryBytes);
        Assert.Equal(0, vm.SshPort);
        Assert.Equal([new PortForward(8080, 80), new PortForward(0, 9000)], vm.Ports);
        Assert.Equal(Elevation.Doas, vm.Elevation);
        Assert.Equal(TimeSpan.FromMinutes(5), vm.BootTimeout);
        Assert.Equal(["golang-go", "git"], lab.Image("debian").Packages);
        Assert.Equal(new Uri("http://ftp.de.debian.org/debian"), lab.Image("debian").Mirror);
        Assert.Equal(new Uri("http://deb.debian.org/debian"), new ImageDefinition { Name = "d" }.Mirror);
        var suite = lab.Suite("phase4");
        Assert.Equal(TestOutputFormat.GoTestJson, suite.Format);
        Assert.Equal("1", suite.Environment["MOUNTLAB_FAIL"]);
        Assert.Equal(TimeSpan.FromMinutes(10), suite.Timeout);
    }

    public static TheoryData<string, string, int, string> BadInputs() => new()
    {
        { "vms:\n  - name: a\n    image: debian\n    memory: 2GG\n", "vms[0].memory", 4, "'2GG' is not a size" },
        { "vms:\n  - name: a\n    image: debian\n    memroy: 2G\n", "vms[0].memroy", 4, "did you mean 'memory'" },
        { "images:\n  - name: debian\n    recipe: debian\nvms:\n  - name: a\n    image: debian\n  - name: a\n    image: debian\n", "vms.a", 7, "used 2 times" },
        { "images:\n  - name: debian\n    recipe: debian\nvms:\n  - name: a\n    image: debian\n    ssh-port: 2222\n  - name: b\n    image: debian\n    ports: [\"2222:22\"]\n", "vms.b", 8, "host port 2222 is already forwarded by VM 'a'" },
        { "vms:\n  - name: a\n    image: nowhere\n", "vms[0].image", 3, "no image named 'nowhere'" },
        { "images:\n  - name: mine\n    path: missing.qcow2\n", "images[0].path", 3, "no image file at" },
        { "images:\n  - name: x\n    recipe: fedora\n", "images[0].recipe", 3, "unknown recipe 'fedora'" },
        { "images:\n  - name: x\n    recipe: debian\n    suite: --variant=custom\n", "images[0].suite", 4, "is not a Debian suite name" },
        { "images:\n  - name: x\n    recipe: debian\n    suite: \"trixie\\n\"\n", "images[0].suite", 4, "is not a Debian suite name" },
        { "images:\n  - name: x\n    recipe: debian\n    mirror: file:///etc\n", "images[0].mirror", 4, "is not an http(s) URL of a Debian mirror" },
        { "images:\n  - name: x\n    recipe: debian\n    mirror: \"http://m/debian trixie main\"\n", "images[0].mirror", 4, "is not an http(s) URL" },
        { "images:\n  - name: x\n    recipe: debian\n    packages: [git, \"--allow-unauthenticated\"]\n", "images[0].packages", 4, "'--allow-unauthenticated' is not a Debian package name" },
        { "vms:\n  - name: \"a\\n\"\n    image: x\n", "vms[0].name", 2, "is not a valid name" },
        { "images:\n  - name: x\n    recipe: debian\nvms:\n  - name: a\n    image: x\n    elevation: su\n", "vms[0].elevation", 7, "not one of none, sudo, doas" },
        { "images:\n  - name: x\n    recipe: debian\nvms:\n  - name: a\n    image: x\n    ssh-port: 70000\n", "vms[0].ssh-port", 7, "'70000' is not a port" },
        { "images:\n  - name: x\n    recipe: debian\nvms:\n  - name: a\n    image: x\nsuites:\n  - name: s\n    vm: a\n    run: make\n    format: nunit\n", "suites[0].format", 11, "unknown format 'nunit'" },
        { "images:\n  - name: x\n    recipe: debian\nvms:\n  - name: a\n    image: x\n    ports: [\"80:http\"]\n", "vms[0].ports[0]", 7, "is not a port forward" },
        { "vms:\n  - name: a\n    image: x\n    cpus: many\n", "vms[0].cpus", 4, "not a whole number" },
        { "vms:\n  - name: a\n    image: x\n    boot-timeout: soon\n", "vms[0].boot-timeout", 4, "not a duration" },
        { "vms:\n  - name: a\n", "vms[0].image", 2, "is required" },
        { "vmz: []\n", "vmz", 1, "did you mean 'vms'" },
        { "images:\n  - name: cloud\n    url: https://example.org/cloud.qcow2\n", "images[0].sha256", 2, "needs its SHA-256" },
        { "images:\n  - name: cloud\n    url: ftp://example.org/cloud.qcow2\n    sha256: 0000000000000000000000000000000000000000000000000000000000000000\n", "images[0].url", 3, "is not an http(s) URL" },
        { "vms:\n  - name: a\n    image: [x\n", "(syntax)", 4, "" },
        { "vms:\n  - name: ../../x\n    image: x\n", "vms[0].name", 2, "'../../x' is not a valid name" },
        { "vms:\n  - name: a,b\n    image: x\n", "vms[0].name", 2, "is not a valid name" },
        { "images:\n  - name: x/y\n    recipe: debian\n", "images[0].name", 2, "is not a valid name" },
        { "vms:\n  - name: a\n    image: x\n    user: -oProxyCommand=touch /tmp/owned\n", "vms[0].user", 4, "is not a valid user" },
        { "vms:\n  - name: a\n    image: x\nsuites:\n  - name: ../s\n    vm: a\n    run: make\n", "suites[0].name", 5, "is not a valid name" },
        { "vms:\n  - name: a\n    image: x\nsuites:\n  - name: s\n    vm: a\n    run: make\n    artifacts: [out, ../../etc]\n", "suites[0].artifacts[1]", 8, "is not a relative path inside the project" },
        { "vms:\n  - name: a\n    image: x\nsuites:\n  - name: s\n    vm: a\n    run: make\n    artifacts: [/etc/passwd]\n", "suites[0].artifacts[0]", 8, "is not a relative path" },
        { "vms:\n  - name: a\n    image: x\nsuites:\n  - name: s\n    vm: a\n    run: make\n    directory: ../..\n", "suites[0].directory", 8, "is not a relative path" },
        { "vms:\n  - name: a\n    image: x\nsuites:\n  - name: s\n    vm: a\n    run: make\n    env:\n      BAD-NAME: x\n", "suites[0].env", 9, "is not an environment variable name" },
        { "vms:\n  - name: a\n    image: x\n    boot-timeout: 99999999999999999999h\n", "vms[0].boot-timeout", 4, "not a duration" },
        { "vms:\n  - name: a\n    image: x\n    memory: 99999999999999999999999T\n", "vms[0].memory", 4, "is not a size" },
        { "vms:\n  - name: a\n    image: x\n    backend: vmware\n", "vms[0].backend", 4, "'vmware' is not one of proxmox, qemu" },
        { "proxmox:\n  endpoint: http://pve1.example.org:8006/\n  node: pve1\n", "proxmox.endpoint", 2, "is not an https:// URL" },
        { "proxmox:\n  endpoint: https://pve1:8006/\n  node: pve1\n  vmids: 9200-9100\n", "proxmox.vmids", 4, "is not a VMID range" },
        { "proxmox:\n  endpoint: https://pve1:8006/\n  node: pve1\n  fingerprint: AB:CD\n", "proxmox.fingerprint", 4, "64 hex digits" },
        { "proxmox:\n  endpoint: https://pve1:8006/\n  node: pve1\n  token: secret\n", "proxmox.token", 4, "unknown key" },
        { "images:\n  - name: x\n    recipe: debian\nvms:\n  - name: a\n    image: x\n    backend: proxmox\n", "vms[0].backend", 5, "has no 'proxmox:' section" },
        { "proxmox:\n  endpoint: https://pve1:8006/\n  node: pve1\nimages:\n  - name: x\n    recipe: debian\nvms:\n  - name: a\n    image: x\n    backend: proxmox\n", "vms[0].image", 8, "needs 'proxmox-template: VMID'" },
        { "images:\n  - name: t\n    proxmox-template: 9000\nvms:\n  - name: a\n    image: t\n", "vms[0].image", 5, "needs 'backend: proxmox'" },
        { "vms:\n  - name: a\n    image: x\n    guest: windows\n", "vms[0].guest", 4, "'windows' is not one of linux" },
        { "vms:\n  - name: a\n    image: x\n    accelerator: hvf\n", "vms[0].accelerator", 4, "'hvf' is not one of auto, kvm, tcg" },
        { "vms:\n  - name: a\n    image: x\n    firmware: efi\n", "vms[0].firmware", 4, "'efi' is not one of bios, uefi" },
        { "vms:\n  - name: a\n    image: x\n    disk-bus: nvme\n", "vms[0].disk-bus", 4, "'nvme' is not one of virtio, sata, scsi, ide" },
        { "vms:\n  - name: a\n    image: x\n    nic: rtl8139\n", "vms[0].nic", 4, "'rtl8139' is not one of virtio, e1000" },
        { "images:\n  - name: x\n    recipe: debian\n    boot: uefi\n", "images[0].boot", 4, "'uefi' is not one of kernel, firmware" },
        { "images:\n  - name: x\n    recipe: debian\n    blank: true\n", "images[0]", 2, "give exactly one of" },
        { "vms:\n  - name: a\n    image: x\n    install-iso: no-such.iso\n", "vms[0].install-iso", 4, "no ISO file at /labs/no-such.iso" },
        { "images:\n  - name: x\n    url: https://example.org/x.qcow2\n    sha256: " + new string('a', 64) + "\n    boot: firmware\n", "images[0].boot", 5, "only a recipe image has a boot choice" },
        { "vms:\n  - name: a\n    image: x\n  - name: b\n    image: x\nsuites:\n  - name: build\n    vm: a\n    run: make\n  - name: e2e\n    vm: a\n    run: make e2e\n    needs: [biuld]\n", "suites.e2e.needs", 13, "no suite named 'biuld' in suites (known: build, e2e)" },
        { "vms:\n  - name: a\n    image: x\n  - name: b\n    image: x\nsuites:\n  - name: build\n    vm: a\n    run: make\n  - name: e2e\n    vm: b\n    run: make e2e\n    needs: [build]\n", "suites.e2e.needs", 13, "'build' runs in VM 'a' and 'e2e' in VM 'b'" },
        { "vms:\n  - name: a\n    image: x\n  - name: b\n    image: x\nsuites:\n  - name: build\n    vm: a\n    run: make\n    needs: [e2e]\n  - name: e2e\n    vm: a\n    run: make e2e\n    needs: [build]\n", "suites.e2e.needs", 14, "the needs form a cycle: e2e → build → e2e" },
        { "vms:\n  - name: a\n    image: x\n  - name: b\n    image: x\nsuites:\n  - name: build\n    vm: a\n    run: make\ndefault-suites: [build, tests]\n", "default-suites", 10, "no suite named 'tests'" },
    };

    [Fact]
    public void Firmware_disk_bus_and_nic_are_read_per_vm_and_boot_per_recipe_image()
    {
        var lab = LabFile.Parse("images:\n  - name: x\n    recipe: debian\n    boot: firmware\nvms:\n  - name: a\n    image: x\n    firmware: uefi\n    disk-bus: sata\n    nic: e1000\n  - name: b\n    image: x\n", "/labs/lab.yaml");

        Assert.Equal(("uefi", "sata", "e1000"), (lab.Vm("a").Firmware, lab.Vm("a").DiskBus, lab.Vm("a").Nic));
        Assert.Equal(("bios", "virtio", "virtio"), (lab.Vm("b").Firmware, lab.Vm("b").DiskBus, lab.Vm("b").Nic));
        Assert.Equal("firmware", lab.Image("x").Boot);
    }

    [Fact]
    public void A_blank_image_and_an_install_iso_relative_to_the_lab_file_are_read()
    {
        var directory = Directory.CreateTempSubdirectory("cilab-iso-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "installer.iso"), "not really");
            var lab = LabFile.Parse("images:\n  - name: empty\n    blank: true\n    disk: 8G\nvms:\n  - name: a\n    image: empty\n    install-iso: installer.iso\n  - name: b\n    image: empty\n", Path.Combine(directory, "lab.yaml"));

            Assert.True(lab.Image("empty").Blank);
            Assert.Equal(8L << 30, lab.Image("empty").DiskBytes);
            Assert.Equal(Path.Combine(directory, "installer.iso"), lab.Vm("a").InstallIso);
            Assert.Null(lab.Vm("b").InstallIso);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Each_bad_input_names_its_line_and_key(string yaml, string key, int line, string message)
    {
        var e = Assert.Throws<LabFileException>(() => LabFile.Parse(yaml, "/labs/lab.yaml"));
        var error = Assert.Single(e.Errors, x => x.Key == key);
        Assert.Equal(line, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains($"/labs/lab.yaml:{line}:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registered_backend_can_be_named_and_runs_its_vms_and_their_status()
    {
        MachineBackends.Register(new FakeBackend());
        var directory = Directory.CreateTempSubdirectory("cilab-backend-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "disk.qcow2"), string.Empty);
            var definition = LabFile.Parse("images:\n  - name: x\n    path: disk.qcow2\nvms:\n  - name: a\n    image: x\n    backend: fake-for-tests\n  - name: b\n    image: x\n", Path.Combine(directory, "lab.yaml"));
            var lab = await Lab.OpenAsync(definition, new LabOptions(), TestContext.Current.CancellationToken);

            var machine = await lab.MachineAsync("a", TestContext.Current.CancellationToken);

            Assert.IsType<FakeMachine>(machine);
            Assert.Equal(["fake-for-tests", "qemu"], definition.Vms.Select(v => v.Backend));
            Assert.Equal(["a Running", "b Stopped"], Lab.ReadStatus(definition, []).Select(s => $"{s.Name} {s.State}"));
            Assert.Throws<ArgumentException>(() => MachineBackends.Register(new FakeBackend()));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void All_errors_are_reported_at_once()
    {
        var e = Assert.Throws<LabFileException>(() => LabFile.Parse("vms:\n  - name: a\n    image: x\n    memory: lots\n    cpus: 0\n    colour: red\n", "lab.yaml"));
        Assert.True(e.Errors.Count >= 4, string.Join("\n", e.Errors));
    }

    [Theory]
    [InlineData("512M", 512L << 20)]
    [InlineData("2G", 2L << 30)]
    [InlineData("1.5GiB", 3L << 29)]
    [InlineData("64k", 64L << 10)]
    public void Sizes_are_binary_units(string text, long bytes) => Assert.Equal(bytes, Quantities.ParseSize(text));

    [Fact]
    public void A_missing_lab_file_says_where_it_looked() =>
        Assert.Contains("/nowhere/lab.yaml", Assert.Throws<FileNotFoundException>(() => LabFile.Load("/nowhere/lab.yaml")).Message, StringComparison.Ordinal);

    [Fact]
    public void A_proxmox_lab_reads_its_cluster_template_and_clone_options()
    {
        var lab = LabFile.Parse("""
            proxmox:
              endpoint: https://pve1.example.org:8006/
              node: pve1
              vmids: 9300-9349
              fingerprint: ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89
              full-clone: true
              storage: local-lvm
              pool: ci
            images:
              - name: debian-pve
                proxmox-template: 9000
            vms:
              - name: phase4
                image: debian-pve
                backend: proxmox
            """, "/tmp/lab.yaml");

        var settings = lab.Proxmox!;
        Assert.Equal((new Uri("https://pve1.example.org:8006/"), "pve1", 9300, 9349, true, "local-lvm", "ci", 22), (settings.Endpoint, settings.Node, settings.FirstVmid, settings.LastVmid, settings.FullClone, settings.Storage, settings.Pool, settings.SshPort));
        Assert.Equal(9000, lab.Image("debian-pve").ProxmoxTemplate);
        Assert.Equal("proxmox", lab.Vm("phase4").Backend);
    }

    [Fact]
    public void The_editor_schema_knows_exactly_the_keys_the_reader_knows()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "lab.schema.json")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("lab.schema.json not found above the test folder");
        }

        using var schema = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "lab.schema.json")));
        var properties = schema.RootElement.GetProperty("properties");
        static string[] Keys(System.Text.Json.JsonElement e) => [.. e.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
        Assert.Equal(LabFile.TopKeys.Order(StringComparer.Ordinal), Keys(properties));
        Assert.Equal(LabFile.ImageKeys.Order(StringComparer.Ordinal), Keys(properties.GetProperty("images").GetProperty("items").GetProperty("properties")));
        Assert.Equal(LabFile.VmKeys.Order(StringComparer.Ordinal), Keys(properties.GetProperty("vms").GetProperty("items").GetProperty("properties")));
        Assert.Equal(LabFile.SuiteKeys.Order(StringComparer.Ordinal), Keys(properties.GetProperty("suites").GetProperty("items").GetProperty("properties")));
    }

    [Fact]
    public void The_default_lab_file_reads_without_errors()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "lab.yaml")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("lab.yaml not found above the test folder");
        }

        var lab = LabFile.Load(Path.Combine(root, "lab.yaml"));
        Assert.Equal(TestOutputFormat.GoTestJson, lab.Suite("phase4").Format);
        Assert.Equal("local", lab.Suite("unit").Environment["GOTOOLCHAIN"]);
        Assert.Equal(["phase4"], lab.SelectSuites([]).Select(s => s.Name));
    }

    [Theory]
    [InlineData("", "build")]
    [InlineData("e2e", "build e2e")]
    [InlineData("e2e,build", "build e2e")]
    [InlineData("unit,e2e", "unit build e2e")]
    [InlineData("all", "build unit e2e")]
    public void Selecting_suites_adds_what_they_need_before_them(string asked, string expected)
    {
        var lab = LabFile.Parse("""
            images:
              - name: x
                recipe: debian
            vms:
              - name: a
                image: x
            default-suites: [build]
            suites:
              - name: build
                vm: a
                run: make
              - name: unit
                vm: a
                run: make check
              - name: e2e
                vm: a
                run: make e2e
                needs: [build]
            """, "lab.yaml");

        Assert.Equal(expected, string.Join(' ', lab.SelectSuites(asked.Split(',', StringSplitOptions.RemoveEmptyEntries)).Select(s => s.Name)));
        Assert.Equal(["build"], lab.Suite("e2e").Needs);
    }

    private sealed class FakeBackend : IMachineBackend
    {
        public string Name => "fake-for-tests";

        public Task<IMachine> CreateAsync(Lab lab, VmDefinition vm, CancellationToken cancellationToken) => Task.FromResult<IMachine>(new FakeMachine(vm.Name));

        public VmStatus ReadStatus(LabDefinition lab, LabState state, VmDefinition vm) => new(vm.Name, VmRunState.Running, null, "192.0.2.7:22", null, null, null);
    }
}
