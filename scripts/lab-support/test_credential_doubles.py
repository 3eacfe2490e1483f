"""Tests of the local doubles of the container credentials endpoint and the SSO portal:
python3 -m pytest -q scripts/lab-support"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DOUBLES = os.path.join(HERE, "credential_doubles.py")
KEYS = {"accessKeyId": "ASIATEST", "secretAccessKey": "secret", "sessionToken": "token"}


@pytest.fixture(params=["ecs", "sso"])
def double(request, tmp_path):
    (tmp_path / "token").write_text("right-token\n")
    (tmp_path / "keys.json").write_text(json.dumps(KEYS))
    proc = subprocess.Popen([sys.executable, DOUBLES, "--mode", request.param, "--token-file", str(tmp_path / "token"),
                             "--credentials", str(tmp_path / "keys.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    yield request.param, "http://127.0.0.1:%d" % port
    proc.kill()
    proc.wait()


def get(url, headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_the_right_token_gets_the_keys_and_anything_else_is_refused(double):
    mode, base = double
    if mode == "ecs":
        url, header = base + "/v2/credentials/adjoin-test", "Authorization"
    else:
        url, header = base + "/federation/credentials?account_id=123456789012&role_name=AdjoinAdmin", "x-amz-sso_bearer_token"
    status, body = get(url, {header: "right-token"})
    assert status == 200
    keys = body if mode == "ecs" else body["roleCredentials"]
    assert keys.get("AccessKeyId", keys.get("accessKeyId")) == "ASIATEST"
    assert get(url, {})[0] == 401
    assert get(url, {header: "wrong-token"})[0] == 401
    if mode == "sso":
        assert get(base + "/federation/credentials?account_id=999&role_name=AdjoinAdmin", {header: "right-token"})[0] == 403
