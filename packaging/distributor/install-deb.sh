#!/bin/sh
# AWS Systems Manager Distributor runs this from the unpacked zip, as root, on Debian 12 and 13 and Ubuntu 22.04
# and 24.04. It installs the .deb beside it with apt, which pulls its dependencies from the release's archive.
# Installing joins nothing and starts nothing: adjoin-join.service, adjoin-leave.service and adjoin-rotate.timer
# are enabled for the next boot only.
set -eu
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
deb=$(ls ./adjoin_*.deb)
if ! apt-get install -y -q --no-install-recommends "$deb"; then
    # A fresh instance may have no package lists yet.
    apt-get update -q
    apt-get install -y -q --no-install-recommends "$deb"
fi
