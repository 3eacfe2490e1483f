"""The package on a clean system: a Debian 12 root made by debootstrap --variant=minbase, where apt
installs it and pulls its Depends from the archive. Then the package with units of the test's own,
to check the enabling mechanics whatever packaging/systemd holds, and removal."""
import filecmp
import os
import subprocess

import pytest

from conftest import (NOT_ENABLED, ROOT, assert_maintainer_scripts_enable_and_start_nothing, install_targets, run, source_units,
                      source_version)

UNIT_JOIN = """[Unit]
Description=test unit: join at boot
Documentation=man:adjoin(8)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/adjoin --version

[Install]
WantedBy=multi-user.target
"""

UNIT_ROTATE_SERVICE = """[Unit]
Description=test unit: started by its timer only
Documentation=man:adjoin(8)

[Service]
Type=oneshot
ExecStart=/usr/sbin/adjoin --version
"""

UNIT_ROTATE_TIMER = """[Unit]
Description=test unit: a timer
Documentation=man:adjoin(8)

[Timer]
OnBootSec=1h
OnUnitActiveSec=1d

[Install]
WantedBy=timers.target
"""


def assert_installed_and_enabled(root, units):
    """Each unit is in /lib/systemd/system byte for byte, linked into the targets its [Install] names,
    and one without [Install] is linked nowhere."""
    for name, source in units.items():
        installed = root.file("/lib/systemd/system/" + name)
        assert os.path.isfile(installed), name
        assert filecmp.cmp(source, installed, shallow=False), name
        for wants in ([] if name in NOT_ENABLED else install_targets(source)):
            link = root.file("/etc/systemd/system/%s/%s" % (wants, name))
            assert os.path.islink(link), "%s is not enabled: no %s" % (name, link)
            assert os.readlink(link) in ("/lib/systemd/system/" + name, "/usr/lib/systemd/system/" + name)
        if not install_targets(source) or name in NOT_ENABLED:
            linked = subprocess.run(["find", root.file("/etc/systemd/system"), "-name", name],
                                    capture_output=True, text=True).stdout.split()
            assert not linked, "%s is not to be enabled but is linked: %s" % (name, linked)


def assert_nothing_joined(root):
    for path in ("/etc/krb5.keytab", "/var/lib/adjoin", "/etc/sssd/sssd.conf"):
        assert not os.path.exists(root.file(path)), "%s exists after installing the package" % path


def test_installs_on_debian12_minbase_with_its_depends_and_runs(debian12, deb):
    before = debian12.run(["dpkg-query", "-W", "-f", "${Package}\n"]).stdout.split()
    assert "sssd-ad" not in before and "libkrb5-3" not in before, "the root is not clean"

    debian12.install(deb)

    status = debian12.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n"]).stdout
    for package in ("adjoin", "sssd-ad", "libnss-sss", "libpam-sss", "libsasl2-modules-gssapi-mit", "libkrb5-3", "libcurl4"):
        assert "%s installed" % package in status, package
    assert debian12.run(["adjoin", "--version"]).stdout.strip() == source_version()
    help_text = debian12.run(["adjoin", "--help"]).stdout
    assert "USAGE: adjoin" in help_text and "join" in help_text and "discover" in help_text, help_text
    assert "USAGE: adjoin join" in debian12.run(["adjoin", "join", "--help"]).stdout
    assert "not found" not in debian12.run(["ldd", "/usr/sbin/adjoin"]).stdout
    assert os.path.isfile(debian12.file("/usr/share/man/man8/adjoin.8.gz"))
    assert os.path.isfile(debian12.file("/usr/share/bash-completion/completions/adjoin"))
    assert_nothing_joined(debian12)


def test_every_unit_in_packaging_systemd_is_installed_and_enabled(debian12, deb):
    units = source_units()
    if units is None:
        pytest.skip("packaging/systemd does not exist yet (issue 6 adds it); "
                    "test_units_of_any_kind_are_enabled_never_started checks the mechanics")
    assert units, "packaging/systemd is empty"
    assert "adjoin-join.service" in units, "no join-at-boot unit in packaging/systemd: %s" % sorted(units)
    if debian12.run(["dpkg-query", "-W", "-f", "${db:Status-Status}", "adjoin"], check=False).stdout != "installed":
        debian12.install(deb)
    assert_installed_and_enabled(debian12, units)
    for name in units:
        with open(units[name], encoding="utf-8") as f:
            for line in f:
                if line.startswith("ExecStart") or line.startswith("ExecStop"):
                    program = line.split("=", 1)[1].strip().lstrip("-@:+!").split()[0]
                    assert os.access(debian12.file(program), os.X_OK), (name, program)
    assert_nothing_joined(debian12)


def test_units_of_any_kind_are_enabled_never_started_and_removed_with_the_package(debian12, scratch):
    units_dir = os.path.join(scratch, "units")
    os.makedirs(units_dir)
    units = {"adjoin-join.service": UNIT_JOIN, "adjoin-rotate.service": UNIT_ROTATE_SERVICE,
             "adjoin-rotate.timer": UNIT_ROTATE_TIMER}
    for name, text in units.items():
        with open(os.path.join(units_dir, name), "w", encoding="utf-8") as f:
            f.write(text)
    output = run([os.path.join(ROOT, "scripts/package")], timeout=1800,
                 env=dict(os.environ, ADJOIN_PACKAGE_UNITS_DIR=units_dir,
                          ADJOIN_PACKAGE_DIST=os.path.join(scratch, "dist"))).stdout
    deb = output.strip().splitlines()[-1]
    assert deb.startswith(os.path.join(scratch, "dist")), deb
    lintian = subprocess.run(["lintian", "--fail-on", "error,warning", deb], capture_output=True, text=True)
    assert lintian.returncode == 0, "lintian, with typical units:\n" + lintian.stdout

    unit_paths = {name: os.path.join(units_dir, name) for name in units}
    assert_maintainer_scripts_enable_and_start_nothing(deb, unit_paths)

    # From no adjoin at all (an earlier test installed the real one), as on a fresh image.
    debian12.run(["apt-get", "purge", "-y", "-q", "adjoin"])
    debian12.install(deb)
    assert_installed_and_enabled(debian12, unit_paths)
    assert os.path.islink(debian12.file("/etc/systemd/system/multi-user.target.wants/adjoin-join.service"))
    assert os.path.islink(debian12.file("/etc/systemd/system/timers.target.wants/adjoin-rotate.timer"))
    assert_nothing_joined(debian12)

    # An administrator's choice survives a reinstall or upgrade: a disabled unit stays disabled.
    # (systemctl disable removes the link; minbase has no systemd, so the test removes it the same way.)
    os.unlink(debian12.file("/etc/systemd/system/timers.target.wants/adjoin-rotate.timer"))
    debian12.run(["dpkg", "-i", "/tmp/" + os.path.basename(deb)])
    assert not os.path.lexists(debian12.file("/etc/systemd/system/timers.target.wants/adjoin-rotate.timer"))
    assert os.path.islink(debian12.file("/etc/systemd/system/multi-user.target.wants/adjoin-join.service"))

    debian12.run(["apt-get", "purge", "-y", "-q", "adjoin"])
    assert not os.path.exists(debian12.file("/usr/sbin/adjoin"))
    for name in units:
        assert not os.path.exists(debian12.file("/lib/systemd/system/" + name)), name
    leftovers = subprocess.run(["find", debian12.file("/etc/systemd/system"), "-name", "adjoin*"],
                               capture_output=True, text=True).stdout.split()
    assert not leftovers, leftovers
