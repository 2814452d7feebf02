#!/bin/sh
# Runs as mmdebstrap's customize hook, outside the chroot, with $1 the new root: as root, or as root of a user
# namespace when a normal user builds (then it can reach nothing of that user's: what it needs was uploaded into
# the tree). Turns a minbase tree into a bootable, SSH-reachable guest; the host key is uploaded after it.
set -eu
root="$1"
user="$CILAB_USER"

echo "I: cilab: configuring the guest"
echo cilab-guest > "$root/etc/hostname"
# mmdebstrap copied the build host's resolv.conf (127.0.0.53 where systemd-resolved runs: nobody in the guest). QEMU's
# user network answers DNS at 10.0.2.3 and asks the host's resolver, whichever host the VM runs on.
printf 'nameserver 10.0.2.3\n' > "$root/etc/resolv.conf"
printf '127.0.0.1 localhost\n127.0.1.1 cilab-guest\n' > "$root/etc/hosts"
# No fsck at boot (pass 0): ext4's journal brings a killed VM's disk back, and a check is two more processes per boot.
if [ "${CILAB_BOOT:-kernel}" = firmware ]; then
  # Firmware-booted: the root is a partition on whatever bus the VM has (vda2, sda2), so it is found by label.
  # The ESP at /boot/efi, as on an installed Debian: what boots next is changed there (grub.cfg, grubenv).
  printf 'LABEL=cilab-root / ext4 rw,relatime 0 0\nLABEL=CILAB-ESP /boot/efi vfat umask=0022,nofail 0 0\n' > "$root/etc/fstab"
  mkdir -p "$root/boot/efi"
else
  printf '/dev/vda / ext4 rw,relatime 0 0\n' > "$root/etc/fstab"
fi
chroot "$root" systemctl enable ssh >/dev/null 2>&1
if [ -n "${CILAB_CLOUD_INIT:-}" ]; then
  # cloud-init writes the network from the seed (matched by MAC) for networkd to bring up.
  mkdir -p "$root/etc/systemd/network"
  printf '[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n' > "$root/etc/systemd/network/20-eth0.network"
  chroot "$root" systemctl enable systemd-networkd >/dev/null 2>&1
  chroot "$root" systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1 || true
else
  # A recipe image only ever runs on QEMU's user network, whose addresses are fixed (guest 10.0.2.15, gateway 10.0.2.2,
  # DNS 10.0.2.3): the address is set as soon as systemd starts, instead of by networkd and a DHCP exchange on sshd's
  # path. The card's driver is in the initrd, so eth0 is there by then, long before sshd listens: a host that connects
  # meanwhile is refused at once instead of waiting on a guest that cannot answer yet. A pulled cable keeps the address.
  printf 'virtio_net\ne1000\n' >> "$root/etc/initramfs-tools/modules"
  cat > "$root/etc/systemd/system/cilab-network.service" <<'UNIT'
[Unit]
Description=QEMU user network's fixed address on eth0
DefaultDependencies=no
Before=network.target
Wants=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
# A guest without eth0 says so on the serial console, which a boot that never answers SSH shows.
StandardError=journal+console
ExecStart=/bin/sh -c 'n=0; until [ -e /sys/class/net/eth0 ]; do n=$((n + 1)); [ $n -le 300 ] || { echo "cilab-network: no eth0 appeared in 300 tries: the VM has no network card this image knows" >&2; exit 1; }; sleep 0.1; done; ip link set eth0 up && ip address add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2'

[Install]
WantedBy=multi-user.target
UNIT
  chroot "$root" systemctl enable cilab-network.service >/dev/null 2>&1
fi
# Under emulation every unit and every megabyte of initrd costs (measured: 27.7 s to SSH before, 21.7 s after). No
# periodic maintenance, no mounts or modules nobody here uses (loop, fuse and mqueue stay); an initrd with only what
# finds a virtio root (7 MB instead of 36).
chroot "$root" systemctl mask e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer \
  dpkg-db-backup.timer fstrim.timer systemd-pstore.service modprobe@drm.service modprobe@efi_pstore.service \
  modprobe@dm_mod.service modprobe@configfs.service sys-kernel-config.mount sys-kernel-debug.mount \
  sys-kernel-tracing.mount dev-hugepages.mount systemd-network-generator.service getty@tty1.service \
  systemd-update-utmp.service systemd-update-utmp-runlevel.service >/dev/null 2>&1
