#!/bin/bash
# Installs the upgrade-lab into this guest (run as root): tools, units, settings, a clone of the config repository
# made by the service user, a first generation built from it and pinned as golden, and GRUB entries for the
# generations on the EFI system partition (the image must be firmware-booted).
# Usage: install.sh REMOTE_URL USER [BREAK_ROLLBACK]
set -euo pipefail
remote=$1 user=$2 break_rollback=${3:-0}
here=$(cd "$(dirname "$0")" && pwd)
home=/home/$user
state=/var/lib/local-upgrade
esp=/boot/efi
if ! mountpoint -q "$esp" || [ ! -f "$esp/grub/grub.cfg" ] || [ ! -f "$esp/grub/grubenv" ]; then
  echo "install.sh: generations are GRUB entries on the EFI system partition, and $esp holds no GRUB with an environment block: use a firmware-booted image (boot: firmware)" >&2
  exit 1
fi
# This boot's kernel command line, without what GRUB and the generations' entries add.
cmdline=$(sed -E 's/(^| )(BOOT_IMAGE|upgrade\.generation|panic)=[^ ]*//g; s/^ +//' /proc/cmdline)

install -m 0755 "$here/tools/local-upgrade" "$here/tools/golden" /usr/local/bin/
install -d /usr/local/lib/upgrade-lab
install -m 0755 "$here"/lib/* /usr/local/lib/upgrade-lab/
install -d /etc/local-upgrade/pre-update.d
install -m 0644 "$here/checks" /etc/local-upgrade/checks
cat > /etc/local-upgrade/config <<CONFIG
STATE=$state
CONFIG_DIR=$home/config
FETCH_TIMEOUT=10
MAX_FAILED_BOOTS=2
ESP=$esp
KERNEL_CMDLINE=${cmdline@Q}
GOLDEN_SERVICES="ssh.service"
BREAK_ROLLBACK=$break_rollback
CONFIG
for unit in "$here"/systemd/*; do
  sed "s/@USER@/$user/g" "$unit" > "/etc/systemd/system/$(basename "$unit")"
done

rm -rf "$state" "$home/config" "$esp/generations"
install -d "$state" "$state/generations"
install -d -o "$user" "$state/log"
runuser -u "$user" -- git clone --quiet "$remote" "$home/config"
build=$(mktemp -d)
/usr/local/lib/upgrade-lab/build-config "$home/config" "$build"
/usr/local/lib/upgrade-lab/switch "$build" >/dev/null
rm -rf "$build"
golden pin
# Generation 1 is what runs now: not on trial.
/usr/local/lib/upgrade-lab/bootloader end-trial

systemctl daemon-reload
systemctl enable --quiet local-upgrade-boot.service golden-pin.service local-upgrade.timer
systemctl start local-upgrade-boot.service golden-pin.service local-upgrade.timer
echo "upgrade-lab installed: generation $(basename "$(readlink -f "$state/current")"), remote $remote, user $user"
