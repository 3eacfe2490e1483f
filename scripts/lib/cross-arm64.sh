# The aarch64 (Graviton) build, cross-compiled on this x86_64 machine: sourced, not run (after common.sh and
# roots.sh).
#
#   ensure_cross_arm64   sets up, once, a Debian 13 (trixie) root with Debian's Swift and, inside it, an arm64
#                        sysroot unpacked from Debian's arm64 packages; cached under $ADJOIN_ROOTS_CACHE in a folder
#                        named by a hash of what it holds; prints that folder (root/, root/sysroot/ inside)
#   cross_build_arm64    builds the release binary for aarch64-unknown-linux-gnu (Swift runtime linked statically)
#                        from $ADJOIN_ROOT into $ADJOIN_ROOT/.build-arm64 and prints its path
#   cross_root_run CMD   runs a shell command inside the cached root, $ADJOIN_ROOT mounted at /src
#   cross_run_arm64 BIN  runs an aarch64 binary here under qemu-aarch64-static, its libraries from the sysroot
#   ensure_binfmt_aarch64  registers qemu's aarch64 entry with binfmt_misc, so that a whole arm64 root runs
#
# Why Debian's Swift: only Debian's archive is reachable here, and the machine's Swift 6.3.1 has no aarch64 Linux
# runtime; Debian's arm64 runtime is its own Swift version, which only the same version's compiler can use. So
# the compiler (amd64) and the runtime (arm64) are both Debian's, of one release. Debian 13's swiftlang 6.0.3
# rather than sid's 6.2.3: a stable release's package stays put, so a cached root and a fresh CI machine build
# with the same compiler; sid's moves under a cache. The code builds with both 6.0.3 and the machine's 6.3.1.
#
# Nothing here touches the host's apt: mmdebstrap fetches into the cache folder with its own apt settings.

ADJOIN_CROSS_SUITE=trixie
# What the root holds. The cache folder's name is a hash of these lines, so a change builds a new root.
ADJOIN_CROSS_RECIPE="recipe 1
suite $ADJOIN_CROSS_SUITE
root swiftlang libc6-dev libstdc++-14-dev git ca-certificates debhelper binutils-aarch64-linux-gnu libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64 libkrb5-3:arm64 libgssapi-krb5-2:arm64 libk5crypto3:arm64 libcom-err2:arm64
sysroot libc6-dev libgcc-14-dev libstdc++-14-dev libkrb5-dev libldap-dev libsasl2-dev libcurl4-openssl-dev swiftlang"

cross_arm64_folder() {
    echo "$ADJOIN_ROOTS_CACHE/cross-arm64-$(printf '%s' "$ADJOIN_CROSS_RECIPE" | sha256sum | cut -c1-12)"
}

ensure_cross_arm64() {
    local folder
    folder=$(cross_arm64_folder)
    mkdir -p "$ADJOIN_ROOTS_CACHE"
    exec {lock}>"$ADJOIN_ROOTS_CACHE/.cross-arm64.lock"
    flock "$lock"
    if [ ! -f "$folder/ready" ]; then
        command -v mmdebstrap >/dev/null 2>&1 || ensure_apt_packages mmdebstrap
        local root_packages sysroot_packages
        root_packages=$(printf '%s\n' "$ADJOIN_CROSS_RECIPE" | sed -n 's/^root //p' | tr ' ' ',')
        sysroot_packages=$(printf '%s\n' "$ADJOIN_CROSS_RECIPE" | sed -n 's/^sysroot //p' | tr ' ' ',')
        say "setting up the arm64 cross-build under $folder (once; later runs reuse it)"
        # Older recipes' folders are a gigabyte or more each: only the current one is kept.
        rm -rf "$ADJOIN_ROOTS_CACHE"/cross-arm64-*
        local building="$folder.building"
        mkdir -p "$building"
        # The compiler's root: amd64, with the arm64 libraries that the binary links as arm64 packages of its dpkg
        # database, so that dh_shlibdeps derives the .deb's Depends from them as for a native build.
        # Acquire::Check-Valid-Until: the archive mirrored here serves Release files past their date.
        mmdebstrap --variant=apt --architectures=amd64,arm64 --aptopt='Acquire::Check-Valid-Until "false"' \
            --include="$root_packages" "$ADJOIN_CROSS_SUITE" "$building/root" http://deb.debian.org/debian >&2 \
            || { exec {lock}>&-; die "mmdebstrap of the $ADJOIN_CROSS_SUITE cross-build root failed"; }
        # The target's headers, libraries and the arm64 Swift runtime of the same swiftlang version, unpacked only.
        mmdebstrap --variant=extract --architectures=arm64 --aptopt='Acquire::Check-Valid-Until "false"' \
            --include="$sysroot_packages" "$ADJOIN_CROSS_SUITE" "$building/root/sysroot" http://deb.debian.org/debian >&2 \
            || { exec {lock}>&-; die "mmdebstrap of the arm64 sysroot failed"; }
        # Unpacked packages lack the merged-/usr links that libc.so's and libm.so's linker scripts go through.
        local link
        for link in bin sbin lib; do
            [ -e "$building/root/sysroot/$link" ] || ln -s "usr/$link" "$building/root/sysroot/$link"
        done
        # swift-driver reads an SDK's SDKSettings.json and warns on every compile when there is none.
        printf '{"DisplayName": "Debian %s arm64", "Version": "13.0", "CanonicalName": "debian-%s-arm64"}\n' \
            "$ADJOIN_CROSS_SUITE" "$ADJOIN_CROSS_SUITE" >"$building/root/sysroot/SDKSettings.json"
        mkdir -p "$building/root/src"
        printf '%s\n' "$ADJOIN_CROSS_RECIPE" >"$building/recipe"
        touch "$building/ready"
        mv "$building" "$folder"
    fi
    exec {lock}>&-
    echo "$folder"
}

