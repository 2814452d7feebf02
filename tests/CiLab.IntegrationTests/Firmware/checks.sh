#!/bin/sh
# What a VM's emulated hardware looks like from inside, as TAP: checks.sh FIRMWARE ROOT-DEVICE NIC-DRIVER.
n=0
check() {
  n=$((n + 1))
  if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}
echo "1..5"
if [ "$1" = uefi ]; then
  check "booted by UEFI" "test -d /sys/firmware/efi"
else
  check "booted by BIOS" "test ! -d /sys/firmware/efi"
fi
check "root on $2" "test \"\$(findmnt -no SOURCE /)\" = '$2'"
check "network card driven by $3" "test \"\$(basename \"\$(readlink /sys/class/net/eth0/device/driver)\")\" = '$3'"
check "login shell is tcsh" "test \"\$(getent passwd \"\$(id -un)\" | cut -d: -f7)\" = /usr/bin/tcsh"
check "provisioned once" "test \"\$(cat /var/lib/cilab-test/runs)\" = provisioned"
