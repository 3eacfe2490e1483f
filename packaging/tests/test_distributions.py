"""The .deb on Debian 12 (OpenLDAP 2.5: libldap-2.5.so.0) and Debian 13 (OpenLDAP 2.6: only libldap.so.2), each a
fresh copy of a cached debootstrap minbase root: apt installs it with that release's own archive, and the installed
binary, run inside the root (chroot) with the root's own libraries, joins the lab's domain, configures the root's
own sssd and PAM (through the root's pam-auth-update), proves its keytab against the DC, and leaves again."""
import json
import os
import re
import secrets
import stat
import subprocess
import zipfile

import pytest

from conftest import ROOT, built, debian_root, run, source_version

# (suite, name, the libldap soname the release ships, the one it must not have)
RELEASES = [
    ("bookworm", "Debian 12", "libldap-2.5.so.0", "libldap.so.2"),
    ("trixie", "Debian 13", "libldap.so.2", "libldap-2.5.so.0"),
]


def lab(name):
    value = os.environ.get("ADJOIN_LAB_" + name)
    if not value:
        pytest.fail("ADJOIN_LAB_%s is not set: run these tests through scripts/test-packaging" % name)
    return value


@pytest.fixture(scope="module", params=RELEASES, ids=[release[0] for release in RELEASES])
def release(request, tmp_path_factory, deb):
    suite, name, soname, absent = request.param
    for root in debian_root(tmp_path_factory, suite, name):
        root.install(deb)
        yield root, soname, absent


def libraries(root, soname):
    """Every file or link named `soname` in the root's library folders."""
    found = []
    for folder in ("/usr/lib", "/lib", "/usr/lib64", "/lib64"):
        path = root.file(folder)
        if os.path.isdir(path) and not os.path.islink(path):
            found += subprocess.run(["find", path, "-name", soname], capture_output=True, text=True).stdout.split()
    return found


def test_installs_with_the_releases_own_package_names_and_runs(release):
    root, soname, absent = release
    status = root.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n"]).stdout
    installed = {line.split()[0] for line in status.splitlines() if line.endswith(" installed")}
    for package in ("adjoin", "sssd-ad", "libnss-sss", "libpam-sss", "libsasl2-modules-gssapi-mit"):
        assert package in installed, (root.name, package)
    assert installed & {"libldap2", "libldap-2.5-0"}, (root.name, sorted(installed))
    assert installed & {"libcurl4t64", "libcurl4"}, (root.name, sorted(installed))
    # The binary runs where only this release's libldap exists.
    assert libraries(root, soname), "%s has no %s" % (root.name, soname)
    assert not libraries(root, absent), "%s has %s too: %s" % (root.name, absent, libraries(root, absent))
    assert root.run(["adjoin", "--version"]).stdout.strip() == source_version()
    help_text = root.run(["adjoin", "--help"]).stdout
    assert "USAGE: adjoin" in help_text and "join" in help_text and "leave" in help_text, help_text
    assert "not found" not in root.run(["ldd", "/usr/sbin/adjoin"]).stdout


def kinit_with_keytab(root, principal):
    """MIT kinit on this machine, against the lab's DC, with the keytab the join wrote in the root."""
    return subprocess.run(["kinit", "-k", "-t", root.file("/etc/krb5.keytab"), principal], capture_output=True,
                          text=True, env=dict(os.environ, KRB5_CONFIG=lab("KRB5_CONFIG"), KRB5CCNAME="MEMORY:pkg"))


HOST_FILES = ["/etc/pam.d/common-auth", "/etc/pam.d/common-account", "/etc/pam.d/common-session",
              "/etc/nsswitch.conf", "/etc/krb5.conf", "/etc/sssd/sssd.conf", "/etc/krb5.keytab"]


def snapshot(root):
    """The host files a join changes, as they are now (None for a missing one)."""
    contents = {}
    for path in HOST_FILES:
        try:
            with open(root.file(path), "rb") as f:
                contents[path] = f.read()
        except FileNotFoundError:
            contents[path] = None
    return contents