# Runs a command in the cross-build root, in a mount namespace of its own: the project at /src, and /proc and /dev.
# SwiftPM fetches the package's dependencies with git, so the host's git settings come along (a mirror that
# url.insteadOf names, such as a local folder, is mounted at the same path).
cross_root_run() {
    local root
    root="$(cross_arm64_folder)/root"
    [ -d "$root" ] || die "no cross-build root: run ensure_cross_arm64 first"
    local mounts="mount --bind /proc '$root/proc' && mount --bind /dev '$root/dev' && mount --bind '$ADJOIN_ROOT' '$root/src'"
    if [ -f /etc/gitconfig ]; then
        touch "$root/etc/gitconfig"
        mounts="$mounts && mount --bind /etc/gitconfig '$root/etc/gitconfig'"
        local mirror
        while read -r _ mirror; do
            [ -d "$mirror" ] || continue
            mkdir -p "$root$mirror"
            mounts="$mounts && mount --bind '$mirror' '$root$mirror'"
        done < <(git config --system --get-regexp '^url\..*\.insteadof$' | sed -n 's/^url\.\(\/[^ ]*\)\.insteadof .*/x \1/p' | sort -u)
    fi
    unshare -m --propagation private bash -c "$mounts && exec chroot '$root' env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 bash -c \"\$1\"" \
        cross-root "$1"
}

cross_build_arm64() {
    ensure_cross_arm64 >/dev/null
    local log
    log=$(mktemp)
    say "cross-building the release binary for aarch64 (Debian $ADJOIN_CROSS_SUITE's Swift, arm64 sysroot)"
    # --sdk and swiftc's own -sdk: SwiftPM passes the first to clang and the linker, the second finds the
    # target's Glibc module. The resource directory is the arm64 runtime's static one (--static-swift-stdlib looks
    # in the compiler's own, which is amd64's). lld links for any target; the linker flags are scripts/package's.
    if ! cross_root_run 'cd /src && swift build -c release --product adjoin --scratch-path /src/.build-arm64 \
            --disable-local-rpath --triple aarch64-unknown-linux-gnu --sdk /sysroot \
            -Xswiftc -sdk -Xswiftc /sysroot -Xswiftc -use-ld=lld \
            -Xswiftc -resource-dir -Xswiftc /sysroot/usr/libexec/swift/lib/swift_static \
            --static-swift-stdlib -Xlinker -z -Xlinker now' >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "the aarch64 build failed"
    fi
    cat "$log" >&2
    if grep -q 'warning:' "$log"; then
        rm -f "$log"
        die "the aarch64 build printed warnings"
    fi
    rm -f "$log"
    echo "$ADJOIN_ROOT/.build-arm64/aarch64-unknown-linux-gnu/release/adjoin"
}

# Runs the aarch64 binary here, under qemu's user-mode emulation with the sysroot's libraries (no binfmt needed).
cross_run_arm64() {
    command -v qemu-aarch64-static >/dev/null 2>&1 || ensure_apt_packages qemu-user-static
    qemu-aarch64-static -L "$(cross_arm64_folder)/root/sysroot" "$@"
}

# A whole arm64 root (its dpkg, sssd, PAM modules) runs under chroot when the kernel hands aarch64 executables to
# qemu: binfmt_misc mounted and Debian's qemu-aarch64 entry registered, with the F flag (qemu opened now, so that
# it need not exist inside the root). Machine-wide, but it changes only how aarch64 executables start.
ensure_binfmt_aarch64() {
    command -v qemu-aarch64-static >/dev/null 2>&1 || ensure_apt_packages qemu-user-static
    local folder=/proc/sys/fs/binfmt_misc
    [ -e "$folder/register" ] || mount -t binfmt_misc binfmt_misc "$folder" || die "cannot mount binfmt_misc on $folder"
    [ -e "$folder/qemu-aarch64" ] && return 0
    [ -f /usr/lib/binfmt.d/qemu-aarch64.conf ] || die "qemu-user-static has no binfmt entry for aarch64"
    cat /usr/lib/binfmt.d/qemu-aarch64.conf >"$folder/register" 2>/dev/null || [ -e "$folder/qemu-aarch64" ] \
        || die "cannot register qemu's aarch64 entry with binfmt_misc"
}
