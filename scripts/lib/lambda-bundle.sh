# The broker's AWS Lambda bundle (scripts/package --lambda): sourced, not run (after common.sh, roots.sh and
# cross-arm64.sh).
#
#   lambda_bundle ARCH BINARY ZIP   lays out and zips the bundle of an amd64 or arm64 release binary
#                                   (scripts/lib/lambda_bundle.py says what it holds)
#
# The shared libraries come from the build's own library set: this machine's Debian 12 ones for amd64, the arm64
# sysroot's Debian 13 ones for arm64 (the libraries the binary was linked against, so their ABI is the one it
# expects). Cyrus SASL's GSSAPI plugin is no build dependency: amd64's is installed here, arm64's is fetched once
# from Debian 13 for arm64 and cached beside the cross-build root.

# The folder of the arm64 plugin (usr/lib/aarch64-linux-gnu/sasl2 inside), fetched once like
# ensure_openldap24_libraries' libraries, with apt settings of its own: the machine's apt is not touched.
ensure_arm64_sasl_gssapi() {
    local folder="$ADJOIN_ROOTS_CACHE/sasl-gssapi-arm64-$ADJOIN_CROSS_SUITE"
    if [ ! -e "$folder/usr/lib/aarch64-linux-gnu/sasl2/libgssapiv2.so.2" ]; then
        say "fetching Cyrus SASL's GSSAPI plugin for arm64 from Debian $ADJOIN_CROSS_SUITE (once; later runs reuse it)"
        local work
        work=$(mktemp -d)
        mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
        echo "deb [arch=arm64] http://deb.debian.org/debian $ADJOIN_CROSS_SUITE main" >"$work/sources.list"
        local options=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
                       -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::State::Status=/dev/null
                       -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o APT::Sandbox::User=root
                       -o 'Acquire::Check-Valid-Until=false')
        apt-get "${options[@]}" -q update >&2 \
            && (cd "$work" && apt-get "${options[@]}" -q download libsasl2-modules-gssapi-mit:arm64 >&2) \
            || { rm -rf "$work"; die "cannot download Debian $ADJOIN_CROSS_SUITE's libsasl2-modules-gssapi-mit for arm64"; }
        rm -rf "$folder.building"
        dpkg-deb -x "$work"/libsasl2-modules-gssapi-mit_*_arm64.deb "$folder.building" \
            || { rm -rf "$work"; die "cannot unpack libsasl2-modules-gssapi-mit"; }
        rm -rf "$work" "$folder"
        mv "$folder.building" "$folder"
    fi
    echo "$folder"
}

lambda_bundle() {
    local arch=$1 binary=$2 zip=$3
    local work="$ADJOIN_ROOT/.build/lambda-$arch"
    rm -rf "$work"
    mkdir -p "$work"
    local directories=() plugin
    if [ "$arch" = amd64 ]; then
        ensure_apt_packages libsasl2-modules-gssapi-mit
        strip -o "$work/adjoin" "$binary"
        directories=(/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu)
        plugin=/usr/lib/x86_64-linux-gnu/sasl2/libgssapiv2.so.2
    else
        # The cross-build root's binutils strip the aarch64 binary (this machine's strip reads x86 only).
        cross_root_run "aarch64-linux-gnu-strip -o /src/.build/lambda-arm64/adjoin /src/${binary#"$ADJOIN_ROOT"/}" \
            || die "cannot strip $binary"
        local sysroot
        sysroot="$(cross_arm64_folder)/root/sysroot"
        directories=("$sysroot/lib/aarch64-linux-gnu" "$sysroot/usr/lib/aarch64-linux-gnu" "$sysroot/usr/lib")
        plugin="$(ensure_arm64_sasl_gssapi)/usr/lib/aarch64-linux-gnu/sasl2/libgssapiv2.so.2"
    fi
    local arguments=(--arch "$arch" --binary "$work/adjoin" --bootstrap packaging/lambda/bootstrap --output "$zip"
                     --sasl-plugin "$plugin")
    local directory
    for directory in "${directories[@]}"; do arguments+=(--library-dir "$directory"); done
    python3 scripts/lib/lambda_bundle.py "${arguments[@]}" || die "cannot make the $arch Lambda bundle"
}
