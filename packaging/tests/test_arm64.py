"""The arm64 (Graviton) packages scripts/package --arch arm64 built (ADJOIN_DEB_ARM64, ADJOIN_RPM_ARM64): an aarch64
binary with Amazon Linux 2023's floors, the .deb for arm64 with its Depends derived like amd64's, the .rpm for
aarch64 carrying the .deb's binary, and the binary run as users run it, under qemu-aarch64-static with the arm64
sysroot's libraries (ADJOIN_ARM64_SYSROOT): its version, a discovery of the lab's domain and a dry-run join."""
import os
import re
import subprocess

import pytest

from conftest import ROOT, built, run, source_version
from test_deb import symbol_versions
from test_rpm import test_requires_resolve_on_amazon_linux_2023_and_rhel_9 as check_rpm_requires


@pytest.fixture(scope="session")
def deb_arm64():
    return built("ADJOIN_DEB_ARM64")


@pytest.fixture(scope="session")
def rpm_arm64():
    return built("ADJOIN_RPM_ARM64")


@pytest.fixture(scope="session")
def binary_arm64(deb_arm64, tmp_path_factory):
    folder = tmp_path_factory.mktemp("arm64")
    run(["dpkg-deb", "-x", deb_arm64, str(folder)])
    return str(folder / "usr/sbin/adjoin")


def emulated(arguments, **kwargs):
    """Runs the arm64 binary under qemu's user-mode emulation, its libraries from the arm64 sysroot."""
    sysroot = os.environ.get("ADJOIN_ARM64_SYSROOT")
    if not sysroot or not os.path.isdir(sysroot):
        pytest.fail("ADJOIN_ARM64_SYSROOT is not set: run these tests through scripts/test-packaging")
    return subprocess.run(["qemu-aarch64-static", "-L", sysroot] + arguments, capture_output=True, text=True,
                          timeout=300, **kwargs)


def lab():
    if not os.environ.get("ADJOIN_LAB_DOMAIN"):
        pytest.fail("the lab is not running: eval \"$(scripts/lab env)\"")
    return os.environ


def test_deb_is_for_arm64_and_its_binary_for_aarch64(deb_arm64, binary_arm64):
    version = source_version()
    assert os.path.basename(deb_arm64) == "adjoin_%s_arm64.deb" % version
    assert run(["dpkg-deb", "-f", deb_arm64, "Architecture"]).stdout.strip() == "arm64"
    header = run(["readelf", "-h", binary_arm64]).stdout
    assert re.search(r"Machine:\s+AArch64", header), header
    # Stripped by dh_strip with the aarch64 binutils, as the amd64 one is with the native ones.
    assert ".symtab" not in run(["readelf", "-S", "-W", binary_arm64]).stdout


def test_depends_name_the_arm64_binarys_libraries_and_what_logins_need(deb_arm64):
    depends = run(["dpkg-deb", "-f", deb_arm64, "Depends"]).stdout
    items = {item.split("(")[0].strip() for item in re.split(r"[,|]", depends)}
    # dh_shlibdeps read the arm64 libraries' own shlibs: libc, Kerberos, the C++ runtime the Swift runtime needs.
    for package in ("libc6", "libkrb5-3", "libgssapi-krb5-2", "libstdc++6", "libgcc-s1"):
        assert package in items, (package, depends)
    for package in ("libldap2", "libcurl4t64", "sssd-ad", "libnss-sss", "libpam-sss", "libsasl2-modules-gssapi-mit"):
        assert package in items, (package, depends)
    # Amazon Linux 2023's floor, seen by dpkg too: nothing above glibc 2.34.
    libc = re.search(r"libc6 \(>= ([\d.]+)\)", depends)
    assert libc and tuple(map(int, libc.group(1).split("."))) <= (2, 34), depends


