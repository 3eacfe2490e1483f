#!/bin/sh
# AWS Systems Manager Distributor runs this, as root, to uninstall. It removes the package; the settings adjoin
# wrote (krb5.conf, sssd.conf, the keytab, /var/lib/adjoin) are not the package's files and stay, and so does the
# host's domain membership: leaving the domain is `adjoin leave`, never a side effect of uninstalling. Nothing is
# started or stopped.
set -eu
if rpm -q adjoin >/dev/null 2>&1; then
    dnf remove -y -q adjoin
fi
