"""The .rpm for Amazon Linux 2023 and RHEL 9, read from the package scripts/package built (ADJOIN_RPM) with
Debian's rpm tools: rpmlint, contents, the binary (the .deb's own), Requires, scriptlets and the licence."""
import hashlib
import os
import re
import shutil
import subprocess

import pytest

from conftest import (NOT_ENABLED, ROOT, built, cached_minbase_root, install_targets, run, source_units,
                      source_version)

# Every shared library the binary may link, with the newest symbol version each distribution has: glibc 2.34 and
# GCC 11's libstdc++ (GLIBCXX_3.4.29) on Amazon Linux 2023 and RHEL 9, krb5 from both.
# The loader is x86_64's or aarch64's (packaging/tests/test_arm64.py checks the aarch64 rpm with the same test).
ALLOWED_LIBRARIES = {"libc.so.6", "libm.so.6", "libresolv.so.2", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
                     "libstdc++.so.6", "libgcc_s.so.1", "libkrb5.so.3", "libk5crypto.so.3", "libcom_err.so.2", "libgssapi_krb5.so.2"}
NEWEST = {"GLIBC": (2, 34), "GLIBCXX": (3, 4, 29), "CXXABI": (1, 3, 13), "GCC": (7, 0, 0)}


@pytest.fixture(scope="session")
def rpm_file():
    return built("ADJOIN_RPM")


def query(rpm_file, *args):
    return run(["rpm", "-qp", "--nosignature", "--nodigest"] + list(args) + [rpm_file]).stdout


def test_rpmlint_reports_no_error(rpm_file):
    result = subprocess.run(["rpmlint", "-c", os.path.join(ROOT, "packaging/rpm/rpmlint.toml"),
                             "-r", os.path.join(ROOT, "packaging/rpm/rpmlintrc"), rpm_file],
                            capture_output=True, text=True)
    errors = [line for line in result.stdout.splitlines() if re.search(r": E: ", line)]
    assert result.returncode == 0 and not errors, "rpmlint:\n" + result.stdout + result.stderr
    assert re.search(r"\b0 errors\b", result.stdout), result.stdout


def test_name_version_architecture_and_licence(rpm_file):
    fields = query(rpm_file, "--qf", "%{NAME} %{VERSION} %{ARCH} %{LICENSE}").split()
    assert fields == ["adjoin", source_version(), "x86_64", "Apache-2.0"], fields
    assert os.path.basename(rpm_file) == "adjoin-%s-1.x86_64.rpm" % source_version()


def test_contents_are_the_binary_units_man_page_completions_and_licence(rpm_file):
    listing = query(rpm_file, "--qf", "[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\n]")
    files = {line.split()[-1]: line.split()[:3] for line in listing.splitlines()}
    expected = {"/usr/sbin/adjoin", "/usr/share/man/man8/adjoin.8.gz",
                "/usr/share/bash-completion/completions/adjoin", "/usr/share/zsh/site-functions/_adjoin",
                "/usr/share/licenses/adjoin/LICENSE"}
    units = source_units() or {}
    expected |= {"/usr/lib/systemd/system/" + name for name in units}
    assert set(files) == expected, "unexpected: %s, missing: %s" % (sorted(set(files) - expected),
                                                                    sorted(expected - set(files)))
    assert files["/usr/sbin/adjoin"] == ["-rwxr-xr-x", "root", "root"], files["/usr/sbin/adjoin"]
    license_files = query(rpm_file, "--licensefiles").split()
    assert license_files == ["/usr/share/licenses/adjoin/LICENSE"], license_files


def extracted(rpm_file, tmp_path, path):
    folder = tmp_path / "rpm"
    folder.mkdir(exist_ok=True)
    subprocess.run("rpm2cpio '%s' | cpio -idm --quiet" % rpm_file, shell=True, cwd=folder, check=True)
    return folder / path.lstrip("/")


def test_carries_the_debs_binary_units_and_licence_byte_for_byte(rpm_file, unpacked, tmp_path):
    def digest(path):
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    assert digest(extracted(rpm_file, tmp_path, "/usr/sbin/adjoin")) == digest(unpacked / "files/usr/sbin/adjoin")
    for name, source in (source_units() or {}).items():
        assert digest(extracted(rpm_file, tmp_path, "/usr/lib/systemd/system/" + name)) == digest(source), name
    assert digest(extracted(rpm_file, tmp_path, "/usr/share/licenses/adjoin/LICENSE")) == \
        digest(os.path.join(ROOT, "LICENSE"))
    binary = str(extracted(rpm_file, tmp_path, "/usr/sbin/adjoin"))
    assert run([binary, "--version"]).stdout.strip() == source_version()


def version_tuple(text):
    return tuple(int(part) for part in text.split("."))