def join(root, fqdn, **extra):
    """`adjoin join` inside the root as the lab's join user, the password on standard input. With LD_DEBUG=libs
    the dynamic loader names on standard error each library it loads, the one dlopen finds included."""
    with open(lab("JOIN_PASSWORD_FILE"), "rb") as password:
        return root.run(["adjoin", "join", "--root", "/", "--domain", lab("DOMAIN"), "--user", lab("JOIN_USER"),
                         "--password-stdin", "--domain-controller", lab("DC_IP"), "--host-fqdn", fqdn,
                         "--ou", lab("OU"), "--allow-group", lab("LOGIN_GROUP"), "--output", "json"],
                        check=False, stdin=password, env={"LD_DEBUG": "libs"}, **extra)


def loaded(result, soname):
    return re.search(r"calling init: \S*/%s\b" % re.escape(soname), result.stderr) is not None


def test_joins_the_lab_with_the_roots_own_libldap_sssd_and_pam_auth_update_then_leaves(release):
    root, soname, _ = release
    name = "PKG" + secrets.token_hex(4).upper()
    fqdn = "%s.%s" % (name.lower(), lab("DOMAIN"))
    principal = "%s$@%s" % (name, lab("REALM"))
    before = snapshot(root)
    # libpam-sss's own install ran the root's pam-auth-update already: pam_sss is in, home directories are not.
    assert b"pam_sss.so" in before["/etc/pam.d/common-auth"]
    assert b"pam_mkhomedir.so" not in before["/etc/pam.d/common-session"]
    joined = join(root, fqdn)
    try:
        assert joined.returncode == 0, "%s: join failed\n%s\n%s" % (root.name, joined.stdout, joined.stderr[-4000:])
        result = json.loads(joined.stdout)
        assert result["status"] == "JOINED" and result["computerName"] == name, result
        # The LDAP connection was real: the account was created by the join, through this root's libldap.
        assert result["computerDN"] == "CN=%s,%s" % (name, lab("OU")), result
        assert loaded(joined, soname), "%s was not the libldap loaded" % soname

        keytab = os.stat(root.file("/etc/krb5.keytab"))
        assert stat.S_IMODE(keytab.st_mode) == 0o600
        proved = kinit_with_keytab(root, principal)
        assert proved.returncode == 0, proved.stderr
        with open(root.file("/etc/sssd/sssd.conf"), encoding="utf-8") as f:
            assert "[domain/%s]" % lab("DOMAIN") in f.read()
        # The root's own pam-auth-update added home-directory creation.
        with open(root.file("/etc/pam.d/common-session"), encoding="utf-8") as f:
            assert "pam_mkhomedir.so" in f.read()
        with open(root.file("/etc/nsswitch.conf"), encoding="utf-8") as f:
            assert any(line.startswith("passwd:") and "sss" in line for line in f)
    finally:
        left = root.run(["adjoin", "leave", "--root", "/", "--output", "json"], check=False)
    assert left.returncode == 0, "%s: leave failed\n%s\n%s" % (root.name, left.stdout, left.stderr)
    assert json.loads(left.stdout)["status"] == "DETACHED", left.stdout
    assert kinit_with_keytab(root, principal).returncode != 0, "the account still works after leave"
    after = snapshot(root)
    changed = [path for path in HOST_FILES if after[path] != before[path]]
    assert not changed, "leave did not put back %s" % changed


