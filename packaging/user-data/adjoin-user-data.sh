#!/bin/bash
# EC2 user data for an instance launched from a stock Debian 12 image (or Ubuntu, with a package built on
# that release) without adjoin baked in: installs the adjoin package and joins now. (An image with the
# package joins at boot by itself; it needs no user data.)
#
# Launch the instance with the instance profile of packaging/cloudformation/adjoin.yaml. The domain, the
# join user and the password come from the SecureString SSM parameter, never from here: user data is
# readable by anyone who may describe the instance.
#
# Set ADJOIN_DEB_URL to where your build of the package is served (an S3 pre-signed URL, an artifact
# server) and ADJOIN_DEB_SHA256 to its checksum (sha256sum dist/adjoin_*.deb).
set -euo pipefail

ADJOIN_DEB_URL="https://artifacts.example.com/adjoin/adjoin_0.1.0_amd64.deb"
ADJOIN_DEB_SHA256="replace-with-the-sha256-of-the-package"
# Optional: another settings parameter than "adjoin".
ADJOIN_PARAMETER="adjoin"

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
