#!/usr/bin/env python3
"""Lays out and zips the broker's bundle for AWS Lambda's provided.al2023 runtime (scripts/package --lambda).

    lambda_bundle.py --arch amd64|arm64 --binary BIN --bootstrap FILE --output ZIP
                     --library-dir DIR [--library-dir DIR ...] --sasl-plugin FILE

The zip holds:
    bootstrap                 what Lambda runs (packaging/lambda/bootstrap)
    bin/adjoin                the release binary
    lib/ld-linux-*.so.*       the dynamic loader, which bootstrap runs the binary with
    lib/*.so.*                every shared library the binary needs, by soname: the closure of its DT_NEEDED entries,
                              of the libraries it loads at run time by soname (libldap, libcurl; see
                              Sources/CLDAPShim/ldap_loader.c and Sources/CCurlShim/curl_glue.c) and of Cyrus SASL's
                              GSSAPI plugin; glibc itself included
    lib/sasl2/libgssapiv2.so  the GSSAPI plugin the LDAP bind uses (bootstrap points SASL_PATH at lib/sasl2)

Why glibc comes along: the binary needs GLIBC_2.34 (Amazon Linux 2023's floor) and the libraries taken from Debian need
newer ones; with its own loader and libc the bundle needs nothing of the runtime's but the kernel and /bin/sh.

Libraries are looked up by soname in the --library-dir folders in order, the way the loader's search path would find
them on the build machine (or in the arm64 sysroot), reading DT_NEEDED with readelf, which reads any architecture.
Prints the soname closure and the sizes on stderr.
"""
import argparse
import os
import re
import stat
import subprocess
import sys
import tempfile
import zipfile

# Loaded with dlopen by soname: the first one found of each group (the binary tries them in this order).
DLOPENED = [("libldap.so.2", "libldap-2.5.so.0", "libldap_r-2.4.so.2"), ("libcurl.so.4",)]
LOADERS = {"amd64": "ld-linux-x86-64.so.2", "arm64": "ld-linux-aarch64.so.1"}
MACHINES = {"amd64": "Advanced Micro Devices X86-64", "arm64": "AArch64"}
# A fixed time for every entry, so that two builds of the same files give the same zip.
ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def readelf(path, option):
    return subprocess.run(["readelf", option, "-W", path], check=True, capture_output=True, text=True).stdout


def needed(path):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", readelf(path, "-d"))


def machine(path):
    match = re.search(r"Machine:\s+(.+)", readelf(path, "-h"))
    return match.group(1).strip() if match else ""


def find(soname, folders):
    for folder in folders:
        candidate = os.path.join(folder, soname)
        if os.path.exists(candidate):
            return os.path.realpath(candidate)
    return None


def closure(roots, folders, arch):
    """soname -> real file, for `roots` and everything they need, transitively."""
    found, pending = {}, list(roots)
    while pending:
        soname = pending.pop()
        if soname in found:
            continue
        path = find(soname, folders)
        if path is None:
            sys.exit("lambda_bundle: no %s in %s" % (soname, ", ".join(folders)))
        if machine(path) != MACHINES[arch]:
            sys.exit("lambda_bundle: %s is for %s, not %s" % (path, machine(path), MACHINES[arch]))
        found[soname] = path
        pending.extend(needed(path))
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", required=True, choices=sorted(LOADERS))
    parser.add_argument("--binary", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--library-dir", action="append", required=True)
    parser.add_argument("--sasl-plugin", required=True)
    options = parser.parse_args()
    folders = options.library_dir

    if machine(options.binary) != MACHINES[options.arch]:
        sys.exit("lambda_bundle: %s is not an %s binary" % (options.binary, options.arch))
    roots = needed(options.binary) + needed(options.sasl_plugin) + [LOADERS[options.arch]]
    for group in DLOPENED:
        soname = next((name for name in group if find(name, folders)), None)
        if soname is None:
            sys.exit("lambda_bundle: none of %s in %s" % (", ".join(group), ", ".join(folders)))
        roots.append(soname)
    libraries = closure(roots, folders, options.arch)

    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, "bin"))
        os.makedirs(os.path.join(work, "lib", "sasl2"))
        files = {"bootstrap": options.bootstrap, "bin/adjoin": options.binary,
                 "lib/sasl2/libgssapiv2.so": options.sasl_plugin}
        files.update({"lib/" + soname: path for soname, path in libraries.items()})
        total = 0
        with zipfile.ZipFile(options.output + ".part", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
            for name in sorted(files):
                # Lambda keeps the zip's Unix modes: the loader and bootstrap must be executable, nothing writable.
                executable = name in ("bootstrap", "bin/adjoin") or name == "lib/" + LOADERS[options.arch]
                entry = zipfile.ZipInfo(name, ZIP_TIME)
                entry.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                with open(files[name], "rb") as f:
                    data = f.read()
                total += len(data)
                bundle.writestr(entry, data)
        os.replace(options.output + ".part", options.output)

    for soname in sorted(libraries):
        print("  lib/%-28s %8d KiB  %s" % (soname, os.path.getsize(libraries[soname]) // 1024, libraries[soname]),
              file=sys.stderr)
    print("%s: %d files, %.1f MiB unpacked (Lambda's limit: 250 MiB), %.1f MiB zipped (50 MiB for a direct upload)" % (
        options.output, len(files), total / 2**20, os.path.getsize(options.output) / 2**20), file=sys.stderr)


if __name__ == "__main__":
    main()
