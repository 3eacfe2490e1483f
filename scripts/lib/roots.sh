# Cached minbase roots of Debian suites, for the packaging tests: sourced, not run (after common.sh).
#
#   ensure_minbase_root SUITE    builds /var/cache/adjoin-roots/SUITE-minbase once (debootstrap --variant=minbase,
#                                this machine's apt settings, a policy-rc.d that lets no service start, package
#                                lists fetched) and prints its path
#   ensure_openldap24_libraries  OpenLDAP 2.4.57's client libraries (Amazon Linux 2023's version), cached likewise
#
# A cached root is never changed or mounted in: callers copy it first (cp -a --one-file-system), so a second
# test run on the same machine costs a copy instead of a debootstrap.

ADJOIN_ROOTS_CACHE=${ADJOIN_ROOTS_CACHE:-/var/cache/adjoin-roots}
# Raised when what a root holds changes, so that a stale cache is rebuilt rather than used.
ADJOIN_MINBASE_RECIPE=1

ensure_minbase_root() {
    local suite=$1
    [[ "$suite" =~ ^[a-z]+$ ]] || die "not a Debian suite name: '$suite'"
    local root="$ADJOIN_ROOTS_CACHE/$suite-minbase"
    local stamp="$root/.adjoin-root-recipe"
    mkdir -p "$ADJOIN_ROOTS_CACHE"
    # One builder at a time per suite: parallel test runs wait for the first one's root.
    exec {lock}>"$ADJOIN_ROOTS_CACHE/.$suite-minbase.lock"
    flock "$lock"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$ADJOIN_MINBASE_RECIPE" ]; then
        command -v debootstrap >/dev/null 2>&1 || ensure_apt_packages debootstrap
        say "building the $suite minbase root under $ADJOIN_ROOTS_CACHE (once; later runs copy it)"
        rm -rf "$root" "$root.building"
        debootstrap --variant=minbase "$suite" "$root.building" http://deb.debian.org/debian >&2 \
            || { exec {lock}>&-; die "debootstrap $suite failed"; }
        cp /etc/apt/apt.conf.d/99artifact-registry "$root.building/etc/apt/apt.conf.d/" 2>/dev/null || true
        # Installing packages in a root must start no service (sssd), as in any image build.
        printf '#!/bin/sh\nexit 101\n' >"$root.building/usr/sbin/policy-rc.d"
        chmod 0755 "$root.building/usr/sbin/policy-rc.d"
        chroot "$root.building" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get -q update >&2 \
            || { exec {lock}>&-; die "apt-get update in the $suite root failed"; }
        rm -f "$root.building"/var/cache/apt/archives/*.deb
        echo "$ADJOIN_MINBASE_RECIPE" >"$root.building/.adjoin-root-recipe"
        mv "$root.building" "$root"
    fi
    exec {lock}>&-
    echo "$root"
}

# OpenLDAP 2.4.57's client libraries (libldap_r-2.4.so.2, liblber-2.4.so.2), the upstream version Amazon Linux
# 2023 ships, taken from Debian 11's libldap-2.4-2 (the same 2.4.57): no Amazon Linux archive is reachable here.
# Prints the folder that holds them (usr/lib/x86_64-linux-gnu inside), cached like the roots.
ensure_openldap24_libraries() {
    local folder="$ADJOIN_ROOTS_CACHE/openldap-2.4"
    if [ ! -e "$folder/usr/lib/x86_64-linux-gnu/libldap_r-2.4.so.2" ]; then
        say "fetching OpenLDAP 2.4.57's libraries from Debian 11 (once; later runs reuse them)"
        local work
        work=$(mktemp -d)
        mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
        echo 'deb http://deb.debian.org/debian bullseye main' >"$work/sources.list"
        # apt with a source list and state of its own: the machine's apt settings stay as they are.
        local options=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
                       -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::State::Status=/dev/null
                       -o APT::Sandbox::User=root)
        apt-get "${options[@]}" -q update >&2 && (cd "$work" && apt-get "${options[@]}" -q download libldap-2.4-2 >&2) \
            || { rm -rf "$work"; die "cannot download Debian 11's libldap-2.4-2"; }
        rm -rf "$folder.building"
        dpkg-deb -x "$work"/libldap-2.4-2_*.deb "$folder.building" || { rm -rf "$work"; die "cannot unpack libldap-2.4-2"; }
        rm -rf "$work" "$folder"
        mv "$folder.building" "$folder"
    fi
    echo "$folder"
}
