#!/bin/sh
# AWS Systems Manager Distributor runs this from the unpacked zip, as root, on Amazon Linux 2023 and RHEL 9. It
# installs the .rpm beside it with dnf, which pulls its Requires from the distribution's repositories.
# Installing joins nothing and starts nothing: adjoin-join.service, adjoin-leave.service and adjoin-rotate.timer
# are enabled for the next boot only.
set -eu
cd "$(dirname "$0")"
# The binary needs glibc 2.34 or later: refuse older systems (RHEL 8) with a clear message rather than a broken
# install.
glibc=$(getconf GNU_LIBC_VERSION | awk '{print $2}')
if [ "$(printf '%s\n2.34\n' "$glibc" | sort -V | head -n 1)" != 2.34 ]; then
    echo "adjoin needs glibc 2.34 or later (Amazon Linux 2023, RHEL 9); this system has $glibc" >&2
    exit 1
fi
dnf install -y -q ./adjoin-*.rpm
