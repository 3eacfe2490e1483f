#!/bin/bash
# EC2 user data for an instance launched from a stock Debian 12 image (or Ubuntu, with a package built on
# that release) without adjoin baked in: installs the adjoin package and joins now. (An image with the
# package joins at boot by itself; it needs no user data.)
#
# Launch the instance with the instance profile of packaging/cloudformation/adjoin.yaml. The domain, the
# join user and the password come from the SecureString SSM parameter, never from here: user data is
# readable by anyone who may describe the instance.
#
# Set the URLs to where your build of the packages is served (an S3 pre-signed URL, an artifact server) and
# the checksums to theirs (sha256sum dist/adjoin_*.deb): the amd64 .deb for x86_64 instances, the arm64 .deb
# (scripts/package --arch arm64) for Graviton ones. The one for this instance's architecture is used.
set -euo pipefail

ADJOIN_DEB_URL_AMD64="https://artifacts.example.com/adjoin/adjoin_0.1.0_amd64.deb"
ADJOIN_DEB_SHA256_AMD64="replace-with-the-sha256-of-the-amd64-package"
ADJOIN_DEB_URL_ARM64="https://artifacts.example.com/adjoin/adjoin_0.1.0_arm64.deb"
ADJOIN_DEB_SHA256_ARM64="replace-with-the-sha256-of-the-arm64-package"
# Optional: another settings parameter than "adjoin".
ADJOIN_PARAMETER="adjoin"

case "$(dpkg --print-architecture)" in
    amd64) ADJOIN_DEB_URL=$ADJOIN_DEB_URL_AMD64 ADJOIN_DEB_SHA256=$ADJOIN_DEB_SHA256_AMD64 ;;
    arm64) ADJOIN_DEB_URL=$ADJOIN_DEB_URL_ARM64 ADJOIN_DEB_SHA256=$ADJOIN_DEB_SHA256_ARM64 ;;
    *) echo "adjoin is built for amd64 and arm64, not $(dpkg --print-architecture)" >&2; exit 1 ;;
esac

deb=/var/tmp/adjoin.deb
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q curl ca-certificates
curl --fail --silent --show-error --location --retry 5 --output "$deb" "$ADJOIN_DEB_URL"
echo "$ADJOIN_DEB_SHA256  $deb" | sha256sum --check --quiet
# apt resolves the package's Depends (sssd-ad, libnss-sss, libpam-sss, the Kerberos and LDAP libraries).
apt-get install -y -q "$deb"
rm -f "$deb"

# The package enabled its units for the next boot; this boot is already under way, so join now. The
# result (JOINED, or why not) is in the output, in the journal, and in the status table.
if [ "$ADJOIN_PARAMETER" = adjoin ]; then
    systemctl start adjoin-join.service
else
    adjoin join --unless-joined --retry-for 30m --parameter "$ADJOIN_PARAMETER"
fi
systemctl start adjoin-rotate.timer