def test_lintian_reports_no_error_and_no_warning(deb_arm64):
    result = subprocess.run(["lintian", "--fail-on", "error,warning", deb_arm64], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_binary_needs_no_glibc_above_2_34_and_no_glibcxx_above_3_4_29(binary_arm64):
    versions = symbol_versions(binary_arm64)
    assert (2, 34) in versions["GLIBC"], "objdump found no GLIBC_2.34 symbol: %s" % versions
    assert max(versions["GLIBC"]) <= (2, 34), "the binary needs GLIBC_%s" % ".".join(map(str, max(versions["GLIBC"])))
    assert max(versions.get("GLIBCXX", {(3, 4)})) <= (3, 4, 29), versions["GLIBCXX"]
    # The definitions that keep the floor (Sources/CPOSIXShim/glibc_floor_aarch64.c) are the binary's own.
    # fmod, fmodf and hypotf are imported at aarch64's first version (2.17) only; the others not at all.
    imported = run(["objdump", "-T", binary_arm64]).stdout
    for name in ("fmod", "fmodf", "hypotf", "strlcpy", "__isoc23_strtol", "__isoc23_strtoll", "__isoc23_sscanf",
                 "_ZSt21__glibcxx_assert_failPKciS0_S0_"):
        versions = re.findall(r"\*UND\*\s+\S+\s+\((\S+)\)\s+%s$" % re.escape(name), imported, re.M)
        assert set(versions) <= ({"GLIBC_2.17"} if name in ("fmod", "fmodf", "hypotf") else set()), (name, versions)


def test_binary_links_no_swift_ldap_sasl_or_curl_library_and_names_their_sonames(binary_arm64):
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", run(["readelf", "-d", binary_arm64]).stdout)
    assert not [library for library in needed if re.match(r"lib(swift|ldap|lber|sasl2|curl|Foundation)", library)], needed
    with open(binary_arm64, "rb") as f:
        data = f.read()
    for soname in ("libldap.so.2", "libldap-2.5.so.0", "libldap_r-2.4.so.2", "libcurl.so.4"):
        assert soname.encode() in data, "the binary does not name %s to load" % soname


def test_rpm_is_for_aarch64_and_carries_the_debs_binary(rpm_arm64, binary_arm64, tmp_path):
    fields = run(["rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{ARCH}", rpm_arm64]).stdout.split()
    assert fields == ["adjoin", source_version(), "aarch64"], fields
    assert os.path.basename(rpm_arm64) == "adjoin-%s-1.aarch64.rpm" % source_version()
    run(["bash", "-c", 'rpm2cpio "$1" | (cd "$2" && cpio -idm --quiet)', "-", rpm_arm64, str(tmp_path)])
    with open(tmp_path / "usr/sbin/adjoin", "rb") as a, open(binary_arm64, "rb") as b:
        assert a.read() == b.read(), "the rpm's binary is not the deb's"


def test_rpm_requires_resolve_on_amazon_linux_2023_and_rhel_9(rpm_arm64):
    # The x86_64 rpm's check: the same package names, only libraries both distributions have, at symbol
    # versions both have (glibc 2.34, GLIBCXX_3.4.29).
    check_rpm_requires(rpm_arm64)


def test_emulated_binary_prints_the_sources_version(binary_arm64):
    result = emulated([binary_arm64, "--version"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == source_version()


def test_emulated_binary_discovers_the_labs_domain(binary_arm64):
    env = lab()
    result = emulated([binary_arm64, "discover", env["ADJOIN_LAB_DOMAIN"], "--dns-server", env["ADJOIN_LAB_DC_IP"],
                       "--output", "json"])
    assert result.returncode == 0, result.stderr
    # The DC answered its LDAP ping (CLDAP over UDP), found through the domain's SRV records.
    assert env["ADJOIN_LAB_DC_HOST"] in result.stdout, result.stdout
    assert env["ADJOIN_LAB_NETBIOS"] in result.stdout, result.stdout


def test_emulated_dry_run_join_shows_the_changes_and_writes_nothing(binary_arm64, tmp_path):
    env = lab()
    # A host never joined, with sssd, libnss-sss and libpam-sss installed: a copy of this machine's /etc that the
    # binary sees in place of the real one (the machine's own files are never touched).
    sandbox_tool = os.path.join(ROOT, "scripts/lab-support/etc-sandbox")
    sandbox = str(tmp_path / "sandbox")
    run([sandbox_tool, "create", sandbox, env["ADJOIN_LAB_RESOLV_CONF"], env["ADJOIN_LAB_HOSTS_FILE"]])
    before = snapshot(sandbox)
    sysroot = os.environ["ADJOIN_ARM64_SYSROOT"]
    with open(env["ADJOIN_LAB_JOIN_PASSWORD_FILE"], "rb") as password:
        result = subprocess.run([sandbox_tool, "run", sandbox, "qemu-aarch64-static", "-L", sysroot, binary_arm64,
                                 "join", "--domain", env["ADJOIN_LAB_DOMAIN"], "--user", env["ADJOIN_LAB_JOIN_USER"],
                                 "--password-stdin", "--host-fqdn", "arm64dry.%s" % env["ADJOIN_LAB_DOMAIN"],
                                 "--ou", env["ADJOIN_LAB_OU"], "--dns-server", env["ADJOIN_LAB_DC_IP"], "--dry-run"],
                                stdin=password, capture_output=True, timeout=300)
    stdout, stderr = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, stdout + stderr
    # It logged in to the DC (the join user's password checked) and shows what the join would write.
    assert "Using domain controller %s" % env["ADJOIN_LAB_DC_HOST"] in stderr, stderr
    assert "+++ /etc/krb5.conf" in stdout, stdout
    assert "+++ /etc/sssd/sssd.conf" in stdout, stdout
    assert snapshot(sandbox) == before, "the dry run changed the host's files"


def snapshot(folder):
    """{relative path: (mode, content)} of every file below a folder."""
    files = {}
    for directory, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                files[os.path.relpath(path, folder)] = (os.stat(path).st_mode, f.read())
    return files