def test_distributor_scripts_install_and_uninstall_keeping_the_settings(release, tmp_path):
    """The Distributor zip's own install.sh and uninstall.sh, run as SSM Agent runs them, inside the root."""
    root, _, _ = release
    manifest = built("ADJOIN_DISTRIBUTOR_MANIFEST")
    package = next(name for name in os.listdir(os.path.dirname(manifest)) if name.endswith("-deb.zip"))
    folder = root.file("/var/tmp/distributor")
    with zipfile.ZipFile(os.path.join(os.path.dirname(manifest), package)) as archive:
        archive.extractall(folder)
    for script in ("install.sh", "uninstall.sh"):
        os.chmod(os.path.join(folder, script), 0o755)
    settings = root.file("/etc/adjoin-test-setting")
    with open(settings, "w", encoding="utf-8") as f:
        f.write("kept\n")

    root.run(["/var/tmp/distributor/uninstall.sh"])
    state = root.run(["dpkg-query", "-W", "-f", "${db:Status-Status}", "adjoin"], check=False).stdout
    assert state in ("config-files", "not-installed", ""), state
    assert not os.path.exists(root.file("/usr/sbin/adjoin"))
    root.run(["/var/tmp/distributor/uninstall.sh"])  # a second uninstall is no error

    root.run(["/var/tmp/distributor/install.sh"])
    assert root.run(["dpkg-query", "-W", "-f", "${db:Status-Status}", "adjoin"]).stdout == "installed"
    assert root.run(["adjoin", "--version"]).stdout.strip() == source_version()
    with open(settings, encoding="utf-8") as f:
        assert f.read() == "kept\n"
    assert not os.path.exists(root.file("/etc/krb5.keytab")), "installing joined something"


def test_without_any_libldap_the_join_fails_clearly_and_changes_nothing(release):
    root, soname, _ = release
    before = snapshot(root)
    hidden = []
    for library in libraries(root, soname):
        os.rename(library, library + ".hidden")
        hidden.append(library)
    try:
        joined = join(root, "nolib.%s" % lab("DOMAIN"))
    finally:
        for library in hidden:
            os.rename(library + ".hidden", library)
    assert joined.returncode != 0, joined.stdout
    message = json.loads(joined.stdout)["message"]
    for name in ("libldap.so.2", "libldap-2.5.so.0", "libldap_r-2.4.so.2"):
        assert name in message, message
    assert snapshot(root) == before, "a join without libldap changed the host"


def test_joins_with_openldap_2_4_the_version_amazon_linux_2023_ships(release):
    """Amazon Linux 2023 ships OpenLDAP 2.4.57 (libldap_r-2.4.so.2): Debian 11's build of the same version, put in
    the root in place of the release's own libldap, is what the join loads and uses."""
    root, soname, _ = release
    script = '. "%s/scripts/lib/common.sh"; . "%s/scripts/lib/roots.sh"; ensure_openldap24_libraries' % (ROOT, ROOT)
    folder = os.path.join(run(["bash", "-c", script], timeout=600).stdout.strip().splitlines()[-1],
                          "usr/lib/x86_64-linux-gnu")
    # 2.4.57 was built with GnuTLS (libgnutls.so.30), which Debian 13's libldap2 no longer brings.
    root.run(["sh", "-c", "apt-get install -y -q --no-install-recommends libgnutls30t64 "
                          "|| apt-get install -y -q --no-install-recommends libgnutls30"], timeout=600)
    target = root.file("/usr/lib/x86_64-linux-gnu")
    added = [name for name in sorted(os.listdir(folder)) if not os.path.lexists(os.path.join(target, name))]
    for name in added:
        run(["cp", "-P", os.path.join(folder, name), target])
    hidden = libraries(root, soname)
    for library in hidden:
        os.rename(library, library + ".hidden")
    name = "PKG" + secrets.token_hex(4).upper()
    try:
        joined = join(root, "%s.%s" % (name.lower(), lab("DOMAIN")))
        left = root.run(["adjoin", "leave", "--root", "/", "--output", "json"], check=False)
    finally:
        for library in hidden:
            os.rename(library + ".hidden", library)
        for added_name in added:
            os.unlink(os.path.join(target, added_name))
    assert joined.returncode == 0, "%s: join failed\n%s\n%s" % (root.name, joined.stdout, joined.stderr[-4000:])
    assert json.loads(joined.stdout)["computerDN"] == "CN=%s,%s" % (name, lab("OU"))
    assert loaded(joined, "libldap_r-2.4.so.2") and not loaded(joined, soname), joined.stderr[-4000:]
    assert left.returncode == 0 and json.loads(left.stdout)["status"] == "DETACHED", left.stdout + left.stderr