# Nor modules for hardware a test VM has no use for, which udev would load for what QEMU's machine shows (measured:
# 81 modules before, 46 after): nested virtualization (-cpu max offers SVM), CPU crypto and checksum drivers (each runs
# its self-tests at load), the TCO watchdog, parallel port, VGA, wireless, PC speaker, SMBus, PS/2 mouse, SCSI generic.
# A blacklist stops only their loading by device alias: modprobe by name still loads them.
printf 'blacklist %s\n' kvm kvm_amd kvm_intel ccp irqbypass crc32_pclmul ghash_clmulni_intel sha512_ssse3 sha256_ssse3 \
  sha1_ssse3 aesni_intel iTCO_wdt iTCO_vendor_support intel_pmc_bxt ppdev parport_pc bochs cfg80211 pcspkr i2c_i801 \
  lpc_ich serio_raw psmouse sg > "$root/etc/modprobe.d/cilab-blacklist.conf"
printf 'MODULES=list\n' > "$root/etc/initramfs-tools/conf.d/cilab"
printf 'virtio_pci\nvirtio_blk\next4\n' >> "$root/etc/initramfs-tools/modules"
if [ "${CILAB_BOOT:-kernel}" = firmware ]; then
  # The other disk buses a VM may choose (sata, scsi, ide).
  printf 'ahci\nata_piix\nsd_mod\nvirtio_scsi\n' >> "$root/etc/initramfs-tools/modules"
fi
# No udev in the initrd: the modules above are loaded by name, their disks appear in devtmpfs and blkid finds the root
# by label (a disk that shows up late is waited for, a second at a time); the root's udev then sets up every device
# anyway. Its coldplug and settle in the initrd cost 1.5-2 s of each boot under TCG (3 paired boots: 8.6, 9.4, 8.6 s
# to the root's systemd with it; 6.9, 6.4, 8.1 s without). These replace the udev package's scripts of the same name.
mkdir -p "$root/etc/initramfs-tools/scripts/init-top" "$root/etc/initramfs-tools/scripts/init-bottom"
printf '#!/bin/sh\n[ "$1" = prereqs ] && exit 0\nexit 0\n' > "$root/etc/initramfs-tools/scripts/init-top/udev"
# What the stock init-bottom script does but stop udevd: /dev goes with the root.
printf '#!/bin/sh -e\n[ "$1" = prereqs ] && exit 0\nmount -n -o move /dev "${rootmnt:?}/dev"\nnuke /dev\nln -s "${rootmnt}/dev" /dev\n' \
  > "$root/etc/initramfs-tools/scripts/init-bottom/udev"
chmod 755 "$root/etc/initramfs-tools/scripts/init-top/udev" "$root/etc/initramfs-tools/scripts/init-bottom/udev"
chroot "$root" update-initramfs -u -k all >/dev/null

if [ "${CILAB_BOOT:-kernel}" = firmware ]; then
  # GRUB for both firmwares, one configuration on the EFI system partition (the first partition, FAT), where the
  # kernel and initrd go too. The build assembles the disk from these: BOOTX64.EFI on the ESP for UEFI; boot.img
  # in the MBR and core.img in the gap after it for BIOS (core.img's own sector list points at the sectors that
  # follow it, which is where it is written).
  out="$root/boot/cilab-firmware"
  mkdir -p "$out/esp/EFI/BOOT" "$out/esp/grub" "$out/bios"
  printf 'set default=0\nset timeout=0\nmenuentry "cilab" {\n  linux /vmlinuz root=LABEL=cilab-root rw console=ttyS0 net.ifnames=0 quiet\n  initrd /initrd.img\n}\n' \
    > "$out/esp/grub/grub.cfg"
  # loadenv: grubenv on the ESP, which GRUB reads and writes (boot counting); serial, terminal: output on the console.
  modules="part_msdos fat normal linux configfile echo search test loadenv serial terminal"
  chroot "$root" grub-mkimage -O x86_64-efi -p /grub -o /boot/cilab-firmware/esp/EFI/BOOT/BOOTX64.EFI $modules
  chroot "$root" grub-mkimage -O i386-pc -p '(hd0,msdos1)/grub' -o /boot/cilab-firmware/bios/core.img biosdisk $modules
  cp "$root/usr/lib/grub/i386-pc/boot.img" "$out/bios/boot.img"
  chroot "$root" grub-editenv /boot/cilab-firmware/esp/grub/grubenv create
fi

