"""The broker's AWS Lambda bundles that scripts/package --lambda built (ADJOIN_LAMBDA_ZIP for x86_64,
ADJOIN_LAMBDA_ZIP_ARM64 for arm64), run as Lambda's provided.al2023 runtime runs them: unpacked into /var/task of a
Debian 11 (bullseye) minbase root, whose glibc 2.31 is older than Amazon Linux 2023's 2.34 and which has no Kerberos,
OpenLDAP, Cyrus SASL or curl library at all, in a mount and UTS namespace of their own. There `bootstrap` runs with
arguments (`--version`, `discover`, and a remote leave's dry run that reads the settings parameter over HTTPS's
library, logs in to the lab's DC with Kerberos and binds to its LDAP with SASL GSS-SPNEGO), and the loader's own log
(LD_DEBUG=files) shows that every library the binary ran came from /var/task. The arm64 bundle runs the same way under
qemu-aarch64-static through binfmt_misc.

And `bootstrap` with no arguments, as Lambda starts it: the runtime loop of `adjoin broker` in the root, polling the
lab's stand-in for the Lambda Runtime API (scripts/lab-support/lambda_standins.py, which also stands in for the function
URL and checks every signature), its AWS calls over HTTPS trusting only the CA bundle at Amazon Linux's path, serves an
instance's join end to end (JOINED, a keytab that logs in) and a refusal (RATE_LIMITED) with its status."""
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
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


def in_root_command(root, arguments, env=None):
    """The command that runs /var/task/bootstrap ARGUMENTS inside the root as Lambda would: a clean environment, in a
    mount and UTS namespace of its own (/proc and /dev mounted there only, a hostname of its own)."""
    # Lambda sets LD_LIBRARY_PATH (/lib64:/usr/lib64:...:/var/task/lib); here the root's own glibc 2.31 folder comes
    # first in it, so that a loader honouring it instead of bootstrap's --library-path would load the wrong libc.
    variables = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LAMBDA_TASK_ROOT": "/var/task", "LANG": "C.UTF-8",
                 "LD_LIBRARY_PATH": "/usr/lib/x86_64-linux-gnu:/var/lang/lib:/lib64:/usr/lib64:/var/runtime:"
                                    "/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"}
    variables.update(env or {})
    script = ('mount -t proc proc "$1/proc" && mount --bind /dev "$1/dev" && hostname lambda-sandbox && '
              'root=$1 && shift && exec chroot "$root" "$@"')
    return ["unshare", "-m", "-u", "--propagation", "private", "sh", "-c", script, "in-root", root,
            "env", "-i"] + ["%s=%s" % item for item in sorted(variables.items())] + ["/var/task/bootstrap"] + arguments


def in_root(root, arguments, env=None, stdin=None):
    return subprocess.run(in_root_command(root, arguments, env), capture_output=True, text=True, timeout=600, stdin=stdin)


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


# ---------------------------------------------------------------- bootstrap with no arguments: the runtime loop

BROKER_ACCOUNT = "444455556666"
MEMBER_ACCOUNT = "210987654321"


def register_key(key_id, secret):
    """Makes a key known to the lab's signature checkers (as the Swift fixtures' registerKey does)."""
    path = lab()["ADJOIN_LAB_AWS_KEYS_FILE"]
    with open(path + ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(path, encoding="utf-8") as f:
            keys = json.load(f)
        keys[key_id] = secret
        with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(path), delete=False) as f:
            json.dump(keys, f)
        os.chmod(f.name, 0o600)
        os.replace(f.name, path)


