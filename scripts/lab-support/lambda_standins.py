#!/usr/bin/env python3
"""Local stand-ins for what AWS Lambda gives the join broker, so that the broker's real runtime loop
(`adjoin broker`) runs in the lab:

(a) the Lambda Runtime API (the same HTTP protocol Lambda's sandbox speaks): GET
    /2018-06-01/runtime/invocation/next waits for an event and answers it with the headers
    Lambda-Runtime-Aws-Request-Id and Lambda-Runtime-Deadline-Ms; POST
    /2018-06-01/runtime/invocation/ID/response and .../ID/error end that invocation; POST
    /2018-06-01/runtime/init/error records a broker that could not start. POST /adjoin-lab/invoke (on the
    same port, unsigned: tests only) invokes the function directly with the event in its body, as an
    EventBridge rule does, and answers with the function's result.

(b) a function URL with AWS_IAM authorization: every request's SigV4 signature is recomputed with
    botocore (the lab proxy's Verifier: the service must be `lambda`; a request with no signature, an
    unknown key, a wrong signature or an X-Amz-Date more than 5 minutes off is refused with 403
    {"Message": "Forbidden"} as the real URL does, and never reaches the function); the caller's ARN
    comes from STS GetCallerIdentity asked of moto with the caller's own key (moto knows which role
    session it issued each key to); the request becomes a payload-2.0 event
    (requestContext.authorizer.iam.{accountId, userArn, callerId, accessKey}, requestContext.http,
    rawPath, body, isBase64Encoded) handed to (a), and the function's {statusCode, headers, body}
    becomes the HTTP answer (502 when the function reports an error or does not answer).

Options: --keys FILE (the lab's {accessKeyId: secret}), --imds-state FILE, --moto URL, --log FILE
(one JSON line per request: time, accessKeyId, callerArn, verdict, reason, statusCode; never a
body), --responses FILE (test only: each answered body, so that a test can find the one-time
password and look for it elsewhere), --timeout SECONDS (the function's, default 30). The two
bound ports are printed on the first line of stdout: "RUNTIME_PORT URL_PORT".

As `lambda_standins.py sign-and-post`: reads {url, path, body, accessKeyId, secretAccessKey,
sessionToken, region, ageSeconds} on stdin, signs a POST as the instance would (service lambda,
X-Amz-Date ageSeconds in the past), sends it, and prints {status, body}: for tests of replayed and
foreign callers.
"""

import argparse
import base64
import datetime
import http.client
import json
import os
import queue
import signal
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sigv4_proxy import AUTH_RE, Refusal, Verifier  # noqa: E402
from sigv4_reference import sign  # noqa: E402


class Invocation:
    def __init__(self, event, timeout):
        self.id = str(uuid.uuid4())
        self.event = event
        self.deadline_ms = int((time.time() + timeout) * 1000)
        self.done = threading.Event()
        self.result = None  # ("response", bytes) or ("error", bytes)


