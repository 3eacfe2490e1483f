"""Shared fixtures for the packaging tests: the .deb that scripts/package built (ADJOIN_DEB), its
contents unpacked, and a clean Debian 12 root made by debootstrap, where it is installed."""
import glob
import os
import re
import shutil
import subprocess
import tempfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(args, **kwargs):
    """Runs a command, failing the test with its output when it fails."""
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        pytest.fail("%s exited %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(args), result.returncode, result.stdout[-4000:], result.stderr[-4000:]))
    return result


def source_version():
    with open(os.path.join(ROOT, "Sources/AdjoinCore/Version.swift"), encoding="utf-8") as f:
        match = re.search(r'static let current = "([^"]+)"', f.read())
    assert match, "no version in Version.swift"
    return match.group(1)


def source_units():
    """The unit files the package must install: every file in packaging/systemd/ (None when the folder
    does not exist yet)."""
    folder = os.path.join(ROOT, "packaging", "systemd")
    if not os.path.isdir(folder):
        return None
    return {name: os.path.join(folder, name) for name in sorted(os.listdir(folder))
            if os.path.isfile(os.path.join(folder, name))}


# Units for the admin instance alone: installed, never enabled by the package (packaging/debian/rules).
NOT_ENABLED = {"adjoin-sweep.service", "adjoin-sweep.timer"}


def install_targets(unit_path):
    """The targets a unit's [Install] section hooks it into (WantedBy=, RequiredBy=)."""
    targets, section = [], None
    with open(unit_path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Install]" and re.match(r"^(WantedBy|RequiredBy)\s*=", line):
                kind, values = line.split("=", 1)
                suffix = ".wants" if kind.strip() == "WantedBy" else ".requires"
                targets.extend(value + suffix for value in values.split())
    return targets


def assert_maintainer_scripts_enable_and_start_nothing(deb, units):
    """Installing must join nothing and an upgrade must not stop the leave unit: the maintainer scripts
    enable each unit that has an [Install] section and never start, stop, restart or run anything."""
    with tempfile.TemporaryDirectory() as control:
        run(["dpkg-deb", "-e", deb, control])
        scripts = {}
        for name in ("preinst", "postinst", "prerm", "postrm"):
            if os.path.exists(os.path.join(control, name)):
                with open(os.path.join(control, name), encoding="utf-8") as f:
                    scripts[name] = f.read()
    for name, text in scripts.items():
        code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
        assert "deb-systemd-invoke" not in code, (name, text)
        assert not re.search(r"\b(systemctl|invoke-rc\.d|service)\b[^\n]*\b(start|restart|try-restart|stop)\b",
                             code), (name, text)
        assert not re.search(r"(^|[\s/;&|])adjoin\s", code, re.M), (name, text)
    for name, path in units.items():
        postinst = scripts.get("postinst", "")
        if not install_targets(path):
            continue
        if name in NOT_ENABLED:
            # dh_installsystemd --no-enable: enabled again on upgrade only where the administrator had enabled it.
            assert re.search(r"deb-systemd-helper debian-installed '?%s'?" % re.escape(name), postinst), (name, postinst)
        else:
            assert re.search(r"deb-systemd-helper enable '?%s'?" % re.escape(name), postinst), (name, postinst)


@pytest.fixture(scope="session")
def deb():
    path = os.environ.get("ADJOIN_DEB")
    if not path:
        pytest.fail("ADJOIN_DEB is not set: run these tests through scripts/test-packaging")
    assert os.path.isfile(path), path
    return path


@pytest.fixture(scope="session")
def unpacked(deb, tmp_path_factory):
    """The package's files and its control area, as dpkg would install them."""
    folder = tmp_path_factory.mktemp("unpacked")
    run(["dpkg-deb", "-x", deb, str(folder / "files")])
    run(["dpkg-deb", "-e", deb, str(folder / "control")])
    return folder


def debian_mirror():
    """The Debian archive this machine's apt already uses (so nothing else is contacted)."""
    uris = []
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        with open(path, encoding="utf-8") as f:
            for stanza in f.read().split("\n\n"):
                fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
                if "bookworm" in fields.get("Suites", "").split() and fields.get("Types", "") == "deb":
                    uris.extend(fields.get("URIs", "").split())
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                uris.extend(m.group(1) for m in re.finditer(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", f.read(), re.M))
    if not uris:
        pytest.fail("no bookworm archive in this machine's apt sources")
    return uris[0]


class Chroot:
    """A clean Debian 12 system in a folder; commands run inside it with chroot."""

    def __init__(self, path):
        self.path = path

    def run(self, args, check=True, **kwargs):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
               "LC_ALL": "C.UTF-8", "HOME": "/root"}
        result = subprocess.run(["chroot", self.path] + args, capture_output=True, text=True, env=env, **kwargs)
        if check and result.returncode != 0:
            pytest.fail("in the Debian 12 root, %s exited %d\nstdout:\n%s\nstderr:\n%s" % (
                " ".join(args), result.returncode, result.stdout[-4000:], result.stderr[-4000:]))
        return result

    def file(self, path):
        return os.path.join(self.path, path.lstrip("/"))

    def install(self, deb):
        """apt installs the .deb, resolving its Depends from the archive."""
        name = os.path.basename(deb)
        shutil.copy(deb, self.file("/tmp/" + name))
        return self.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "/tmp/" + name])


@pytest.fixture(scope="session")
def debian12(tmp_path_factory):
    """debootstrap --variant=minbase bookworm: nothing but essential packages and apt. Services the
    installed packages would start (sssd) are held back by a policy-rc.d, as in any image build."""
    path = str(tmp_path_factory.mktemp("debian12") / "root")
    cache = "/var/cache/adjoin-debootstrap"
    os.makedirs(cache, exist_ok=True)
    run(["debootstrap", "--variant=minbase", "--cache-dir=" + cache, "bookworm", path, debian_mirror()],
        timeout=900)
    root = Chroot(path)
    with open(root.file("/usr/sbin/policy-rc.d"), "w", encoding="utf-8") as f:
        f.write("#!/bin/sh\nexit 101\n")
    os.chmod(root.file("/usr/sbin/policy-rc.d"), 0o755)
    # The Swift runtime reads its arguments from /proc/self/cmdline, as every system has it mounted.
    run(["mount", "-t", "proc", "proc", root.file("/proc")])
    try:
        root.run(["apt-get", "update", "-q"], timeout=600)
        yield root
    finally:
        unmounted = subprocess.run(["umount", root.file("/proc")]).returncode == 0
    if unmounted:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def scratch():
    folder = tempfile.mkdtemp(prefix="adjoin-packaging-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