def first_line(process):
    line = process.stdout.readline()
    assert line, "%s printed nothing" % process.args
    return line.strip()


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.fixture
def broker_world(tmp_path):
    """The central account's settings table and join secret (as the central stack makes them) and a running
    instance in a member account with its instance profile session and its own metadata emulator. Yields what the
    broker and the instance need; deletes the instance's computer account afterwards."""
    import aws_fixtures
    env = lab()
    run_id = secrets.token_hex(4)
    broker_role = "arn:aws:iam::%s:role/adjoin-broker" % BROKER_ACCOUNT
    table = "adjoin-lambda-bundle-%s" % run_id
    aws_fixtures.create_status_table(table, role=broker_role, key="accountId")
    with open(env["ADJOIN_LAB_JOIN_PASSWORD_FILE"], encoding="utf-8") as f:
        secret = aws_fixtures.put_secret("adjoin/lambda-bundle-%s" % run_id, f.read().rstrip("\n"), role=broker_role)
    aws_fixtures.put_item(table, {"accountId": {"S": MEMBER_ACCOUNT}, "domain": {"S": env["ADJOIN_LAB_DOMAIN"]},
                                  "domainControllers": {"L": [{"S": env["ADJOIN_LAB_DC_IP"]}]},
                                  "joinUser": {"S": env["ADJOIN_LAB_JOIN_USER"]}, "joinPasswordSecret": {"S": secret},
                                  "organizationalUnit": {"S": env["ADJOIN_LAB_OU"]}, "computerNameFrom": {"S": "instance-id"}},
                          role=broker_role)
    credentials = aws_fixtures.assume_role(broker_role, session="adjoin-broker")
    register_key(credentials["accessKeyId"], credentials["secretAccessKey"])
    ec2 = aws_fixtures.client("ec2", "us-east-1", role="arn:aws:iam::%s:role/fixture" % MEMBER_ACCOUNT)
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
    session = aws_fixtures.assume_role("arn:aws:iam::%s:role/web-role" % MEMBER_ACCOUNT, session=instance["InstanceId"])
    register_key(session["accessKeyId"], session["secretAccessKey"])
    state = tmp_path / "imds-state.json"
    state.write_text(json.dumps({
        "instanceId": instance["InstanceId"], "accountId": MEMBER_ACCOUNT, "region": "us-east-1",
        "hostname": instance["PrivateDnsName"], "localHostname": instance["PrivateDnsName"], "localIpv4": instance["PrivateIpAddress"],
        "tags": {}, "tagsExposed": True, "roleName": "web-role",
        "credentials": {"accessKeyId": session["accessKeyId"], "secretAccessKey": session["secretAccessKey"],
                        "token": session["sessionToken"]}}))
    imds = subprocess.Popen([sys.executable, "-u", os.path.join(ROOT, "scripts/lab-support/imds.py"), "--port", "0",
                             "--state", str(state)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        yield {"credentials": credentials, "instance": instance, "instanceKey": session["accessKeyId"],
               "metadata": "http://127.0.0.1:%s" % first_line(imds),
               "settings": "arn:aws:dynamodb:us-east-1:%s:table/%s" % (BROKER_ACCOUNT, table)}
    finally:
        stop(imds)
        # The computer account the broker made for the instance, found by its owner marker.
        administrator = ["-H", "ldaps://" + env["ADJOIN_LAB_DC_IP"], "-D", "Administrator@" + env["ADJOIN_LAB_REALM"],
                         "-y", env["ADJOIN_LAB_ADMIN_PASSWORD_FILE"]]
        tls = {**os.environ, "LDAPTLS_REQCERT": "never"}
        found = subprocess.run(["ldapsearch", "-LLL", "-o", "ldif-wrap=no"] + administrator +
                               ["-b", env["ADJOIN_LAB_OU"], "(info=adjoin-owner: %s*)" % instance["InstanceId"], "dn"],
                               env=tls, capture_output=True, text=True).stdout
        for line in found.splitlines():
            if line.startswith("dn: "):
                subprocess.run(["ldapdelete", "-r"] + administrator + [line[4:]], env=tls, capture_output=True)


def test_bootstrap_without_arguments_serves_joins_through_the_runtime_api_from_the_root(
        task, bullseye, https_endpoint, broker_world, tmp_path):
    """Lambda's way: bootstrap with no arguments in the root runs `adjoin broker`, which polls the runtime API
    stand-in for the next invocation, decides with AWS (the central table, the secret, EC2 through the member
    role: over HTTPS, trusting the private authority only through /etc/pki/tls/certs/ca-bundle.crt, Amazon Linux's
    place) and the lab's DC (Kerberos, LDAP: the bundle's libraries), and posts the answer. An instance's signed
    request to the function URL stand-in is one such invocation: the instance ends JOINED with a keytab that logs in,
    and asking again within the minute comes back RATE_LIMITED, with its own exit status and the time to wait.
    The broker's loader log shows that it ran on the bundle's libraries alone."""
    env = lab()
    endpoint, authority = https_endpoint
    bundle_path = os.path.join(bullseye, "etc/pki/tls/certs/ca-bundle.crt")
    os.makedirs(os.path.dirname(bundle_path), exist_ok=True)
    shutil.copy(authority, bundle_path)
    function_log, responses = tmp_path / "function-url.jsonl", tmp_path / "responses"
    standins = subprocess.Popen([sys.executable, "-u", os.path.join(ROOT, "scripts/lab-support/lambda_standins.py"),
                                 "--keys", env["ADJOIN_LAB_AWS_KEYS_FILE"], "--imds-state", env["ADJOIN_LAB_IMDS_STATE"],
                                 "--moto", env["ADJOIN_LAB_MOTO_ENDPOINT"], "--log", str(function_log),
                                 "--responses", str(responses), "--timeout", "150"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    broker = None
    broker_log = open(tmp_path / "broker.log", "w+")
    try:
        runtime_port, url_port = first_line(standins).split()
        credentials = broker_world["credentials"]
        # What Lambda sets for the function (its role's credentials, the runtime API's address) and the stack's
        # configuration; the AWS endpoint is the lab's checking proxy behind TLS.
        broker = subprocess.Popen(in_root_command(bullseye, [], {
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%s" % runtime_port, "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": credentials["accessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["secretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["sessionToken"], "AWS_ENDPOINT_URL": endpoint,
            "ADJOIN_BROKER_SETTINGS": broker_world["settings"], "ADJOIN_BROKER_MEMBER_ROLE": "adjoin-broker-member",
            "LD_DEBUG": "files"}), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=broker_log,
            start_new_session=True)

        # The instance: the same bundle's agent in the root, in a namespace of its own, with only its metadata
        # endpoint (its role credentials come from there) and the checking proxy as its AWS endpoint. Its time
        # (and so the broker's, which ends before the instance stops waiting) leaves room for qemu's pace on arm64.
        def join():
            return subprocess.run(in_root_command(bullseye, ["join", "--broker", "http://127.0.0.1:%s" % url_port, "--no-configure",
                                                             "--root", "/tmp/instance", "--timeout", "120", "--output", "json"],
                                                  {"AWS_EC2_METADATA_SERVICE_ENDPOINT": broker_world["metadata"],
                                                   "AWS_ENDPOINT_URL": env["ADJOIN_LAB_AWS_ENDPOINT"]}),
                                  capture_output=True, text=True, timeout=300)
        os.makedirs(os.path.join(bullseye, "tmp/instance"), exist_ok=True)
        joined = join()
        broker_log.seek(0)
        log = broker_log.read()
        assert joined.returncode == 0, joined.stdout + joined.stderr[-3000:] + "\nbroker:\n" + log[-3000:]
        answer = json.loads(joined.stdout)
        assert answer["status"] == "JOINED", answer
        keytab = os.path.join(bullseye, "tmp/instance/etc/krb5.keytab")
        name = answer["computerName"]
        run(["kinit", "-k", "-t", keytab, "%s$@%s" % (name, env["ADJOIN_LAB_REALM"])],
            env={**os.environ, "KRB5_CONFIG": env["ADJOIN_LAB_KRB5_CONFIG"], "KRB5CCNAME": "MEMORY:bundle"})
        assert re.search(r"PRESET CN=%s," % re.escape(name), log), log[-3000:]

        again = join()
        assert again.returncode == 32, again.stdout + again.stderr[-3000:]  # RATE_LIMITED's exit status
        assert json.loads(again.stdout)["status"] == "RATE_LIMITED", again.stdout
        with open(responses, encoding="utf-8") as f:
            bodies = [json.loads(line) for line in f]
        assert [body.get("status") for body in bodies] == ["PRESET", "RATE_LIMITED"], [b.get("status") for b in bodies]
        assert 1 <= bodies[1]["retryAfterSeconds"] <= 61, bodies[1]

        # Both requests went through the function URL stand-in's signature check and named the instance's session.
        with open(function_log, encoding="utf-8") as f:
            entries = [json.loads(line) for line in f]
        assert [(e["verdict"], e["statusCode"]) for e in entries] == [("verified", 200), ("verified", 429)], entries
        assert all(e["callerArn"].endswith("/" + broker_world["instance"]["InstanceId"]) for e in entries), entries

        # Every library the broker ran on came from /var/task.
        broker_log.seek(0)
        objects = loaded_objects(broker_log.read())
        outside = [path for path in objects if not path.startswith("/var/task/")]
        assert not outside, "libraries from outside the bundle: %s" % outside
        for expected in ("lib/libkrb5.so.3", "lib/libcurl.so.4", "lib/sasl2/libgssapiv2.so"):
            assert "/var/task/" + expected in objects, (expected, objects)
    finally:
        for process in (broker, standins):
            if process is not None:
                stop(process)
        broker_log.close()
        os.remove(bundle_path)
        shutil.rmtree(os.path.join(bullseye, "tmp/instance"), ignore_errors=True)