class Lambda:
    """The function: one queue of invocations, served by whatever runtime loop asks for the next."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.pending = queue.Queue()
        self.running = {}
        self.lock = threading.Lock()
        self.init_errors = []

    def invoke(self, event):
        invocation = Invocation(event, self.timeout)
        with self.lock:
            self.running[invocation.id] = invocation
        self.pending.put(invocation)
        invocation.done.wait(self.timeout + 5)
        with self.lock:
            self.running.pop(invocation.id, None)
        return invocation.result

    def finish(self, request_id, kind, body):
        with self.lock:
            invocation = self.running.get(request_id)
        if invocation is None:
            return False
        invocation.result = (kind, body)
        invocation.done.set()
        return True


def read_body(handler):
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def reply(handler, status, body, headers=()):
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class RuntimeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        if self.path != "/2018-06-01/runtime/invocation/next":
            return reply(self, 404, b'{"errorMessage":"not found"}')
        invocation = self.server.function.pending.get()
        reply(self, 200, json.dumps(invocation.event).encode(), [
            ("Content-Type", "application/json"), ("Lambda-Runtime-Aws-Request-Id", invocation.id),
            ("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms)),
            ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:444455556666:function:adjoin-broker")])

    def do_POST(self):
        body = read_body(self)
        parts = self.path.split("/")
        if self.path == "/adjoin-lab/invoke":
            # A direct invocation (what an EventBridge rule does, its permission checked by Lambda): the
            # event as given, the function's own result as the answer.
            result = self.server.function.invoke(json.loads(body))
            self.server.record({"event": "direct-invoke", "functionError": result is None or result[0] == "error"})
            if result is None or result[0] == "error":
                return reply(self, 502, result[1] if result else b'{"errorMessage":"no answer"}')
            return reply(self, 200, result[1], [("Content-Type", "application/json")])
        if self.path == "/2018-06-01/runtime/init/error":
            self.server.function.init_errors.append(body.decode("utf-8", "replace"))
            self.server.record({"event": "init-error", "errorType": self.headers.get("Lambda-Runtime-Function-Error-Type")})
            return reply(self, 202, b'{"status":"OK"}')
        if len(parts) == 6 and parts[1:4] == ["2018-06-01", "runtime", "invocation"] and parts[5] in ("response", "error"):
            if self.server.function.finish(parts[4], parts[5], body):
                return reply(self, 202, b'{"status":"OK"}')
            return reply(self, 400, b'{"errorMessage":"unknown or finished request id"}')
        reply(self, 404, b'{"errorMessage":"not found"}')


class URLHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def _handle(self):
        body = read_body(self)
        entry = {"time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                 "method": self.command, "path": self.path}
        match = AUTH_RE.match((self.headers.get("Authorization") or "").strip())
        if match:
            entry["accessKeyId"] = match["akid"]
        try:
            scope = self.server.verifier.verify(self.command, self.path, list(self.headers.items()), body)
            if scope["service"] != "lambda":
                raise Refusal("signed for %s, not lambda" % scope["service"])
            arn, account = self.server.caller(scope["akid"], self.headers.get("X-Amz-Security-Token"))
        except Refusal as refusal:
            entry.update(verdict="refused", reason=str(refusal), statusCode=403)
            self.server.record(entry)
            return reply(self, 403, b'{"Message":"Forbidden"}', [("Content-Type", "application/json")])
        entry.update(verdict="verified", callerArn=arn)
        path, _, query = self.path.partition("?")
        binary = bool(body) and not (self.headers.get("Content-Type") or "").startswith(("application/json", "text/"))
        event = {
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
            "headers": {k.lower(): v for k, v in self.headers.items() if k.lower() not in ("authorization", "x-amz-security-token")},
            "requestContext": {
                "accountId": "anonymous", "apiId": "lab", "domainName": self.headers.get("Host", ""),
                "http": {"method": self.command, "path": path, "protocol": "HTTP/1.1", "sourceIp": self.client_address[0],
                         "userAgent": self.headers.get("User-Agent", "")},
                "authorizer": {"iam": {"accessKey": scope["akid"], "accountId": account, "callerId": arn.split("/")[-1],
                                       "userArn": arn, "userId": arn.split("/")[-1]}},
                "requestId": str(uuid.uuid4()), "timeEpoch": int(time.time() * 1000),
            },
            "body": base64.b64encode(body).decode() if binary else body.decode("utf-8", "replace"),
            "isBase64Encoded": binary,
        }
        result = self.server.function.invoke(event)
        if result is None or result[0] == "error":
            entry.update(statusCode=502, functionError=result is not None)
            self.server.record(entry)
            return reply(self, 502, b'{"Message":"Internal Server Error"}', [("Content-Type", "application/json")])
        try:
            answer = json.loads(result[1])
            status = int(answer["statusCode"])
            data = answer.get("body", "").encode()
            headers = [(k, v) for k, v in (answer.get("headers") or {}).items()]
        except (ValueError, KeyError, TypeError):
            entry.update(statusCode=502, reason="the function's response is not a function URL response object")
            self.server.record(entry)
            return reply(self, 502, b'{"Message":"Internal Server Error"}')
        entry["statusCode"] = status
        self.server.record(entry)
        self.server.keep_response(data)
        reply(self, status, data, headers)


class Servers:
    def __init__(self, args):
        self.function = Lambda(args.timeout)
        self.verifier = Verifier(args.keys, args.imds_state)
        self.moto = urllib.parse.urlparse(args.moto)
        self.log_path = args.log
        self.responses_path = args.responses
        self.lock = threading.Lock()

    def record(self, entry):
        if not self.log_path:
            return
        with self.lock, open(self.log_path, "a") as log:
            log.write(json.dumps(entry) + "\n")

    def keep_response(self, data):
        if not self.responses_path:
            return
        with self.lock:
            fd = os.open(self.responses_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "ab") as out:
                out.write(data + b"\n")

    def caller(self, akid, token):
        """The ARN and account that STS (moto) gives for this key, as IAM authorization would name the caller."""
        secret = self.verifier.secret_for(akid)
        amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        body = "Action=GetCallerIdentity&Version=2011-06-15"
        url = "http://%s:%d/" % (self.moto.hostname, self.moto.port)
        headers = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Host", "%s:%d" % (self.moto.hostname, self.moto.port))]
        signed = sign("POST", url, headers, body, akid, secret, token, "us-east-1", "sts", amz_date)
        send = dict(headers)
        send.update({"X-Amz-Date": amz_date, "Authorization": signed["authorization"]})
        if token:
            send["X-Amz-Security-Token"] = token
        connection = http.client.HTTPConnection(self.moto.hostname, self.moto.port, timeout=10)
        try:
            connection.request("POST", "/", body=body, headers=send)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise Refusal("STS does not know the key")
        root = ET.fromstring(data)
        fields = {element.tag.split("}")[-1]: element.text for element in root.iter()}
        if not fields.get("Arn") or not fields.get("Account"):
            raise Refusal("STS named no caller")
        return fields["Arn"], fields["Account"]


def serve(args):
    servers = Servers(args)
    runtime = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeHandler)
    url = ThreadingHTTPServer(("127.0.0.1", 0), URLHandler)
    for server in (runtime, url):
        server.daemon_threads = True
        server.function = servers.function
        server.record = servers.record
    url.verifier = servers.verifier
    url.caller = servers.caller
    url.keep_response = servers.keep_response
    print("%d %d" % (runtime.server_address[1], url.server_address[1]), flush=True)
    threading.Thread(target=runtime.serve_forever, daemon=True).start()

    def stop(signum, frame):
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    url.serve_forever()


def sign_and_post():
    request = json.load(sys.stdin)
    target = urllib.parse.urlparse(request["url"])
    path = request.get("path", "/join")
    body = request.get("body", "{}")
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=request.get("ageSeconds", 0))
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    host = "%s:%d" % (target.hostname, target.port)
    headers = [("Content-Type", "application/json"), ("Host", host)]
    signed = sign("POST", "http://%s%s" % (host, path), headers, body, request["accessKeyId"], request["secretAccessKey"],
                  request.get("sessionToken"), request.get("region", "us-east-1"), "lambda", amz_date)
    send = dict(headers)
    send.update({"X-Amz-Date": amz_date, "Authorization": signed["authorization"]})
    if request.get("sessionToken"):
        send["X-Amz-Security-Token"] = request["sessionToken"]
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    try:
        connection.request("POST", path, body=body, headers=send)
        response = connection.getresponse()
        print(json.dumps({"status": response.status, "body": response.read().decode("utf-8", "replace")}))
    finally:
        connection.close()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sign-and-post"]:
        return sign_and_post()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys")
    parser.add_argument("--imds-state")
    parser.add_argument("--moto", required=True)
    parser.add_argument("--log")
    parser.add_argument("--responses")
    parser.add_argument("--timeout", type=float, default=30)
    serve(parser.parse_args(argv))


if __name__ == "__main__":
    main()
