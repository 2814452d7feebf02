using System.Globalization;
using System.Text.Json;
using CiLab.Host;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Processes;
using CiLab.Ssh;
using CliWrap;

namespace CiLab.Qemu;

public sealed partial class QemuMachine
{
    // Starts QEMU as the daemon run.Pid will name, with run's ports and owner, and records the run. Owned by this process
    // while booting even when detached later: a run stopped mid-boot leaves nothing behind. A relaunch (reset, cold
    // reboot) continues the console log, so a step watching the console sees every boot it caused.
    private async Task<VmRunInfo> LaunchAsync(VmRunInfo run, string? fromSnapshot, bool owned = true, bool relaunch = false, bool install = false)
    {
        File.Delete(PidPath);
        File.Delete(QmpPath);
        File.Delete(ConsoleSocketPath);
        if (!relaunch)
        {
            File.Delete(SerialLogPath);
        }

        await EnsureUefiVarsAsync(CancellationToken.None).ConfigureAwait(false);
        // Not cancellable: cut between QEMU's fork and its pid file, the daemon would be out of reach. It takes a second or two.
        var qemu = await Cli.Wrap("qemu-system-x86_64")
            .WithArguments(QemuArguments(run.Accelerator, run.SshPort, run.Forwards, fromSnapshot, install))
            .WithValidation(false)
            .ExecuteBoundedAsync(CancellationToken.None).ConfigureAwait(false);
        if (!qemu.IsSuccess)
        {
            throw new VmException($"QEMU would not start VM '{Name}' (exit code {qemu.ExitCode}): {qemu.StandardError.Trim()}");
        }

        var pid = ReadPid() ?? throw new VmException($"QEMU started VM '{Name}' but wrote no pid file.");
        if (owned)
        {
            OwnedMachines.Add(pid, Name);
        }

        run = run with { Pid = pid, Started = DateTimeOffset.UtcNow, Cpu = QemuHardware.Cpu(run.Accelerator) };
        AtomicFile.WriteAllText(RunInfoPath, JsonSerializer.Serialize(run));
        return run;
    }

    private IEnumerable<string> QemuArguments(string accelerator, int sshPort, List<PortForward> forwards, string? fromSnapshot, bool install)
    {
        var hostForwards = string.Concat(forwards.Prepend(new PortForward(sshPort, 22)).Select(p => $",hostfwd=tcp:127.0.0.1:{p.HostPort}-:{p.GuestPort}"));
        var arguments = new List<string>
        {
            "-name", $"cilab-{Name},process=cilab-{Name}",
            "-machine", $"{QemuHardware.MachineType(Definition)},accel={accelerator}",
            "-cpu", QemuHardware.Cpu(accelerator),
            "-smp", Definition.Cpus.ToString(CultureInfo.InvariantCulture),
            "-m", $"{Definition.MemoryBytes >> 20}M",
            "-netdev", $"user,id={NetworkDeviceId}{hostForwards}",
            "-device", "virtio-rng-pci",
            "-display", "none",
            "-monitor", "none",
            // The serial port: logged, and a socket `cilab vm console` attaches a terminal to (none attached, output is only logged).
            "-chardev", $"socket,id=console,path={QemuHardware.Option(ConsoleSocketPath)},server=on,wait=off,logfile={QemuHardware.Option(SerialLogPath)},logappend=on",
            "-serial", "chardev:console",
            "-qmp", $"unix:{QmpPath},server=on,wait=off",
            "-pidfile", PidPath,
            "-daemonize",
        };
        arguments.AddRange(QemuHardware.Firmware(Definition, UefiVarsPath));
        arguments.AddRange(QemuHardware.Disks(Definition, OverlayPath, Image.CloudInitSeed ? SeedPath : null));
        arguments.AddRange(QemuHardware.Nic(Definition, NetworkDeviceId));
        if (install)
        {
            arguments.AddRange(QemuHardware.InstallMedia(Definition));
        }

        if (Image.KernelPath is not null)
        {
            arguments.AddRange(["-kernel", Image.KernelPath, "-append", Image.KernelAppend]);
            if (Image.InitrdPath is not null)
            {
                arguments.AddRange(["-initrd", Image.InitrdPath]);
            }
        }

        if (Image.CredentialsFromFirmware)
        {
            // The image holds no lab's key: the guest reads its user and key from here at boot (cilab-credentials).
            arguments.AddRange(["-fw_cfg", $"name=opt/cilab/user,string={QemuHardware.Option(Definition.User)}"]);
            arguments.AddRange(["-fw_cfg", $"name=opt/cilab/authorized_keys,file={QemuHardware.Option(_state.PrivateKeyPath + ".pub")}"]);
        }

        if (fromSnapshot is not null)
        {
            arguments.AddRange(["-loadvm", fromSnapshot]);
        }

        return arguments;
    }

    // A UEFI VM's own variable store (boot entries the guest writes), made from OVMF's empty one on first start.
    private async Task EnsureUefiVarsAsync(CancellationToken cancellationToken)
    {
        if (Definition.Firmware != "uefi" || File.Exists(UefiVarsPath))
        {
            return;
        }

        if (!File.Exists(QemuHardware.UefiCode) || !File.Exists(QemuHardware.UefiVarsTemplate))
        {
            throw new VmException($"VM '{Name}' boots with UEFI, but OVMF is not installed ({QemuHardware.UefiCode}): apt-get install ovmf.");
        }

        await Cli.Wrap("qemu-img").WithArguments("convert", "-q", "-f", "raw", "-O", "qcow2", QemuHardware.UefiVarsTemplate, UefiVarsPath)
            .ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
    }

    private SshEndpoint Endpoint(string user)
    {
        var port = ReadRunInfo()?.SshPort ?? Definition.SshPort;
        return new SshEndpoint(port, user, _state.PrivateKeyPath, _state.KnownHostsPath, HostKeyAlias, Path.Combine(RuntimeDirectory, $"ssh-{user}"), AcceptNewHostKey: Image.HostPublicKey is null);
    }

    private string HostKeyAlias => $"cilab-{Image.Id}";

    private void WriteKnownHost()
    {
        if (Image.HostPublicKey is null)
        {
            _log.Line($"VM '{Name}': image '{Image.Id}' has no host key CiLab made; its key will be pinned on first contact (accept-new).");
            return;
        }

        var line = $"{HostKeyAlias} {Image.HostPublicKey}";
        var lines = File.Exists(_state.KnownHostsPath) ? File.ReadAllLines(_state.KnownHostsPath).ToList() : [];
        lines.RemoveAll(l => l.StartsWith(HostKeyAlias + " ", StringComparison.Ordinal));
        lines.Add(line);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(_state.KnownHostsPath)!);
        AtomicFile.WriteAllText(_state.KnownHostsPath, string.Join('\n', lines) + "\n");
    }
}
