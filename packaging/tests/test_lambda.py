"""The broker's AWS Lambda bundles that scripts/package --lambda built (ADJOIN_LAMBDA_ZIP for x86_64,
ADJOIN_LAMBDA_ZIP_ARM64 for arm64), run as Lambda's provided.al2023 runtime runs them: unpacked into /var/task of a
Debian 11 (bullseye) minbase root, whose glibc 2.31 is older than Amazon Linux 2023's 2.34 and which has no Kerberos,
OpenLDAP, Cyrus SASL or curl library at all, in a mount and UTS namespace of their own. There `bootstrap` runs with
arguments (`--version`, `discover`, and a remote leave's dry run that reads the settings parameter over HTTPS's
library, logs in to the lab's DC with Kerberos and binds to its LDAP with SASL GSS-SPNEGO), and the loader's own log
(LD_DEBUG=files) shows that every library the binary ran came from /var/task. The arm64 bundle runs the same way under
qemu-aarch64-static through binfmt_misc.

Not here: `bootstrap` with no arguments (the Lambda Runtime API loop of `adjoin broker`), which needs the runtime API
stand-in of the broker's own tests."""
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import threading
import urllib.parse
import zipfile

import pytest

from conftest import ROOT, cached_minbase_root, run, source_version

sys.path.insert(0, os.path.join(ROOT, "scripts", "lab-support"))

ARCHES = {"amd64": ("ADJOIN_LAMBDA_ZIP", "adjoin-broker-lambda-x86_64.zip", "ld-linux-x86-64.so.2", "X86-64"),
          "arm64": ("ADJOIN_LAMBDA_ZIP_ARM64", "adjoin-broker-lambda-arm64.zip", "ld-linux-aarch64.so.1", "AArch64")}
# What provided.al2023 lacks and the bundle must bring: neither the root nor the runtime has any of them.
BROUGHT = ("libkrb5.so", "libgssapi_krb5.so", "libk5crypto.so", "libldap", "liblber", "libsasl2.so", "libcurl.so")


def lab():
    if not os.environ.get("ADJOIN_LAB_DOMAIN"):
        pytest.fail("the lab is not running: eval \"$(scripts/lab env)\"")
    return os.environ


@pytest.fixture(scope="module", params=sorted(ARCHES))
def arch(request):
    return request.param


@pytest.fixture(scope="module")
def bundle(arch):
    variable, name = ARCHES[arch][:2]
    path = os.environ.get(variable)
    if not path:
        pytest.fail("%s is not set: run these tests through scripts/test-packaging" % variable)
    assert os.path.basename(path) == name
    return path


def unpack(zip_path, folder):
    """As Lambda unpacks a function's zip into /var/task: the files with the modes the zip records."""
    with zipfile.ZipFile(zip_path) as bundle:
        for entry in bundle.infolist():
            target = os.path.join(folder, entry.filename)
            bundle.extract(entry, folder)
            mode = entry.external_attr >> 16
            if not entry.is_dir() and mode:
                os.chmod(target, stat.S_IMODE(mode))


# Debian 11's minbase has MIT Kerberos's libraries (libtirpc3 needs them); provided.al2023 has none. Taken out of
# the copy (only their files: what needs them is not run here), so that nothing but the bundle can supply them.
MINBASE_KERBEROS = ("libgssapi-krb5-2", "libkrb5-3", "libk5crypto3", "libkrb5support0")


