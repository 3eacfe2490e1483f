"""The broker's Lambda stand-ins (lambda_standins.py) without moto: the function URL refuses what
IAM authorization refuses before any function runs, and the Runtime API speaks Lambda's protocol."""

import http.client
import json
import os
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def standins():
    with tempfile.TemporaryDirectory() as directory:
        keys = os.path.join(directory, "keys.json")
        with open(keys, "w") as out:
            json.dump({"AKIDLAMBDATEST0001": "secret"}, out)
        log = os.path.join(directory, "url.jsonl")
        process = subprocess.Popen([sys.executable, "-u", os.path.join(HERE, "lambda_standins.py"), "--keys", keys,
                                    "--moto", "http://127.0.0.1:9", "--log", log, "--timeout", "2"], stdout=subprocess.PIPE)
        try:
            runtime, url = (int(p) for p in process.stdout.readline().split())
            yield runtime, url, log, keys
        finally:
            process.kill()
            process.wait()


def request(port, method, path, body=b"", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_unsigned_and_foreign_service_requests_never_reach_the_function(standins):
    runtime, url, log, keys = standins
    status, _, body = request(url, "POST", "/join", b"{}", {"Content-Type": "application/json"})
    assert status == 403 and json.loads(body) == {"Message": "Forbidden"}
    status, _, _ = request(url, "POST", "/join", b"{}", {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDLAMBDATEST0001/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
                                                         "X-Amz-Date": "20260101T000000Z"})
    assert status == 403
    lines = [json.loads(line) for line in open(log)]
    assert [line["verdict"] for line in lines] == ["refused", "refused"]
    assert lines[1]["reason"] == "X-Amz-Date more than 5 minutes off"


def test_the_runtime_api_refuses_an_unknown_request_id_and_records_init_errors(standins):
    runtime, _, _, _ = standins
    status, _, _ = request(runtime, "POST", "/2018-06-01/runtime/invocation/nope/response", b"{}")
    assert status == 400
    status, _, _ = request(runtime, "POST", "/2018-06-01/runtime/init/error", b'{"errorMessage":"x","errorType":"Broker.INVALID_INPUT"}',
                           {"Lambda-Runtime-Function-Error-Type": "Broker.INVALID_INPUT"})
    assert status == 202
    status, _, _ = request(runtime, "GET", "/2018-06-01/runtime/other")
    assert status == 404