if [ -z "${CILAB_CLOUD_INIT:-}" ]; then
  # No lab's key in the image: QEMU hands the user and key in at every boot, so one image serves every lab and
  # checkout. The default user exists already (useradd is the slow part of that unit); another is made at boot.
  chroot "$root" useradd --create-home --shell /bin/bash cilab
  printf 'permit nopass cilab as root\n' > "$root/etc/doas.conf"
  printf 'cilab ALL=(ALL) NOPASSWD:ALL\n' > "$root/etc/sudoers.d/cilab"
  chmod 440 "$root/etc/sudoers.d/cilab"
  install -d -m 700 "$root/root/.ssh"
  chroot "$root" install -d -m 700 -o cilab -g cilab /home/cilab/.ssh
  # Loaded by systemd-modules-load, in its own process, before any unit of multi-user.target starts.
  printf 'qemu_fw_cfg\n' > "$root/etc/modules-load.d/cilab.conf"
  install -m 755 /dev/stdin "$root/usr/local/sbin/cilab-credentials" <<'SCRIPT'
#!/bin/sh
# The lab's user and SSH key, from QEMU's firmware configuration (-fw_cfg name=opt/cilab/...), before sshd starts.
# For the image's own user it starts no process: under software emulation each one costs.
set -eu
dir=/sys/firmware/qemu_fw_cfg/by_name/opt/cilab
if [ ! -r "$dir/user/raw" ] || [ ! -r "$dir/authorized_keys/raw" ]; then
  echo "cilab-credentials: QEMU handed in no user or key (opt/cilab); nobody can log in over SSH" >&2
  exit 0
fi
read -r user < "$dir/user/raw" || true
case "$user" in
  ''|-*|*[!a-z0-9_-]*) echo "cilab-credentials: '$user' is not a user name" >&2; exit 1 ;;
esac
if [ "$user" != cilab ]; then
  id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
  printf 'permit nopass %s as root\n' "$user" > /etc/doas.conf
  printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$user" > /etc/sudoers.d/cilab
fi
eval "home=~$user"
# The image's own user and root have theirs from the build.
[ -d "$home/.ssh" ] || install -d -m 700 -o "$user" -g "$user" "$home/.ssh"
# Root-owned and world-readable: sshd reads a user's keys as that user, and accepts them owned by root.
umask 022
for ssh in /root/.ssh "$home/.ssh"; do
  while IFS= read -r key || [ -n "$key" ]; do printf '%s\n' "$key"; done < "$dir/authorized_keys/raw" > "$ssh/authorized_keys"
done
SCRIPT
  printf '[Unit]\nDescription=The lab user and SSH key from QEMU\nBefore=ssh.service\n\n[Service]\nType=oneshot\nExecStart=/usr/local/sbin/cilab-credentials\n\n[Install]\nWantedBy=multi-user.target\n' \
    > "$root/etc/systemd/system/cilab-credentials.service"
  chroot "$root" systemctl enable cilab-credentials.service >/dev/null 2>&1
else
  # cloud-init creates the user and installs the key at first boot, from the seed; keep the pinned host keys.
  printf 'ssh_deletekeys: false\nssh_genkeytypes: []\ndatasource_list: [NoCloud, None]\n' > "$root/etc/cloud/cloud.cfg.d/90-cilab.cfg"
  printf 'permit nopass %s as root\n' "$user" > "$root/etc/doas.conf"
  printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$user" > "$root/etc/sudoers.d/cilab"
  chmod 440 "$root/etc/sudoers.d/cilab"
fi
chroot "$root" passwd --lock root >/dev/null

# Each SSH connection costs under emulation (a warm VM's `ssh true`: 1.3 s, 0.6 s with these): sshd serves it from
# its forked listener instead of re-executing itself (-r; a disposable VM gains nothing from a fresh address layout per
# connection), starts without a separate config test, and a login runs no message-of-the-day scripts.
mkdir -p "$root/etc/systemd/system/ssh.service.d"
printf '[Service]\nExecStartPre=\nExecStart=\nExecStart=/usr/sbin/sshd -D -r $SSHD_OPTS\n' > "$root/etc/systemd/system/ssh.service.d/cilab.conf"
sed -i '/pam_motd/d' "$root/etc/pam.d/sshd"

# Host keys made at build time and pinned in the lab's known_hosts (no trust-on-first-use) replace these.
rm -f "$root"/etc/ssh/ssh_host_*
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUseDNS no\nMaxSessions 64\nMaxStartups 64:30:128\n' \
  > "$root/etc/ssh/sshd_config.d/cilab.conf"

if [ -f "$root/tmp/cilab-provision.sh" ]; then
  echo "I: cilab: running the provisioning script"
  chroot "$root" sh /tmp/cilab-provision.sh
  rm -f "$root/tmp/cilab-provision.sh"
fi

rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/cache/apt/archives/*.deb
