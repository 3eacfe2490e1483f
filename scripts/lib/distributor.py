"""Builds the AWS Systems Manager Distributor package of adjoin: one zip per package format and architecture
(adjoin-deb.zip, the .deb for Debian and Ubuntu; adjoin-rpm.zip, the .rpm for Amazon Linux 2023 and RHEL 9; for
arm64, adjoin-deb-arm64.zip and adjoin-rpm-arm64.zip), each with its install.sh and uninstall.sh, and the JSON
manifest (schemaVersion 2.0) that maps platforms, versions and architectures to them, with their SHA-256. The zip
names carry no version: each version is uploaded under its own S3 prefix, and packaging/cloudformation/adjoin.yaml
writes the same manifest from the version and the checksums.

usage: distributor.py VERSION SCRIPTS_DIR OUT_DIR SOURCE_DATE_EPOCH ARCH=DEB,RPM...
  ARCH is Debian's name (amd64, arm64); each one given gets its zips and its manifest entries.

Prints the manifest's path."""
import hashlib
import json
import os
import sys
import time
import zipfile

# Distributor's platform codes, and the release versions (os-release VERSION_ID) each zip is for. RHEL's
# VERSION_ID carries the minor release (9.4), which Distributor matches exactly, so RHEL is "_any" and the rpm's
# install.sh refuses a glibc older than 2.34 (RHEL 8) itself.
PLATFORMS = {
    "debian": (["12", "13"], "deb"),
    "ubuntu": (["22.04", "24.04"], "deb"),
    "amazon": (["2023"], "rpm"),
    "redhat": (["_any"], "rpm"),
}

# Debian's architecture names, as scripts/package takes them: Distributor's code for each, and its zips' suffix
# (none for x86_64, whose zip names predate arm64 and are kept for the stacks that name them).
ARCHITECTURES = {"amd64": ("x86_64", ""), "arm64": ("arm64", "-arm64")}


def write_zip(path, members, epoch):
    stamp = time.gmtime(max(epoch, 315532800))[:6]  # zip dates start in 1980
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, source, mode in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(source, "rb") as f:
                archive.writestr(info, f.read())


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    version, scripts, out, epoch = sys.argv[1:5]
    epoch = int(epoch)
    os.makedirs(out, exist_ok=True)
    files = {}
    for argument in sys.argv[5:]:
        arch, packages = argument.split("=", 1)
        deb, rpm = packages.split(",")
        code, suffix = ARCHITECTURES[arch]
        for kind, package in (("deb", deb), ("rpm", rpm)):
            name = "adjoin-%s%s.zip" % (kind, suffix)
            write_zip(os.path.join(out, name), [
                ("install.sh", os.path.join(scripts, "install-%s.sh" % kind), 0o755),
                ("uninstall.sh", os.path.join(scripts, "uninstall-%s.sh" % kind), 0o755),
                (os.path.basename(package), package, 0o644),
            ], epoch)
            files[(code, kind)] = name
    if not files:
        sys.exit("distributor.py: no architecture given")
    codes = sorted({code for code, _ in files})
    manifest = {
        "schemaVersion": "2.0",
        "version": version,
        "publisher": "adjoin",
        "packages": {platform: {release: {code: {"file": files[(code, kind)]} for code in codes}
                                for release in releases}
                     for platform, (releases, kind) in PLATFORMS.items()},
        "files": {name: {"checksums": {"sha256": sha256(os.path.join(out, name))}} for name in files.values()},
    }
    path = os.path.join(out, "manifest.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(path)


if __name__ == "__main__":
    main()
