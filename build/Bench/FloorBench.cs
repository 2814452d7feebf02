using CiLab.Processes;
using CiLab.Qemu;

namespace CiLab.Build.Bench;

/// <summary>
/// The floor of boot to SSH on this machine: the bench VM's own kernel with an initramfs of busybox and dropbear
/// (the virtio modules, a static address, no init system, no disk), booted and polled like the plain way's loop.
/// What the default guest takes above it is what its userspace costs.
/// </summary>
internal static class FloorBench
{
    /// <summary>The host tools <see cref="PrepareScript"/> needs.</summary>
    public static IReadOnlyList<CiLab.Host.HostTool> HostTools { get; } =
        [new("/bin/busybox", "busybox-static"), new("/usr/sbin/dropbear", "dropbear-bin"), new("dropbearkey", "dropbear-bin"), new("cpio", "cpio")];

    /// <summary>Makes <c>vmlinuz</c> and <c>initrd.gz</c> in <paramref name="directory"/> from the running <paramref name="vm"/>'s kernel.</summary>
    public static string PrepareScript(QemuMachine vm, string directory)
    {
        var root = vm.Ssh.Endpoint with { User = "root" };
        var rootSsh = $"ssh {ShellQuoting.Join(root.Options(multiplex: false))} {root.Destination}";
        var dir = ShellQuoting.Quote(directory);
        var modules = "/sbin/modprobe -a --show-depends virtio_pci virtio_net | awk '{print $2}' | awk '!seen[$0]++'";
        var init = """
            #!/bin/sh
            /bin/busybox --install -s /bin
            mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
            while read -r module; do insmod "$module"; done < /modules
            ip link set lo up; ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2
            exec /sbin/dropbear -F -E -s -r /etc/dropbear/key -p 22
            """;
        return $"rm -rf {dir}; mkdir -p {dir}/root/bin {dir}/root/sbin {dir}/root/etc/dropbear {dir}/root/root/.ssh {dir}/root/proc {dir}/root/sys {dir}/root/dev; cd {dir}; " +
            $"{rootSsh} 'cat /boot/vmlinuz-$(uname -r)' > vmlinuz; " +
            $"{rootSsh} {ShellQuoting.Quote(modules)} > root/modules; " +
            $"{rootSsh} {ShellQuoting.Quote($"tar -cf - $({modules}) 2>/dev/null")} | tar -xf - -C root; " +
            "cp /bin/busybox root/bin/; ln -s busybox root/bin/sh; cp /usr/sbin/dropbear root/sbin/; " +
            // Their shared libraries, where the copies are dynamic.
            "for lib in $( { ldd /bin/busybox || true; ldd /usr/sbin/dropbear; } | grep -o '/lib[^ ]*' | sort -u); do mkdir -p \"root$(dirname \"$lib\")\"; cp -L \"$lib\" \"root$lib\"; done; " +
            "printf 'root:x:0:0:root:/root:/bin/sh\\n' > root/etc/passwd; " +
            $"install -m 600 {ShellQuoting.Quote(vm.Ssh.Endpoint.IdentityFile + ".pub")} root/root/.ssh/authorized_keys; chmod 700 root/root/.ssh; " +
            // Its host key, pinned for the poll as the lab pins its images' keys.
            "dropbearkey -t ed25519 -f root/etc/dropbear/key >/dev/null 2>&1; " +
            "printf 'cilab-floor %s\\n' \"$(dropbearkey -y -f root/etc/dropbear/key | grep -o '^ssh-ed25519 [^ ]*')\" > known_hosts; " +
            $"printf '%s\\n' {ShellQuoting.Quote(init)} > root/init; chmod 755 root/init; " +
            "(cd root && find . | cpio -o -H newc 2>/dev/null | gzip -1 > ../initrd.gz)";
    }

    /// <summary>Boots the floor with <paramref name="vm"/>'s CPUs and memory and polls until a command runs over SSH.</summary>
    public static string BootScript(QemuMachine vm, string directory, string accelerator, int port)
    {
        var dir = ShellQuoting.Quote(directory);
        var endpoint = vm.Ssh.Endpoint;
        var ssh = $"ssh -F /dev/null -p {port} -i {ShellQuoting.Quote(endpoint.IdentityFile)} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes " +
            $"-o UserKnownHostsFile={dir}/known_hosts -o HostKeyAlias=cilab-floor -o ConnectTimeout=5 -o LogLevel=ERROR root@127.0.0.1";
        return $"qemu-system-x86_64 -machine q35,accel={accelerator} -cpu {QemuHardware.Cpu(accelerator)} -smp {vm.Definition.Cpus} -m {vm.Definition.MemoryBytes >> 20}M " +
            $"-kernel {dir}/vmlinuz -initrd {dir}/initrd.gz -append 'console=ttyS0 quiet' " +
            $"-netdev user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:22 -device virtio-net-pci,netdev=n0 " +
            $"-display none -serial null -monitor none -pidfile {dir}/pid -daemonize; " +
            $"deadline=$((SECONDS + 180)); until {ssh} true 2>/dev/null; do " +
            $"if [ $SECONDS -ge $deadline ]; then kill $(cat {dir}/pid); echo 'the floor guest did not answer SSH in 180 s' >&2; exit 1; fi; sleep 0.5; done; " +
            $"kill $(cat {dir}/pid); while kill -0 $(cat {dir}/pid) 2>/dev/null; do sleep 0.1; done";
    }
}
