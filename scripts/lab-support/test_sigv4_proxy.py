"""Tests of the lab's SigV4-checking proxy, in front of a real moto_server: python3 -m pytest -q scripts/lab-support"""

import json
import time
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import boto3
import botocore.config
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sigv4_reference import sign  # noqa: E402

PROXY = os.path.join(HERE, "sigv4_proxy.py")
AKID, SECRET = "AKIAADJOINPROXYTEST1", "proxy-test-secret-0123456789abcdefghijklmn"
ROLE_AKID, ROLE_SECRET = "ASIAADJOINIMDSROLE01", "imds-role-secret-0123456789abcdefghijklmn"


class Proxy:
    def __init__(self, tmp_path, upstream, extra=()):
        self.keys = tmp_path / "keys.json"
        self.keys.write_text(json.dumps({AKID: SECRET}))
        self.imds_state = tmp_path / "imds.json"
        self.imds_state.write_text(json.dumps({"credentials": {"accessKeyId": ROLE_AKID, "secretAccessKey": ROLE_SECRET}}))
        self.log = tmp_path / "verdicts.jsonl"
        self.proc = subprocess.Popen(
            [sys.executable, PROXY, "--port", "0", "--upstream", upstream, "--keys", str(self.keys),
             "--imds-state", str(self.imds_state), "--log", str(self.log), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.proc.kill()
            raise RuntimeError("proxy did not print its port: %r %s" % (line, self.proc.stderr.read()))
        self.url = "http://127.0.0.1:%d" % int(line)

    def verdicts(self):
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def client(self, service, akid=AKID, secret=SECRET, token=None, region="us-east-1"):
        return boto3.client(service, endpoint_url=self.url, region_name=region, aws_access_key_id=akid,
                            aws_secret_access_key=secret, aws_session_token=token,
                            config=botocore.config.Config(retries={"total_max_attempts": 1}))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def proxy(tmp_path, moto):
    server = Proxy(tmp_path, moto)
    yield server
    server.stop()


def raw(proxy, method, path, headers, body=b""):
    request = urllib.request.Request(proxy.url + path, data=body if method != "GET" else None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def signed_headers(proxy, method, path, headers, body, akid=AKID, secret=SECRET, token=None, service="ssm"):
    import datetime
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    host = proxy.url[len("http://"):]
    result = sign(method, "http://%s%s" % (host, path), headers, body, akid, secret, token, "us-east-1", service, amz_date)
    out = dict(headers)
    out.update({"X-Amz-Date": amz_date, "Authorization": result["authorization"]})
    if token:
        out["X-Amz-Security-Token"] = token
    return out


def test_a_correctly_signed_boto3_request_passes_and_is_recorded(proxy):
    ssm = proxy.client("ssm")
    ssm.put_parameter(Name="proxy-test", Value="v", Type="String", Overwrite=True)
    assert ssm.get_parameter(Name="proxy-test")["Parameter"]["Value"] == "v"
    verdicts = proxy.verdicts()
    assert [v["verdict"] for v in verdicts] == ["verified", "verified"]
    assert [v["operation"] for v in verdicts] == ["AmazonSSM.PutParameter", "AmazonSSM.GetParameter"]
    assert all(v["accessKeyId"] == AKID and v["upstreamStatus"] == 200 for v in verdicts)


def test_a_tampered_body_is_refused_and_not_forwarded(proxy):
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "AmazonSSM.PutParameter")]
    body = b'{"Name":"tampered","Value":"a","Type":"String","Overwrite":true}'
    signed = signed_headers(proxy, "POST", "/", headers, body)
    status, reply = raw(proxy, "POST", "/", signed, body.replace(b'"a"', b'"b"'))
    assert status == 403
    assert json.loads(reply)["__type"] == "InvalidSignatureException"
    assert proxy.verdicts()[-1]["verdict"] == "refused"
    # the same request untampered passes, so the refusal was the tampering's
    status, _ = raw(proxy, "POST", "/", signed, body)
    assert status == 200
    assert proxy.verdicts()[-1]["verdict"] == "verified"
    ssm = proxy.client("ssm")
    assert ssm.get_parameter(Name="tampered")["Parameter"]["Value"] == "a"


def test_a_wrong_secret_is_refused_with_signature_does_not_match(proxy):
    sts = proxy.client("sts", secret="not-" + SECRET)
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert proxy.verdicts()[-1]["reason"] == "signature differs from botocore's"


def test_an_unknown_key_and_an_unsigned_target_are_refused(proxy):
    sts = proxy.client("sts", akid="AKIAUNKNOWNKEY000000")
    with pytest.raises(sts.exceptions.ClientError):
        sts.get_caller_identity()
    assert proxy.verdicts()[-1]["reason"] == "unknown access key id"
    body = b'{"Name":"x"}'
    signed = signed_headers(proxy, "POST", "/", [("Content-Type", "application/x-amz-json-1.1")], body)
    signed["X-Amz-Target"] = "AmazonSSM.GetParameter"  # added after signing: not covered
    status, _ = raw(proxy, "POST", "/", signed, body)
    assert status == 403
    assert proxy.verdicts()[-1]["reason"] == "unsigned header(s): x-amz-target"


def test_a_get_with_an_unsorted_query_verifies_when_signed_canonically(proxy):
    path = "/?Version=2011-06-15&Action=GetCallerIdentity"
    status, reply = raw(proxy, "GET", path, signed_headers(proxy, "GET", path, [], b"", service="sts"))
    assert status == 200, reply
    assert b"GetCallerIdentityResponse" in reply


def test_session_tokens_are_signed_and_logged_by_digest_only(proxy):
    import hashlib
    token = "lab-session-token-for-proxy-test"
    sts = proxy.client("sts", akid=ROLE_AKID, secret=ROLE_SECRET, token=token)
    sts.get_caller_identity()
    verdict = proxy.verdicts()[-1]
    assert verdict["verdict"] == "verified"
    assert verdict["tokenDigest"] == hashlib.sha256(token.encode()).hexdigest()[:16]
    assert token not in proxy.log.read_text()
    assert ROLE_SECRET not in proxy.log.read_text()


def test_keys_issued_by_assume_role_become_known(proxy):
    sts = proxy.client("sts")
    issued = sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/status-writer", RoleSessionName="proxy-test")["Credentials"]
    assumed = proxy.client("sts", akid=issued["AccessKeyId"], secret=issued["SecretAccessKey"], token=issued["SessionToken"])
    assert assumed.get_caller_identity()["Account"] == "111122223333"
    assert [v["verdict"] for v in proxy.verdicts()] == ["verified", "verified"]
    assert proxy.verdicts()[0]["issuedAccessKeyIds"] == [issued["AccessKeyId"]]
    assert proxy.verdicts()[1]["accessKeyId"] == issued["AccessKeyId"]


def test_describe_tags_is_paged_as_ec2_pages_it(proxy):
    ec2 = proxy.client("ec2")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.create_tags(Resources=[instance], Tags=[{"Key": "k%02d" % n, "Value": "v%d" % n} for n in range(12)])
    pages = list(ec2.get_paginator("describe_tags").paginate(
        Filters=[{"Name": "resource-id", "Values": [instance]}], PaginationConfig={"PageSize": 5}))
    assert [len(page["Tags"]) for page in pages] == [5, 5, 2]
    assert sorted(t["Key"] for page in pages for t in page["Tags"]) == ["k%02d" % n for n in range(12)]
    assert all(v["verdict"] == "verified" for v in proxy.verdicts())


def test_a_planned_failure_for_any_token_carries_its_own_message(proxy):
    plan = json.dumps({"tokenDigest": "*", "operation": "AmazonSSM.GetParameter",
                       "failures": [{"status": 400, "code": "AccessDeniedException", "message": "Access to KMS is not allowed"}]}).encode()
    status, _ = raw(proxy, "POST", "/adjoin-lab/fail-next", {"Content-Type": "application/json"}, plan)
    assert status == 200
    ssm = proxy.client("ssm", token="a-token-the-plan-never-named")
    ssm.put_parameter(Name="any-token-test", Value="v", Type="String", Overwrite=True)
    with pytest.raises(ssm.exceptions.ClientError) as caught:
        ssm.get_parameter(Name="any-token-test")
    assert caught.value.response["Error"] == {"Code": "AccessDeniedException", "Message": "Access to KMS is not allowed"}
    assert ssm.get_parameter(Name="any-token-test")["Parameter"]["Value"] == "v"



def test_planned_failures_answer_verified_requests_then_moto_again(proxy):
    import hashlib
    token = "lab-session-token-for-fault-test"
    digest = hashlib.sha256(token.encode()).hexdigest()[:16]
    plan = json.dumps({"tokenDigest": digest, "operation": "AmazonSSM.GetParameter",
                       "failures": [{"status": 400, "code": "ThrottlingException"}]}).encode()
    status, _ = raw(proxy, "POST", "/adjoin-lab/fail-next", {"Content-Type": "application/json"}, plan)
    assert status == 200
    ssm = proxy.client("ssm", token=token)
    ssm.put_parameter(Name="fault-test", Value="v", Type="String", Overwrite=True)
    with pytest.raises(ssm.exceptions.ClientError) as caught:
        ssm.get_parameter(Name="fault-test")
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert ssm.get_parameter(Name="fault-test")["Parameter"]["Value"] == "v"
    verdicts = proxy.verdicts()
    assert [v.get("injected") for v in verdicts] == [None, "ThrottlingException", None]
    assert all(v["verdict"] == "verified" for v in verdicts)


def test_a_quota_throttles_as_ssm_does_and_refills(tmp_path, moto):
    proxy = Proxy(tmp_path, moto, ["--quota", "AmazonSSM.GetParameter=5"])
    try:
        ssm = proxy.client("ssm")
        ssm.put_parameter(Name="quota-test", Value="v", Type="String", Overwrite=True)
        # A burst, sent at once from threads of their own: the bucket holds one second's worth (5) and refills
        # at 5 a second, so 30 requests that arrive within a few seconds are partly throttled however slow the
        # machine is (one after another, on a loaded machine, each could wait for its own refill).
        clients = [proxy.client("ssm") for _ in range(30)]
        codes = []
        lock = threading.Lock()

        def call(client):
            try:
                client.get_parameter(Name="quota-test")
                code = "ok"
            except client.exceptions.ClientError as error:
                code = error.response["Error"]["Code"]
                assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            with lock:
                codes.append(code)

        started = time.monotonic()
        threads = [threading.Thread(target=call, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        assert set(codes) <= {"ok", "ThrottlingException"}, codes
        # At most the burst plus what refilled while they ran; at least the burst.
        assert 5 <= codes.count("ok") <= 5 + 5 * elapsed + 1, (codes, elapsed)
        assert "ThrottlingException" in codes, (codes, elapsed)
        time.sleep(1.1)
        assert ssm.get_parameter(Name="quota-test")["Parameter"]["Value"] == "v", "the bucket refills"
        verdicts = [v for v in proxy.verdicts() if v["operation"] == "AmazonSSM.GetParameter"]
        assert sum(1 for v in verdicts if v.get("throttled")) == codes.count("ThrottlingException")
        assert all(v["verdict"] == "verified" for v in verdicts)
        # Other operations are not counted against it.
        for _ in range(8):
            ssm.put_parameter(Name="quota-test", Value="v", Type="String", Overwrite=True)
    finally:
        proxy.stop()


def test_a_denied_role_cannot_be_assumed_and_others_still_can(proxy):
    denied = "arn:aws:iam::444455556666:role/adjoin-sweep"
    status, _ = raw(proxy, "POST", "/adjoin-lab/deny-role", {"Content-Type": "application/json"}, json.dumps({"roleArn": denied}).encode())
    assert status == 200
    sts = proxy.client("sts")
    for _ in range(2):
        with pytest.raises(sts.exceptions.ClientError) as caught:
            sts.assume_role(RoleArn=denied, RoleSessionName="proxy-test")
        assert caught.value.response["Error"]["Code"] == "AccessDenied"
    allowed = sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/adjoin-sweep", RoleSessionName="proxy-test")
    assert allowed["Credentials"]["AccessKeyId"]
    assert [v.get("injected") for v in proxy.verdicts()] == ["AccessDenied", "AccessDenied", None]
    status, _ = raw(proxy, "POST", "/adjoin-lab/deny-role", {"Content-Type": "application/json"}, b'{"roleArn": 7}')
    assert status == 400


def test_the_same_proxy_on_an_ipv6_address(tmp_path, moto):
    """--host6: a second address with the same state (a failure planned at one answers at the other)."""
    server = Proxy(tmp_path, moto, extra=("--host6", "::1"))
    try:
        plan = json.dumps({"tokenDigest": "*", "operation": "AmazonSSM.GetParameter",
                           "failures": [{"status": 400, "code": "AccessDeniedException", "message": "planned at IPv4"}]}).encode()
        assert raw(server, "POST", "/adjoin-lab/fail-next", {"Content-Type": "application/json"}, plan)[0] == 200
        server.url = server.url.replace("127.0.0.1", "[::1]")
        ssm = server.client("ssm")
        ssm.put_parameter(Name="ipv6-test", Value="v", Type="String", Overwrite=True)
        with pytest.raises(ssm.exceptions.ClientError) as caught:
            ssm.get_parameter(Name="ipv6-test")
        assert caught.value.response["Error"]["Message"] == "planned at IPv4"
        assert ssm.get_parameter(Name="ipv6-test")["Parameter"]["Value"] == "v"
        assert [v["verdict"] for v in server.verdicts()] == ["verified"] * 3
    finally:
        server.stop()
