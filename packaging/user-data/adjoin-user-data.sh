#!/bin/bash
# EC2 user data for an instance launched from a stock image without adjoin baked in: Debian 12 or 13, Ubuntu
# 22.04 or 24.04 (the .deb, with apt), Amazon Linux 2023 or RHEL 9 (the .rpm, with dnf). It installs the
# adjoin package and joins now. (An image with the package joins at boot by itself; it needs no user data.)
# docs/deploying.md explains each step.
#
# Launch the instance with the instance profile of packaging/cloudformation/adjoin.yaml. The domain, the
# join user and the password come from the SSM parameter (or the central settings table), never from
# here: user data is readable by anyone who may describe the instance.
#
# Set the URLs to where your build of the packages is served (an S3 pre-signed URL, an artifact server) and
# the checksums to theirs (sha256sum dist/adjoin*): the amd64 .deb and x86_64 .rpm for x86_64 instances, the
# arm64 .deb and aarch64 .rpm (scripts/package --arch amd64,arm64) for Graviton ones. The one for this
# instance's package manager and architecture is used.
set -euo pipefail

ADJOIN_DEB_URL_AMD64="https://artifacts.example.com/adjoin/adjoin_0.1.0_amd64.deb"
ADJOIN_DEB_SHA256_AMD64="replace-with-the-sha256-of-the-amd64-package"
ADJOIN_DEB_URL_ARM64="https://artifacts.example.com/adjoin/adjoin_0.1.0_arm64.deb"
ADJOIN_DEB_SHA256_ARM64="replace-with-the-sha256-of-the-arm64-package"
ADJOIN_RPM_URL_X86_64="https://artifacts.example.com/adjoin/adjoin-0.1.0-1.x86_64.rpm"
ADJOIN_RPM_SHA256_X86_64="replace-with-the-sha256-of-the-x86_64-rpm"
ADJOIN_RPM_URL_AARCH64="https://artifacts.example.com/adjoin/adjoin-0.1.0-1.aarch64.rpm"
ADJOIN_RPM_SHA256_AARCH64="replace-with-the-sha256-of-the-aarch64-rpm"
# Optional: another settings parameter than "adjoin".
ADJOIN_PARAMETER="adjoin"

# dnf on Amazon Linux 2023 and RHEL 9, apt (dpkg) on Debian and Ubuntu.
if command -v dnf >/dev/null 2>&1; then
    ADJOIN_FORMAT=rpm
    case "$(uname -m)" in
        x86_64) ADJOIN_URL=$ADJOIN_RPM_URL_X86_64 ADJOIN_SHA256=$ADJOIN_RPM_SHA256_X86_64 ;;
        aarch64) ADJOIN_URL=$ADJOIN_RPM_URL_AARCH64 ADJOIN_SHA256=$ADJOIN_RPM_SHA256_AARCH64 ;;
        *) echo "adjoin is built for x86_64 and aarch64, not $(uname -m)" >&2; exit 1 ;;
    esac
else
    ADJOIN_FORMAT=deb
    case "$(dpkg --print-architecture)" in
        amd64) ADJOIN_URL=$ADJOIN_DEB_URL_AMD64 ADJOIN_SHA256=$ADJOIN_DEB_SHA256_AMD64 ;;
        arm64) ADJOIN_URL=$ADJOIN_DEB_URL_ARM64 ADJOIN_SHA256=$ADJOIN_DEB_SHA256_ARM64 ;;
        *) echo "adjoin is built for amd64 and arm64, not $(dpkg --print-architecture)" >&2; exit 1 ;;
    esac
fi

package=/var/tmp/adjoin.$ADJOIN_FORMAT
if [ "$ADJOIN_FORMAT" = deb ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q curl ca-certificates
fi
# Amazon Linux 2023 and RHEL 9 ship curl (curl-minimal) and sha256sum.
curl --fail --silent --show-error --location --retry 5 --output "$package" "$ADJOIN_URL"
echo "$ADJOIN_SHA256  $package" | sha256sum --check --quiet
if [ "$ADJOIN_FORMAT" = deb ]; then
    # apt resolves the package's Depends (sssd-ad, libnss-sss, libpam-sss, the Kerberos and LDAP libraries).
    apt-get install -y -q "$package"
else
    # dnf resolves the Requires (sssd-ad, sssd-client, authselect, oddjob-mkhomedir, openldap, ...).
    dnf install -y -q "$package"
fi
rm -f "$package"

# The package enabled adjoin-join.service, adjoin-leave.service and adjoin-rotate.timer for the next boot;
# this boot is already under way, so start them now. The leave unit first: its stop at shutdown is what
# takes a terminated instance out of the domain, so an instance terminated while the join below still
# retries leaves too.
systemctl start adjoin-leave.service
# Join now. The result (JOINED, or why not) is in the output, in the journal (journalctl -u adjoin-join),
# and in the status table.
if [ "$ADJOIN_PARAMETER" = adjoin ]; then
    systemctl start adjoin-join.service
else
    adjoin join --unless-joined --retry-for 30m --parameter "$ADJOIN_PARAMETER"
fi
systemctl start adjoin-rotate.timer