@pytest.fixture(scope="module")
def bullseye(tmp_path_factory):
    """A copy of the cached Debian 11 minbase root, with nothing of Kerberos, OpenLDAP, SASL or curl in it."""
    path = str(tmp_path_factory.mktemp("bullseye") / "root")
    run(["cp", "-a", "--one-file-system", cached_minbase_root("bullseye"), path])
    run(["chroot", path, "dpkg", "--purge", "--force-depends"] + list(MINBASE_KERBEROS))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def task(arch, bundle, bullseye):
    """The bundle unpacked at /var/task in the root (one architecture's at a time)."""
    folder = os.path.join(bullseye, "var", "task")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    unpack(bundle, folder)
    if arch == "arm64":
        # The root's /bin/sh is amd64's; the bundle's aarch64 loader is run by qemu through binfmt_misc.
        run(["bash", "-c", '. "%s/scripts/lib/common.sh"; . "%s/scripts/lib/roots.sh"; '
             '. "%s/scripts/lib/cross-arm64.sh"; ensure_binfmt_aarch64' % (ROOT, ROOT, ROOT)])
    return folder


def in_root(root, arguments, env=None, stdin=None):
    """Runs /var/task/bootstrap ARGUMENTS inside the root as Lambda would: a clean environment, in a mount and UTS
    namespace of its own (/proc and /dev mounted there only, a hostname of its own)."""
    # Lambda sets LD_LIBRARY_PATH (/lib64:/usr/lib64:...:/var/task/lib); here the root's own glibc 2.31 folder comes
    # first in it, so that a loader honouring it instead of bootstrap's --library-path would load the wrong libc.
    variables = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LAMBDA_TASK_ROOT": "/var/task", "LANG": "C.UTF-8",
                 "LD_LIBRARY_PATH": "/usr/lib/x86_64-linux-gnu:/var/lang/lib:/lib64:/usr/lib64:/var/runtime:"
                                    "/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"}
    variables.update(env or {})
    script = ('mount -t proc proc "$1/proc" && mount --bind /dev "$1/dev" && hostname lambda-sandbox && '
              'root=$1 && shift && exec chroot "$root" "$@"')
    command = ["unshare", "-m", "-u", "--propagation", "private", "sh", "-c", script, "in-root", root,
               "env", "-i"] + ["%s=%s" % item for item in sorted(variables.items())] + ["/var/task/bootstrap"] + arguments
    return subprocess.run(command, capture_output=True, text=True, timeout=600, stdin=stdin)


def loaded_objects(debug_output):
    """The shared objects the bundle's loader initialised, from LD_DEBUG=files output: only the lines of the process
    that exec'ed /var/task's loader, from that exec on (before it, the same process was bootstrap's /bin/sh)."""
    lines = debug_output.splitlines()
    start = next((index for index, line in enumerate(lines)
                  if re.search(r"calling init: /var/task/lib/ld-linux", line)), None)
    assert start is not None, "the bundle's loader did not run:\n" + debug_output[-3000:]
    pid = lines[start].split(":")[0].strip()
    return [match.group(1) for line in lines[start:] if line.split(":")[0].strip() == pid
            for match in [re.search(r"calling init: (\S+)", line)] if match]


def test_bundle_holds_bootstrap_the_binary_the_loader_and_a_closed_set_of_libraries(arch, bundle, tmp_path):
    unpack(bundle, str(tmp_path))
    loader, machine = ARCHES[arch][2], ARCHES[arch][3]
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
    assert "bootstrap" in names and "bin/adjoin" in names and "lib/" + loader in names, sorted(names)
    for executable in ("bootstrap", "bin/adjoin", "lib/" + loader):
        assert os.stat(tmp_path / executable).st_mode & 0o111, executable
    for name in ("lib/libc.so.6", "lib/libkrb5.so.3", "lib/libgssapi_krb5.so.2", "lib/libsasl2.so.2",
                 "lib/libcurl.so.4", "lib/sasl2/libgssapiv2.so"):
        assert name in names, (name, sorted(names))
    assert [name for name in names if re.match(r"lib/libldap(-2\.5\.so\.0|\.so\.2)$", name)], sorted(names)
    # Every ELF file's DT_NEEDED names a library the bundle holds: nothing is left for the runtime to supply.
    held = {name.rsplit("/", 1)[-1] for name in names if name.startswith("lib/")}
    for name in sorted(names):
        if name == "bootstrap":
            continue
        path = str(tmp_path / name)
        header = run(["readelf", "-h", path]).stdout
        assert machine in re.search(r"Machine:\s+(.+)", header).group(1), (name, header)
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", run(["readelf", "-d", path]).stdout)
        assert set(needed) <= held, (name, set(needed) - held)
    # Lambda's limits: 250 MB unpacked, 50 MB for a zip uploaded directly.
    assert os.path.getsize(bundle) < 50 * 2**20
    assert sum(os.path.getsize(os.path.join(folder, f)) for folder, _, files in os.walk(tmp_path)
               for f in files) < 250 * 2**20