def test_requires_resolve_on_amazon_linux_2023_and_rhel_9(rpm_file):
    requires = {line.strip() for line in query(rpm_file, "--requires").splitlines()}
    names = {re.split(r"[\s(]", item)[0] for item in requires}
    # What domain logins need, and OpenLDAP, loaded at run time, by the package names both distributions use.
    for package in ("sssd-ad", "sssd-krb5", "sssd-client", "authselect", "oddjob-mkhomedir", "cyrus-sasl-gssapi",
                    "openldap"):
        assert package in names, (package, sorted(requires))
    # krb5-libs through the sonames the binary links (generated), libcurl through its soname (loaded at run
    # time; libcurl on RHEL 9, libcurl-minimal on Amazon Linux 2023 provide it).
    for capability in ("libkrb5.so.3()(64bit)", "libgssapi_krb5.so.2()(64bit)", "libcurl.so.4()(64bit)"):
        assert capability in requires, (capability, sorted(requires))
    # Only libraries both have, at symbol versions both have. libldap, liblber and libsasl2 differ in soname
    # between them (Amazon Linux 2023 ships OpenLDAP 2.4, RHEL 9 2.6; Cyrus SASL is libsasl2.so.3 there), so
    # none may appear.
    for item in requires:
        library = re.match(r"^([\w+.-]+\.so[\w.]*)(?:\((.*)\))?\(64bit\)$", item)
        if not library:
            continue
        assert library.group(1) in ALLOWED_LIBRARIES | {"libcurl.so.4"}, item
        version = re.match(r"^(GLIBC|GLIBCXX|CXXABI|GCC)_([\d.]+)$", library.group(2) or "")
        if version:
            assert version_tuple(version.group(2)) <= NEWEST[version.group(1)], item


def test_scriptlets_enable_units_on_first_install_and_start_nothing(rpm_file):
    scripts = query(rpm_file, "--scripts")
    code = "\n".join(line.split("#", 1)[0] for line in scripts.splitlines())
    assert not re.search(r"\b(start|restart|try-restart|stop|reload-or-restart|isolate)\b", code), scripts
    assert not re.search(r"(^|[\s/;&|])adjoin\s", code, re.M), scripts
    assert "--now" not in code, scripts
    units = source_units() or {}
    installable = sorted(name for name, path in units.items() if install_targets(path))
    # As the .deb: the sweep units (the admin instance's) are installed, never enabled by the package; erasing
    # it disables every unit, in case an administrator enabled one.
    enabled = [name for name in installable if name not in NOT_ENABLED]
    if enabled:
        post = re.search(r"postinstall scriptlet.*?:\n(.*?)(?=\n\S+ scriptlet|\Z)", scripts, re.S).group(1)
        assert re.search(r'if \[ "\$1" -eq 1 \]', post), post
        assert "systemctl --no-reload enable " + " ".join(enabled) + " " in post, post
        preun = re.search(r"preuninstall scriptlet.*?:\n(.*?)(?=\n\S+ scriptlet|\Z)", scripts, re.S).group(1)
        assert re.search(r'if \[ "\$1" -eq 0 \]', preun), preun
        assert "systemctl --no-reload disable " + " ".join(installable) + " " in preun, preun
    for name in set(units) - set(installable):
        assert name not in code, "%s has no [Install] section but a scriptlet names it" % name


@pytest.fixture
def rpm_root(tmp_path):
    """A scratch system for rpm --root (a copy of the cached Debian 12 minbase root: a shell for the scriptlets),
    whose systemctl records its arguments instead of acting."""
    path = str(tmp_path / "root")
    run(["cp", "-a", "--one-file-system", cached_minbase_root("bookworm"), path])
    with open(os.path.join(path, "usr/bin/systemctl"), "w", encoding="utf-8") as f:
        f.write('#!/bin/sh\necho "$*" >> /var/log/systemctl.calls\n')
    os.chmod(os.path.join(path, "usr/bin/systemctl"), 0o755)
    run(["rpm", "--root", path, "--initdb"])
    yield path
    shutil.rmtree(path, ignore_errors=True)


def systemctl_calls(root):
    try:
        with open(os.path.join(root, "var/log/systemctl.calls"), encoding="utf-8") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def test_scriptlets_run_enable_on_install_nothing_on_upgrade_and_disable_on_erase(rpm_file, rpm_root):
    # --nodeps: the root is Debian's, without the RHEL packages the Requires name; what runs is the real rpm
    # transaction, with the scriptlets executed by the root's /bin/sh.
    units = source_units() or {}
    installable = sorted(name for name, path in units.items() if install_targets(path))
    enabled = [name for name in installable if name not in NOT_ENABLED]
    run(["rpm", "--root", rpm_root, "-i", "--nodeps", rpm_file])
    assert os.access(os.path.join(rpm_root, "usr/sbin/adjoin"), os.X_OK)
    for name in units:
        assert os.path.isfile(os.path.join(rpm_root, "usr/lib/systemd/system", name)), name
    assert systemctl_calls(rpm_root) == ["--no-reload enable " + " ".join(enabled)]

    run(["rpm", "--root", rpm_root, "-U", "--replacepkgs", "--nodeps", rpm_file])
    assert systemctl_calls(rpm_root) == ["--no-reload enable " + " ".join(enabled)], "an upgrade called systemctl"

    run(["rpm", "--root", rpm_root, "-e", "--nodeps", "adjoin"])
    assert systemctl_calls(rpm_root)[1:] == ["--no-reload disable " + " ".join(installable)]
    assert not os.path.exists(os.path.join(rpm_root, "usr/sbin/adjoin"))
