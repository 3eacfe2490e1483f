# Shared by the project's scripts: sourced, not run.

# The project's root, whatever the caller's directory.
ADJOIN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Installs the Debian packages that are missing, and nothing when all are there (no apt-get update).
ensure_apt_packages() {
    local missing=()
    local package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

# What building the agent needs: the C libraries' headers.
ADJOIN_BUILD_PACKAGES=(libkrb5-dev libldap2-dev libsasl2-dev libcurl4-openssl-dev)

ensure_swift() {
    command -v swift >/dev/null 2>&1 || [ -x /opt/swift/usr/bin/swift ] || die "swift is not installed (Swift 6 toolchain needed)"
    command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
}
