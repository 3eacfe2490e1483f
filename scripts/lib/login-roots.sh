# Debian 13 (trixie) roots for the host-configuration and login tests of other distributions' tools:
# sourced, not run. Each is built once with debootstrap and apt inside it, and cached under
# /var/cache/adjoin-roots/ so that a second run on the same machine only copies it.
#
#   trixie-sssd        Debian 13 minbase + sssd 2.10, libnss-sss, libpam-sss, pamtester (pam-auth-update)
#   trixie-authselect  the same + authselect, with pam-auth-update taken away and /etc/authselect
#                      created: the RHEL family's PAM tool (RHEL 9 and Amazon Linux 2023 use the same
#                      upstream profiles)
#   trixie-authselect-oddjob  the same + oddjob-mkhomedir (oddjobd and D-Bus), as RHEL makes home directories
#   trixie-ssh         trixie-sssd + OpenSSH 10 (server and client), sshpass and MIT's kinit: SSH logins
#   trixie-arm64-sssd  an arm64 Debian 13 minbase (mmdebstrap, its packages' scripts run under qemu through
#                      binfmt_misc, scripts/lib/cross-arm64.sh) + the same login packages, what the arm64 .deb
#                      depends on (mmdebstrap keeps no package lists: apt installs the .deb from the file alone)
#                      and krb5-user
#
# ensure_login_root NAME prints the cached root's path. Nothing is ever mounted in a cached root: the
# tests copy it and mount /proc and /dev only in a private mount namespace of their own.

ADJOIN_ROOTS_CACHE=${ADJOIN_ROOTS_CACHE:-/var/cache/adjoin-roots}
# Raised when what a root holds changes, so that a stale cache is rebuilt rather than used.
ADJOIN_LOGIN_ROOTS_RECIPE=2

# What the .deb depends on for logins (libsasl2-modules-gssapi-mit: sssd binds to LDAP with GSSAPI), and pamtester.
login_root_packages=(sssd-ad sssd-tools libnss-sss libpam-sss libsasl2-modules-gssapi-mit pamtester)

# Runs apt-get inside a root with the machine's apt settings for the archive.
_login_root_apt() {
    local root=$1; shift
    cp /etc/apt/apt.conf.d/99artifact-registry "$root/etc/apt/apt.conf.d/" 2>/dev/null || true
    # No service may start inside a root while packages are installed.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    # Quiet unless it fails: package scripts complain about what a root lacks (no sssd running, no /dev/pts).
    local log
    log=$(mktemp)
    if ! chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get -q "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

# Each step is checked: the caller runs this with `||`, which turns `set -e` off inside.
_login_root_build() {
    local name=$1 target=$2
    case "$name" in
        trixie-base)
            debootstrap --variant=minbase trixie "$target" http://deb.debian.org/debian >/dev/null || return 1 ;;
        trixie-sssd)
            cp -a --one-file-system "$(ensure_login_root trixie-base)" "$target" || return 1
            _login_root_apt "$target" update || return 1
            _login_root_apt "$target" install -y --no-install-recommends "${login_root_packages[@]}" || return 1 ;;
        trixie-authselect)
            cp -a --one-file-system "$(ensure_login_root trixie-sssd)" "$target" || return 1
            _login_root_apt "$target" update || return 1
            _login_root_apt "$target" install -y --no-install-recommends authselect || return 1
            # pam-auth-update belongs to libpam-runtime, which PAM itself needs: the program goes, not
            # the package, as on a system whose PAM tool is authselect alone.
            chroot "$target" dpkg-divert --quiet --local --rename --divert /usr/sbin/pam-auth-update.removed \
                /usr/sbin/pam-auth-update || return 1
            mkdir -p "$target/etc/authselect" || return 1 ;;
        trixie-authselect-oddjob)
            cp -a --one-file-system "$(ensure_login_root trixie-authselect)" "$target" || return 1
            _login_root_apt "$target" update || return 1
            _login_root_apt "$target" install -y --no-install-recommends oddjob-mkhomedir || return 1 ;;
        trixie-ssh)
            cp -a --one-file-system "$(ensure_login_root trixie-sssd)" "$target" || return 1
            _login_root_apt "$target" update || return 1
            _login_root_apt "$target" install -y --no-install-recommends openssh-server openssh-client sshpass krb5-user || return 1 ;;
        trixie-arm64-sssd)
            ensure_binfmt_aarch64
            command -v mmdebstrap >/dev/null 2>&1 || ensure_apt_packages mmdebstrap arch-test
            command -v arch-test >/dev/null 2>&1 || ensure_apt_packages arch-test
            # The .deb's Depends (packaging/debian/control and dh_shlibdeps) beside the login packages; no service
            # may start while they are installed.
            mmdebstrap --variant=minbase --architectures=arm64 --aptopt='Acquire::Check-Valid-Until "false"' \
                --include="$(IFS=,; echo "${login_root_packages[*]},libldap2,libcurl4t64,libkrb5-3,libgssapi-krb5-2,libstdc++6,krb5-user")" \
                --customize-hook='printf "#!/bin/sh\nexit 101\n" >"$1/usr/sbin/policy-rc.d"; chmod 0755 "$1/usr/sbin/policy-rc.d"' \
                trixie "$target" http://deb.debian.org/debian >"$target.log" 2>&1 || { cat "$target.log" >&2; return 1; }
            rm -f "$target.log"
            cp /etc/apt/apt.conf.d/99artifact-registry "$target/etc/apt/apt.conf.d/" 2>/dev/null || true ;;
        *) die "unknown root $name" ;;
    esac
    rm -rf "$target"/var/cache/apt/archives/*.deb "$target"/var/lib/apt/lists/*_Packages
}

# Builds (once) and prints the path of the cached root NAME.
ensure_login_root() {
    local name=$1
    local root="$ADJOIN_ROOTS_CACHE/distro-$name"
    local stamp="$root/.adjoin-root-recipe"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ADJOIN_LOGIN_ROOTS_RECIPE" ]; then
        echo "$root"
        return 0
    fi
    command -v debootstrap >/dev/null 2>&1 || ensure_apt_packages debootstrap
    say "building the $name root under $ADJOIN_ROOTS_CACHE (once; later runs reuse it)"
    mkdir -p "$ADJOIN_ROOTS_CACHE"
    rm -rf "$root" "$root.building"
    _login_root_build "$name" "$root.building" || die "cannot build the $name root"
    echo "$ADJOIN_LOGIN_ROOTS_RECIPE" >"$root.building/.adjoin-root-recipe"
    mv "$root.building" "$root"
    echo "$root"
}
