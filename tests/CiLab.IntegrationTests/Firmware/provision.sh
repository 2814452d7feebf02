#!/bin/sh
# The firmware lab's provisioning: once per VM disk, as root, after its first boot. The lab user's login shell becomes
# tcsh, so everything after it (sync, suites, the persistent shell) goes through a login shell that is not Bourne.
set -eu
chsh -s /usr/bin/tcsh cilab
mkdir -p /var/lib/cilab-test
echo provisioned >> /var/lib/cilab-test/runs
