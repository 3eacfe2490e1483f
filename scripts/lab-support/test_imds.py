"""Tests of the lab's IMDSv2 emulator: python3 -m pytest -q scripts/lab-support"""

import datetime
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
IMDS = os.path.join(HERE, "imds.py")


class Imds:
    def __init__(self, state_path, extra=()):
        self.state_path = state_path
        self.proc = subprocess.Popen(
            [sys.executable, IMDS, "--host", "127.0.0.1", "--port", "0", "--state", state_path, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()  # the bound port, printed first
        if not line.strip().isdigit():
            self.proc.kill()
            raise RuntimeError("imds did not print its port: %r %s" % (line, self.proc.stderr.read()))
        self.base = "http://127.0.0.1:%d" % int(line)
        self.stderr = None  # the server's log, once stopped

    def request(self, method, path, headers=None):
        req = urllib.request.Request(self.base + path, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, resp.read().decode(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    def token(self, ttl=60):
        status, body, _ = self.request("PUT", "/latest/api/token",
                                       {"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)})
        assert status == 200
        return body

    def get(self, path, token=None):
        token = token if token is not None else self.token()
        return self.request("GET", path, {"X-aws-ec2-metadata-token": token})

    def state(self):
        with open(self.state_path) as f:
            return json.load(f)

    def write_state(self, **changes):
        state = self.state()
        state.update(changes)
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self.state_path)  # atomic, as tests of the agent should do it

    def stop(self):
        if self.stderr is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def imds(tmp_path):
    server = Imds(str(tmp_path / "state.json"))
    yield server
    server.stop()


def test_defaults_written_to_absent_state_file(imds):
    state = imds.state()
    assert state["instanceId"] == "i-0123456789abcdef0"
    assert state["tags"] == {"Name": "lab-instance", "adGroupName": "linux-admins"}
    assert state["tagsExposed"] is True
    assert oct(os.stat(imds.state_path).st_mode & 0o777) == "0o600"


def test_get_without_token_is_401(imds):
    status, _, _ = imds.request("GET", "/latest/meta-data/instance-id")
    assert status == 401


def test_get_with_invalid_token_is_401(imds):
    status, _, _ = imds.get("/latest/meta-data/instance-id", token="not-a-token")
    assert status == 401


@pytest.mark.parametrize("ttl", [None, "0", "21601", "-5", "abc", ""])
def test_token_ttl_out_of_bounds_is_400(imds, ttl):
    headers = {} if ttl is None else {"X-aws-ec2-metadata-token-ttl-seconds": ttl}
    status, _, _ = imds.request("PUT", "/latest/api/token", headers)
    assert status == 400


@pytest.mark.parametrize("ttl", ["1", "21600"])
def test_token_ttl_bounds_accepted(imds, ttl):
    status, token, headers = imds.request("PUT", "/latest/api/token",
                                          {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
    assert status == 200
    assert len(token) >= 32
    assert headers["X-aws-ec2-metadata-token-ttl-seconds"] == ttl


def test_token_put_with_x_forwarded_for_is_403(imds):
    status, _, _ = imds.request("PUT", "/latest/api/token", {
        "X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "203.0.113.7"})
    assert status == 403


def test_token_expires_after_ttl(imds):
    token = imds.token(ttl=1)
    assert imds.get("/latest/meta-data/instance-id", token)[0] == 200
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        if imds.get("/latest/meta-data/instance-id", token)[0] == 401:
            break
        time.sleep(0.1)
    else:
        pytest.fail("token still valid 2.5 s after a TTL of 1 s")


def test_token_ttl_cap_from_state(imds):
    imds.write_state(tokenTtlCapSeconds=0.3)
    token = imds.token(ttl=21600)
    assert imds.get("/latest/meta-data/instance-id", token)[0] == 200
    time.sleep(0.5)
    assert imds.get("/latest/meta-data/instance-id", token)[0] == 401
    imds.write_state(tokenTtlCapSeconds=None)
    assert imds.get("/latest/meta-data/instance-id")[0] == 200


def test_identity_document(imds):
    status, body, headers = imds.get("/latest/dynamic/instance-identity/document")
    assert status == 200
    doc = json.loads(body)
    assert doc["instanceId"] == "i-0123456789abcdef0"
    assert doc["accountId"] == "123456789012"
    assert doc["region"] == "us-east-1"
    assert doc["availabilityZone"] == "us-east-1a"
    assert doc["privateIp"] == "10.0.0.12"
    for key in ("instanceType", "imageId", "architecture", "pendingTime", "version"):
        assert doc[key]


@pytest.mark.parametrize("path,expected", [
    ("/latest/meta-data/instance-id", "i-0123456789abcdef0"),
    ("/latest/meta-data/hostname", "ip-10-0-0-12.ec2.internal"),
    ("/latest/meta-data/local-hostname", "ip-10-0-0-12.ec2.internal"),
    ("/latest/meta-data/local-ipv4", "10.0.0.12"),
    ("/latest/meta-data/placement/region", "us-east-1"),
    ("/latest/meta-data/placement/availability-zone", "us-east-1a"),
    ("/latest/meta-data/autoscaling/target-lifecycle-state", "InService"),
    ("/latest/meta-data/tags/instance/adGroupName", "linux-admins"),
    ("/latest/meta-data/tags/instance/Name", "lab-instance"),
])
def test_leaves(imds, path, expected):
    assert imds.get(path)[:2] == (200, expected)


def test_leaf_with_trailing_slash(imds):
    # botocore asks for placement/availability-zone/ and the real service answers it
    assert imds.get("/latest/meta-data/placement/availability-zone/")[:2] == (200, "us-east-1a")


def test_listings(imds):
    status, body, _ = imds.get("/latest/meta-data/")
    assert status == 200
    names = body.split("\n")
    for name in ("instance-id", "hostname", "local-ipv4", "placement/", "iam/", "tags/", "autoscaling/"):
        assert name in names
    assert "spot/" not in names
    assert imds.get("/latest/meta-data/placement/")[1].split("\n") == ["availability-zone", "region"]
    assert sorted(imds.get("/latest/meta-data/tags/instance/")[1].split("\n")) == ["Name", "adGroupName"]
    assert imds.get("/latest/meta-data/iam/security-credentials/")[1] == "adjoin-lab-instance-role"


def test_unknown_paths_are_404(imds):
    for path in ("/latest/meta-data/nope", "/latest/meta-data/tags/instance/Missing",
                 "/latest/meta-data/spot/instance-action", "/nope"):
        assert imds.get(path)[0] == 404, path


def test_role_credentials(imds):
    role = imds.get("/latest/meta-data/iam/security-credentials/")[1]
    status, body, _ = imds.get("/latest/meta-data/iam/security-credentials/" + role)
    assert status == 200
    creds = json.loads(body)
    assert creds["Code"] == "Success"
    assert creds["Type"] == "AWS-HMAC"
    assert creds["AccessKeyId"].startswith("ASIA")
    assert creds["SecretAccessKey"] and creds["Token"]
    expiration = datetime.datetime.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    remaining = (expiration - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 3500 < remaining <= 3601
    imds.write_state(credentialLifetimeSeconds=120)
    creds = json.loads(imds.get("/latest/meta-data/iam/security-credentials/" + role)[1])
    expiration = datetime.datetime.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    remaining = (expiration - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 100 < remaining <= 121


def test_tags_not_exposed_are_404(imds):
    imds.write_state(tagsExposed=False)
    assert imds.get("/latest/meta-data/tags/instance/")[0] == 404
    assert imds.get("/latest/meta-data/tags/instance/adGroupName")[0] == 404
    assert "tags/" not in imds.get("/latest/meta-data/")[1].split("\n")


def test_state_reload(imds):
    token = imds.token()
    imds.write_state(tags={"adGroupName": "db-admins"}, lifecycleState="Terminated",
                     spotInstanceAction={"action": "terminate", "time": "2030-01-01T00:00:00Z"},
                     instanceId="i-0fedcba9876543210")
    assert imds.get("/latest/meta-data/tags/instance/adGroupName", token)[1] == "db-admins"
    assert imds.get("/latest/meta-data/tags/instance/Name", token)[0] == 404
    assert imds.get("/latest/meta-data/autoscaling/target-lifecycle-state", token)[1] == "Terminated"
    status, body, _ = imds.get("/latest/meta-data/spot/instance-action", token)
    assert status == 200 and json.loads(body)["action"] == "terminate"
    assert imds.get("/latest/meta-data/instance-id", token)[1] == "i-0fedcba9876543210"
    doc = json.loads(imds.get("/latest/dynamic/instance-identity/document", token)[1])
    assert doc["instanceId"] == "i-0fedcba9876543210"


def test_an_ipv6_only_instance(imds):
    token = imds.token()
    imds.write_state(localIpv4=None, ipv6="fd00:ad:22::c:1")
    assert imds.get("/latest/meta-data/local-ipv4", token)[0] == 404
    assert imds.get("/latest/meta-data/ipv6", token)[1] == "fd00:ad:22::c:1"
    doc = json.loads(imds.get("/latest/dynamic/instance-identity/document", token)[1])
    assert doc["privateIp"] is None


def test_the_same_instance_on_an_ipv6_address(tmp_path):
    server = Imds(str(tmp_path / "state.json"), extra=("--host6", "::1"))
    try:
        token = server.token()
        port = server.base.rsplit(":", 1)[1]
        # A token from the IPv4 address is good at the IPv6 one: one instance, two addresses.
        req = urllib.request.Request("http://[::1]:%s/latest/meta-data/instance-id" % port,
                                     headers={"X-aws-ec2-metadata-token": token})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.read().decode() == server.state()["instanceId"]
    finally:
        server.stop()


def test_partial_or_broken_state_file(imds):
    with open(imds.state_path, "w") as f:
        json.dump({"region": "eu-west-1"}, f)
    assert imds.get("/latest/meta-data/placement/region")[1] == "eu-west-1"
    assert imds.get("/latest/meta-data/instance-id")[1] == "i-0123456789abcdef0"
    with open(imds.state_path, "w") as f:
        f.write("{not json")
    assert imds.get("/latest/meta-data/placement/region")[1] == "eu-west-1"  # last good state


def test_other_methods_refused(imds):
    assert imds.request("POST", "/latest/api/token")[0] == 405
    assert imds.request("PUT", "/latest/meta-data/instance-id",
                        {"X-aws-ec2-metadata-token-ttl-seconds": "60"})[0] == 405


def test_log_has_no_tokens_or_secrets(imds):
    token = imds.token()
    role = imds.get("/latest/meta-data/iam/security-credentials/", token)[1]
    creds = json.loads(imds.get("/latest/meta-data/iam/security-credentials/" + role, token)[1])
    imds.stop()
    assert "GET /latest/meta-data/iam/security-credentials/" in imds.stderr
    for secret in (token, creds["SecretAccessKey"], creds["Token"]):
        assert secret not in imds.stderr


def test_a_fleet_serves_each_state_as_its_own_instance(tmp_path):
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    for index in range(3):
        (fleet / ("i%d.json" % index)).write_text(json.dumps({"instanceId": "i-0%016x" % index, "localHostname": "ip-10-1-0-%d" % index}))
    proc = subprocess.Popen([sys.executable, IMDS, "--fleet", str(fleet)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ports = json.loads(proc.stdout.readline())
        assert sorted(ports) == ["i0.json", "i1.json", "i2.json"] and len(set(ports.values())) == 3

        def call(port, method, path, headers):
            req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    return resp.status, resp.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode()

        tokens = {}
        for name, port in ports.items():
            status, tokens[name] = call(port, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
            assert status == 200
            status, body = call(port, "GET", "/latest/meta-data/instance-id", {"X-aws-ec2-metadata-token": tokens[name]})
            assert (status, body) == (200, "i-0%016x" % int(name[1])), name
        # An instance's token is its own: the others answer 401, as two real instances would.
        status, _ = call(ports["i1.json"], "GET", "/latest/meta-data/instance-id", {"X-aws-ec2-metadata-token": tokens["i0.json"]})
        assert status == 401
    finally:
        proc.terminate()
        proc.wait(timeout=5)