def test_root_is_older_than_amazon_linux_2023_and_lacks_every_library_the_bundle_brings(bullseye):
    libc = [name for name in os.listdir(os.path.join(bullseye, "lib/x86_64-linux-gnu")) if name.startswith("libc-")]
    assert libc == ["libc-2.31.so"], libc
    present = [os.path.join(folder, name) for folder, _, files in os.walk(bullseye) for name in files
               if name.startswith(BROUGHT) and "/var/task/" not in os.path.join(folder, name) + "/"]
    assert not present, present


def test_bootstrap_runs_the_bundled_binary_in_the_older_root(task, bullseye):
    result = in_root(bullseye, ["--version"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == source_version()


def test_bootstrap_discovers_the_labs_domain_in_the_root(task, bullseye):
    env = lab()
    result = in_root(bullseye, ["discover", env["ADJOIN_LAB_DOMAIN"], "--dns-server", env["ADJOIN_LAB_DC_IP"],
                                "--output", "json"])
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "DISCOVERED" and answer["domainController"] == env["ADJOIN_LAB_DC_HOST"], answer


def aws_keys():
    with open(lab()["ADJOIN_LAB_AWS_KEYS_FILE"], encoding="utf-8") as f:
        keys = json.load(f)
    key_id = next(key for key in keys if key.startswith("AKIA"))
    return key_id, keys[key_id]


def put_lab_settings():
    """A settings parameter for the lab's domain in moto; returns its name."""
    import aws_fixtures
    parameter = "/adjoin/lambda-bundle-%s" % secrets.token_hex(4)
    aws_fixtures.put_secure_string(parameter, json.dumps(aws_fixtures.lab_settings()))
    return parameter


def remote_leave_dry_run(root, parameter, instance, endpoint, extra_env=None):
    key_id, secret = aws_keys()
    # The test's own AWS key pair, for moto behind the proxy (no secret of the directory travels this way).
    env = {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_ENDPOINT_URL": endpoint,
           "AWS_REGION": "us-east-1"}
    env.update(extra_env or {})
    return in_root(root, ["leave", "--instance-id", instance, "--parameter", parameter,
                          "--dns-server", lab()["ADJOIN_LAB_DC_IP"], "--dry-run"], env=env)


@pytest.fixture(scope="module")
def https_endpoint(tmp_path_factory):
    """The lab's AWS endpoint (the signature-checking proxy) behind HTTPS with a certificate of a private authority
    that no system trusts: a TLS relay on loopback. Yields its URL and the authority's certificate."""
    folder = tmp_path_factory.mktemp("tls")
    key, certificate = str(folder / "key.pem"), str(folder / "certificate.pem")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate])
    upstream = urllib.parse.urlsplit(lab()["ADJOIN_LAB_AWS_ENDPOINT"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    listener = socket.create_server(("127.0.0.1", 0))
    stopping = threading.Event()

    def pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve():
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                secure = context.wrap_socket(client, server_side=True)
            except (OSError, ssl.SSLError):
                client.close()  # a client that refused the certificate
                continue
            plain = socket.create_connection((upstream.hostname, upstream.port))
            threading.Thread(target=pump, args=(secure, plain), daemon=True).start()
            threading.Thread(target=pump, args=(plain, secure), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield "https://127.0.0.1:%d" % listener.getsockname()[1], certificate
    stopping.set()
    listener.close()


def test_https_to_aws_trusts_amazon_linuxs_ca_bundle_and_nothing_else(task, bullseye, https_endpoint):
    """Lambda's Amazon Linux keeps its CA bundle at /etc/pki/tls/certs/ca-bundle.crt, where Debian's libcurl does not
    look: bootstrap hands it to adjoin as AWS_CA_BUNDLE. With the private authority there, the settings are read over
    HTTPS; without it (and no CA bundle at all, as here), the same request is refused."""
    endpoint, authority = https_endpoint
    parameter = put_lab_settings()
    bundle_path = os.path.join(bullseye, "etc/pki/tls/certs/ca-bundle.crt")
    os.makedirs(os.path.dirname(bundle_path), exist_ok=True)
    try:
        shutil.copy(authority, bundle_path)
        result = remote_leave_dry_run(bullseye, parameter, "i-0%s" % secrets.token_hex(8), endpoint)
        assert result.returncode == 0, result.stdout + result.stderr[-4000:]
        assert "reading settings parameter '%s'" % parameter in result.stderr
    finally:
        os.remove(bundle_path)
    refused = remote_leave_dry_run(bullseye, parameter, "i-0%s" % secrets.token_hex(8), endpoint)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert re.search(r"certificate|SSL", refused.stderr), refused.stderr[-4000:]
    # AWS_CA_BUNDLE given by the operator wins: the authority from another place.
    shutil.copy(authority, os.path.join(bullseye, "tmp/authority.pem"))
    given = remote_leave_dry_run(bullseye, parameter, "i-0%s" % secrets.token_hex(8), endpoint,
                                 {"AWS_CA_BUNDLE": "/tmp/authority.pem"})
    assert given.returncode == 0, given.stdout + given.stderr[-4000:]


def test_remote_leave_dry_run_uses_only_the_bundles_kerberos_ldap_sasl_and_curl(task, bullseye):
    """A remote leave's dry run from inside the root: the settings parameter read from SSM through the lab's
    signature-checking proxy (libcurl), a Kerberos login as the join user (libkrb5), and an LDAP search bound with
    SASL GSS-SPNEGO (libldap, libsasl2 and its GSSAPI plugin): the three families the runtime lacks."""
    env = lab()
    parameter = put_lab_settings()
    key_id, _ = aws_keys()
    instance = "i-0%s" % secrets.token_hex(8)
    log_start = os.path.getsize(env["ADJOIN_LAB_SIGV4_LOG"])
    result = remote_leave_dry_run(bullseye, parameter, instance, env["ADJOIN_LAB_AWS_ENDPOINT"], {"LD_DEBUG": "files"})
    assert result.returncode == 0, result.stdout + result.stderr[-6000:]
    assert "no computer account owned by %s" % instance in result.stdout, result.stdout
    assert "reading settings parameter '%s'" % parameter in result.stderr
    assert re.search(r"Bound with SASL GSS-SPNEGO", result.stderr), result.stderr[-6000:]
    objects = loaded_objects(result.stderr)
    outside = [path for path in objects if not path.startswith("/var/task/")]
    assert not outside, "libraries from outside the bundle: %s" % outside
    for expected in ("lib/libc.so.6", "lib/libkrb5.so.3", "lib/libcurl.so.4", "lib/libsasl2.so.2",
                     "lib/sasl2/libgssapiv2.so"):
        assert "/var/task/" + expected in objects, (expected, objects)
    assert [path for path in objects if re.match(r"/var/task/lib/libldap", path)], objects
    # The proxy checked the request's signature: the bundle's libcurl sent a correctly signed GetParameter.
    with open(env["ADJOIN_LAB_SIGV4_LOG"], encoding="utf-8") as f:
        f.seek(log_start)  # this run's requests only: other tests send wrong signatures with the same key on purpose
        verdicts = [json.loads(line) for line in f if key_id in line and "GetParameter" in line]
    assert verdicts and all(v.get("verdict") == "verified" for v in verdicts), verdicts[-3:]
