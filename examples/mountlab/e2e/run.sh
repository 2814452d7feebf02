#!/bin/sh
# End to end, as root: the mountlab binary that the build suite made sets up two workers, runs a command chrooted
# in each, and leaves no mount behind. Prints TAP.
set -u
echo "1..3"
base=$(mktemp -d /var/tmp/mountlab-e2e.XXXXXX)
out=$(./bin/mountlab run -workers 2 -base "$base" -- /bin/sh -c 'echo $((6 * 7)); test -r /proc/self/status' 2>&1)
status=$?
if [ "$status" -eq 0 ]; then echo "ok 1 - mountlab run exits 0"; else echo "not ok 1 - mountlab run exited $status"; printf '%s\n' "$out" | sed 's/^/# /'; fi
answers=$(printf '%s\n' "$out" | grep -c '^worker-[01]: 42$')
if [ "$answers" -eq 2 ]; then echo "ok 2 - each of the 2 workers ran the command in its chroot, with /proc"; else echo "not ok 2 - $answers of 2 workers answered 42"; fi
if grep -q " $base/" /proc/mounts; then echo "not ok 3 - mounts left under $base"; else echo "ok 3 - no mounts left under $base"; fi
rm -rf "$base"
