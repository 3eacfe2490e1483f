#!/bin/sh
# AWS Systems Manager Distributor runs this, as root, to uninstall. It removes the package and keeps its settings
# (remove, not purge) and the host's domain membership: leaving the domain is `adjoin leave`, never a side effect
# of uninstalling. Nothing is started or stopped.
set -eu
export DEBIAN_FRONTEND=noninteractive
if dpkg-query -W -f '${db:Status-Status}' adjoin 2>/dev/null | grep -q '^installed$'; then
    apt-get remove -y -q adjoin
fi
