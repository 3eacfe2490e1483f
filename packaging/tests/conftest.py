"""Shared fixtures for the packaging tests: the .deb and .rpm that scripts/package built (ADJOIN_DEB,
ADJOIN_RPM), the .deb's contents unpacked, and clean Debian 12 and 13 roots (copies of cached debootstrap
minbase roots, scripts/lib/roots.sh), where it is installed."""
import glob
import os
import re
import secrets
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


def built(variable):
    """The path of something scripts/package built, which scripts/test-packaging passes in `variable`."""
    path = os.environ.get(variable)
    if not path:
        pytest.fail("%s is not set: run these tests through scripts/test-packaging" % variable)
    assert os.path.isfile(path), path
    return path


@pytest.fixture(scope="session")
def deb():
    return built("ADJOIN_DEB")


@pytest.fixture(scope="session")
def unpacked(deb, tmp_path_factory):
    """The package's files and its control area, as dpkg would install them."""
    folder = tmp_path_factory.mktemp("unpacked")
    run(["dpkg-deb", "-x", deb, str(folder / "files")])
    run(["dpkg-deb", "-e", deb, str(folder / "control")])
    return folder


ROOTS_CACHE = os.environ.get("ADJOIN_ROOTS_CACHE", "/var/cache/adjoin-roots")


def cached_minbase_root(suite):
    """The cached minbase root of a Debian suite (built once by scripts/lib/roots.sh): never changed, only copied."""
    script = '. "%s/scripts/lib/common.sh"; . "%s/scripts/lib/roots.sh"; ensure_minbase_root %s' % (ROOT, ROOT, suite)
    return run(["bash", "-c", script], timeout=1800).stdout.strip().splitlines()[-1]


class Chroot:
    """A clean Debian system in a folder (a copy of a cached minbase root); commands run inside it with chroot."""

    def __init__(self, path, suite, name):
        self.path = path
        self.suite = suite
        self.name = name
        # Packages apt downloads are kept per suite, so that a second run on the same machine downloads nothing.
        self.archives = os.path.join(ROOTS_CACHE, suite + "-archives")

    def run(self, args, check=True, **kwargs):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
               "LC_ALL": "C.UTF-8", "HOME": "/root"}
        env.update(kwargs.pop("env", {}))
        result = subprocess.run(["chroot", self.path] + args, capture_output=True, text=True, env=env, **kwargs)
        if check and result.returncode != 0:
            pytest.fail("in the %s root, %s exited %d\nstdout:\n%s\nstderr:\n%s" % (
                self.name, " ".join(args), result.returncode, result.stdout[-4000:], result.stderr[-4000:]))
        return result

    def file(self, path):
        return os.path.join(self.path, path.lstrip("/"))

    def install(self, deb):
        """apt installs the .deb, resolving its Depends from the archive."""
        name = os.path.basename(deb)
        shutil.copy(deb, self.file("/tmp/" + name))
        os.makedirs(self.archives, exist_ok=True)
        for cached in glob.glob(os.path.join(self.archives, "*.deb")):
            shutil.copy(cached, self.file("/var/cache/apt/archives/"))
        result = self.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "/tmp/" + name], timeout=900)
        for downloaded in glob.glob(self.file("/var/cache/apt/archives/*.deb")):
            if not os.path.exists(os.path.join(self.archives, os.path.basename(downloaded))):
                shutil.copy(downloaded, self.archives)
        return result


def debian_root(tmp_path_factory, suite, name):
    """A copy of the cached minbase root of `suite`: nothing but essential packages and apt, with a policy-rc.d
    that holds back services the installed packages would start (sssd), as in any image build; /proc mounted
    (the Swift runtime reads its arguments from /proc/self/cmdline) until the test session ends."""
    path = str(tmp_path_factory.mktemp(suite) / "root")
    # --one-file-system: nothing mounted inside is ever copied (a cached root has nothing mounted anyway).
    run(["cp", "-a", "--one-file-system", cached_minbase_root(suite), path])
    root = Chroot(path, suite, name)
    # What the first boot of an image would write (systemd-machine-id-setup): the host's own identity.
    with open(root.file("/etc/machine-id"), "w", encoding="utf-8") as f:
        f.write(secrets.token_hex(16) + "\n")
    run(["mount", "-t", "proc", "proc", root.file("/proc")])
    try:
        root.run(["apt-get", "update", "-q"], timeout=600)
        yield root
    finally:
        unmounted = subprocess.run(["umount", root.file("/proc")]).returncode == 0
    if unmounted:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def debian12(tmp_path_factory):
    yield from debian_root(tmp_path_factory, "bookworm", "Debian 12")


@pytest.fixture
def scratch():
    folder = tempfile.mkdtemp(prefix="adjoin-packaging-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def resolve_conditions(node, truth):
    """A template fragment as CloudFormation would deploy it when the conditions named in `truth` have those values:
    each Fn::If replaced by its chosen branch, AWS::NoValue taken out of lists and mappings. A condition the
    fragment uses and `truth` does not name fails the test."""
    if isinstance(node, dict):
        if list(node) == ["Fn::If"]:
            condition, yes, no = node["Fn::If"]
            assert condition in truth, "the fragment depends on the condition %s: %s" % (condition, node)
            return resolve_conditions(yes if truth[condition] else no, truth)
        resolved = {key: resolve_conditions(value, truth) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value != {"Ref": "AWS::NoValue"}}
    if isinstance(node, list):
        return [item for item in (resolve_conditions(item, truth) for item in node) if item != {"Ref": "AWS::NoValue"}]
    return node
