#!/usr/bin/env python3
"""A checking proxy in front of moto_server: every request's SigV4 signature is recomputed with
botocore's SigV4Auth (an independent signer) before the request goes on; a mismatch is refused.

For each request it reads the credential scope (access key id, date, region, service) and the
signed header list from the Authorization header, looks up the secret for that access key id,
and signs the same request (method, URL, the signed headers, body, X-Amz-Date, session token)
with botocore. It refuses, with 403 and the protocol's error shape (SignatureDoesNotMatch for the
query protocol, InvalidSignatureException for JSON), a request that:
  - has no SigV4 Authorization header, or an unknown access key id;
  - leaves host, x-amz-date, or a present x-amz-security-token, x-amz-target or content-type
    header unsigned;
  - has an X-Amz-Date more than 5 minutes off, or a scope date that is not its X-Amz-Date's;
  - carries any other signature than botocore's.

Secrets it knows: the JSON object {accessKeyId: secretAccessKey} in --keys (the lab's static test
keys), the role credentials in the IMDS emulator's --imds-state, and the keys that STS AssumeRole
responses passing through it issue. Both files are re-read on every request.

moto answers DescribeTags with every tag at once, ignoring MaxResults. Real EC2 pages, so for a
verified DescribeTags that asks for MaxResults the proxy cuts moto's reply into pages of that size
with a NextToken (`lab-page-OFFSET`), as EC2 does; moto still chooses the tags.

Tests make the service fail on purpose (throttling, 5xx) through one unsigned control request:
POST /adjoin-lab/fail-next with {"tokenDigest": D, "operation": OP, "failures": [{"status": 400,
"code": "ThrottlingException"}, {"status": 503, "code": "ServiceUnavailable"}, ...]}: the next
verified requests with that session token digest and operation get those replies, one each, in
the protocol's error shape, instead of reaching moto (their verdict lines carry "injected"). A failure
with "bodyContains": S is kept for the first such request whose body holds S (a secret's ARN, say),
so that suites running side by side with the same operation do not take each other's failures.

A service's quota, as AWS enforces it: --quota OPERATION=RATE (repeatable; OPERATION as the log
names it, e.g. AmazonSSM.GetParameter or DynamoDB_20120810.PutItem) lets at most RATE verified
requests of that operation through per second (a token bucket holding one second's worth, refilled
continuously), across every caller, as SSM's default of 40 GetParameter calls per second per account
and Region does. Past it the proxy answers as the service does when it throttles: HTTP 400 with
ThrottlingException ("Rate exceeded"), or ProvisionedThroughputExceededException for DynamoDB's
item writes; the verdict line carries "throttled": true.

moto lets anyone assume any role (it has no trust policies). For a role that must not be assumable,
POST /adjoin-lab/deny-role {"roleArn": ARN} makes every later verified AssumeRole of that ARN get
what STS answers a caller the role's trust policy does not admit: 403 AccessDenied (verdict lines
carry "injected": "AccessDenied").

Every verdict is appended as one JSON line to --log: time, method, service, region, operation,
accessKeyId, tokenDigest (first 16 hex digits of SHA-256 of the session token, or null; never the
token), verdict ("verified" or "refused"), reason, upstreamStatus, and for AssumeRole the ids of the
keys it issued (issuedAccessKeyIds). Nothing secret is logged.

Options: --host (127.0.0.1), --port (0 = ephemeral; the bound port is printed alone on the first
line of stdout), --upstream URL, --keys FILE, --imds-state FILE, --log FILE.
"""

import argparse
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sigv4_reference import sign  # noqa: E402

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)/aws4_request,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})$")
MAX_SKEW = datetime.timedelta(minutes=5)
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "expect"}


def load_json(path):
    if not path:
        return {}
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


class Refusal(Exception):
    pass


class Verifier:
    def __init__(self, keys_path, imds_state_path):
        self.keys_path = keys_path
        self.imds_state_path = imds_state_path
        self.lock = threading.Lock()
        self.issued = {}  # access key id -> secret, from AssumeRole responses

    def secret_for(self, akid):
        keys = load_json(self.keys_path)
        if isinstance(keys, dict) and isinstance(keys.get(akid), str):
            return keys[akid]
        creds = (load_json(self.imds_state_path) or {}).get("credentials") or {}
        if creds.get("accessKeyId") == akid:
            return creds.get("secretAccessKey")
        with self.lock:
            return self.issued.get(akid)

    def remember_issued(self, body):
        """Keys in an STS AssumeRole (or GetSessionToken) response become known; returns their ids."""
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return []
        issued = []
        for element in root.iter():
            if element.tag.split("}")[-1] != "Credentials":
                continue
            fields = {child.tag.split("}")[-1]: (child.text or "") for child in element}
            if fields.get("AccessKeyId") and fields.get("SecretAccessKey"):
                with self.lock:
                    self.issued[fields["AccessKeyId"]] = fields["SecretAccessKey"]
                issued.append(fields["AccessKeyId"])
        return issued

    def verify(self, method, path, headers, body):
        """headers: list of (name, value) as received. Returns the parsed scope; raises Refusal."""
        lower = {}
        for name, value in headers:
            lower.setdefault(name.lower(), value)
        auth = lower.get("authorization")
        if not auth:
            raise Refusal("no Authorization header")
        match = AUTH_RE.match(auth.strip())
        if not match:
            raise Refusal("Authorization is not a SigV4 header")
        scope = match.groupdict()
        signed = scope["signed"].split(";")
        if signed != sorted(signed):
            raise Refusal("SignedHeaders not sorted")
        required = ["host", "x-amz-date"] + [h for h in ("x-amz-security-token", "x-amz-target", "content-type") if h in lower]
        missing = [h for h in required if h not in signed]
        if missing:
            raise Refusal("unsigned header(s): %s" % ", ".join(missing))
        absent = [h for h in signed if h not in lower]
        if absent:
            raise Refusal("signed header(s) not sent: %s" % ", ".join(absent))
        amz_date = lower["x-amz-date"]
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise Refusal("malformed X-Amz-Date")
        if abs(datetime.datetime.now(datetime.timezone.utc) - when) > MAX_SKEW:
            raise Refusal("X-Amz-Date more than 5 minutes off")
        if scope["date"] != amz_date[:8]:
            raise Refusal("credential scope date is not the X-Amz-Date's")
        secret = self.secret_for(scope["akid"])
        if not secret:
            raise Refusal("unknown access key id")
        token = lower.get("x-amz-security-token")
        to_sign = [(h, lower[h]) for h in signed if h not in ("x-amz-date", "x-amz-security-token")]
        url = "http://%s%s" % (lower["host"], path)
        expected = sign(method, url, to_sign, body, scope["akid"], secret, token,
                        scope["region"], scope["service"], amz_date)
        if not hmac.compare_digest(expected["authorization"], auth.strip()):
            raise Refusal("signature differs from botocore's")
        return scope


def request_params(headers, path, body):
    """The query protocol's parameters, from the URL and a form body."""
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query, keep_blank_values=True)
    content_type = next((v for n, v in headers if n.lower() == "content-type"), "")
    if "x-www-form-urlencoded" in content_type:
        params.update(urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def operation_of(headers, path, body):
    for name, value in headers:
        if name.lower() == "x-amz-target":
            return value
    return (request_params(headers, path, body).get("Action") or [None])[0]


def page_describe_tags(reply, params):
    """One page of moto's complete DescribeTags reply, as EC2 would send it for MaxResults/NextToken."""
    try:
        size = int((params.get("MaxResults") or [""])[0])
    except ValueError:
        return reply
    token = (params.get("NextToken") or ["lab-page-0"])[0]
    offset = int(token[len("lab-page-"):]) if token.startswith("lab-page-") and token[len("lab-page-"):].isdigit() else 0
    root = ET.fromstring(reply)
    namespace = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    ET.register_namespace("", namespace.strip("{}"))
    tag_set = root.find(namespace + "tagSet")
    if tag_set is None:
        return reply
    items = list(tag_set)
    for item in items:
        tag_set.remove(item)
    for item in items[offset:offset + size]:
        tag_set.append(item)
    for old in root.findall(namespace + "nextToken"):
        root.remove(old)
    if offset + size < len(items):
        ET.SubElement(root, namespace + "nextToken").text = "lab-page-%d" % (offset + size)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.command == "POST" and self.path == "/adjoin-lab/fail-next":
            return self._plan_failures(body)
        if self.command == "POST" and self.path == "/adjoin-lab/deny-role":
            return self._deny_role(body)
        headers = list(self.headers.items())
        operation = operation_of(headers, self.path, body)
        token = self.headers.get("X-Amz-Security-Token")
        entry = {
            "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "method": self.command, "operation": operation,
            "tokenDigest": hashlib.sha256(token.encode()).hexdigest()[:16] if token else None,
        }
        match = AUTH_RE.match((self.headers.get("Authorization") or "").strip())
        if match:
            entry.update(accessKeyId=match["akid"], service=match["service"], region=match["region"])
        try:
            self.server.verifier.verify(self.command, self.path, headers, body)
        except Refusal as refusal:
            entry.update(verdict="refused", reason=str(refusal))
            self.server.record(entry)
            return self._refuse(str(refusal), json_protocol=self.headers.get("X-Amz-Target") is not None)
        entry["verdict"] = "verified"
        throttled = self.server.over_quota(operation)
        if throttled is not None:
            entry.update(throttled=True, injected=throttled, upstreamStatus=400)
            self.server.record(entry)
            return self._error(400, throttled, "Rate exceeded", json_protocol=self.headers.get("X-Amz-Target") is not None)
        if operation == "AssumeRole" and self.server.denies((request_params(headers, self.path, body).get("RoleArn") or [""])[0]):
            failure = {"status": 403, "code": "AccessDenied"}
        else:
            failure = self.server.next_failure(entry["tokenDigest"], operation, body)
        if failure is not None:
            entry.update(injected=failure["code"], upstreamStatus=failure["status"])
            self.server.record(entry)
            return self._error(failure["status"], failure["code"], failure.get("message", "injected by the lab proxy (%s)" % failure["code"]),
                               json_protocol=self.headers.get("X-Amz-Target") is not None)
        status, reply_headers, reply = self._forward(headers, body)
        entry["upstreamStatus"] = status
        if status == 200 and operation in ("AssumeRole", "GetSessionToken"):
            # Which key a caller got, so that a test can tell its own role's calls from other tests'.
            entry["issuedAccessKeyIds"] = self.server.verifier.remember_issued(reply)
        self.server.record(entry)
        if status == 200 and operation == "DescribeTags":
            reply = page_describe_tags(reply, request_params(headers, self.path, body))
        self.send_response(status)
        for name, value in reply_headers:
            if name.lower() not in HOP_BY_HOP and name.lower() not in ("content-length", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def _forward(self, headers, body):
        upstream = self.server.upstream
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
        try:
            forwarded = {n: v for n, v in headers if n.lower() not in HOP_BY_HOP and n.lower() != "content-length"}
            connection.request(self.command, self.path, body=body, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _plan_failures(self, body):
        # A tokenDigest of "*" matches any session token (credentials a test never sees, such as a role
        # the agent assumes); a failure may carry its own "message" (default "injected by the lab proxy").
        try:
            plan = json.loads(body)
            failures = [{"status": int(f["status"]), "code": str(f["code"]),
                         "message": str(f.get("message", "injected by the lab proxy")),
                         "bodyContains": f.get("bodyContains")} for f in plan["failures"]]
            self.server.plan_failures(plan.get("tokenDigest"), plan["operation"], failures)
            status, data = 200, b"{}"
        except (ValueError, KeyError, TypeError) as error:
            status, data = 400, json.dumps({"error": str(error)}).encode()
        self._control_reply(status, data)

    def _deny_role(self, body):
        try:
            arn = json.loads(body)["roleArn"]
            if not isinstance(arn, str) or not arn.startswith("arn:"):
                raise ValueError("roleArn must be a role ARN")
            self.server.deny_role(arn)
            status, data = 200, b"{}"
        except (ValueError, KeyError, TypeError) as error:
            status, data = 400, json.dumps({"error": str(error)}).encode()
        self._control_reply(status, data)

    def _control_reply(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, reason, json_protocol):
        message = "The request signature we calculated does not match the signature you provided (%s)." % reason
        code = "InvalidSignatureException" if json_protocol else "SignatureDoesNotMatch"
        self._error(403, code, message, json_protocol)

    def _error(self, status, code, message, json_protocol):
        if json_protocol:
            data = json.dumps({"__type": code, "message": message}).encode()
            content_type = "application/x-amz-json-1.1"
        else:
            data = ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message>"
                    "</Error><RequestId>adjoin-lab-proxy</RequestId></ErrorResponse>" % (code, message)).encode()
            content_type = "text/xml"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


class TokenBucket:
    """At most `rate` takes per second, with a burst of one second's worth."""

    def __init__(self, rate):
        self.rate = float(rate)
        self.tokens = float(rate)
        self.updated = time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def parse_quota(text):
    operation, _, rate = text.partition("=")
    if not operation or not rate or float(rate) <= 0:
        raise argparse.ArgumentTypeError("--quota takes OPERATION=RATE, e.g. AmazonSSM.GetParameter=40")
    return operation, float(rate)


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    # An AWS endpoint does not refuse connections when a fleet calls at once; socketserver's backlog of 5 would.
    request_queue_size = 1024

    def __init__(self, address, upstream, verifier, log_path, quotas=()):
        super().__init__(address, Handler)
        self.quotas = {operation: TokenBucket(rate) for operation, rate in quotas}
        self.upstream = urllib.parse.urlsplit(upstream)
        self.verifier = verifier
        self.log_path = log_path
        self.log_lock = threading.Lock()
        self.failures = {}  # (tokenDigest, operation) -> replies still to inject
        self.denied_roles = set()  # role ARNs whose AssumeRole gets AccessDenied

    def over_quota(self, operation):
        """The throttling code to answer with when the operation's quota is spent, else None."""
        bucket = self.quotas.get(operation)
        if bucket is None:
            return None
        with self.log_lock:
            if bucket.take():
                return None
        return "ProvisionedThroughputExceededException" if operation.startswith("DynamoDB_") else "ThrottlingException"

    def plan_failures(self, token_digest, operation, failures):
        with self.log_lock:
            self.failures.setdefault((token_digest, operation), []).extend(failures)

    def deny_role(self, arn):
        with self.log_lock:
            self.denied_roles.add(arn)

    def denies(self, arn):
        with self.log_lock:
            return arn in self.denied_roles

    def next_failure(self, token_digest, operation, body=b""):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        with self.log_lock:
            for key in ((token_digest, operation), ("*", operation)):
                queue = self.failures.get(key) or []
                for index, failure in enumerate(queue):
                    if failure.get("bodyContains") is None or failure["bodyContains"] in text:
                        return queue.pop(index)
            return None

    def record(self, entry):
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.log_lock:
            if self.log_path:
                with open(self.log_path, "a") as f:
                    f.write(line)
            else:
                sys.stderr.write(line)


class ProxyServer6(ProxyServer):
    # The same proxy on an IPv6 address: AWS's dual-stack endpoints as an IPv6-only instance reaches them.
    address_family = socket.AF_INET6


def main(argv=None):
    parser = argparse.ArgumentParser(description="SigV4-checking proxy in front of moto_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--upstream", required=True, help="moto_server's URL, e.g. http://127.0.0.1:5510")
    parser.add_argument("--keys", help="JSON object {accessKeyId: secretAccessKey}")
    parser.add_argument("--imds-state", help="the IMDS emulator's state file (its role credentials)")
    parser.add_argument("--log", help="JSON lines of verdicts (default: stderr)")
    parser.add_argument("--quota", type=parse_quota, action="append", default=[], metavar="OPERATION=RATE",
                        help="at most RATE verified requests of OPERATION per second; past it, the service's throttling answer")
    parser.add_argument("--host6", help="also listen on this IPv6 address, same port, with the same state")
    args = parser.parse_args(argv)
    server = ProxyServer((args.host, args.port), args.upstream, Verifier(args.keys, args.imds_state), args.log, args.quota)
    if args.host6:
        server6 = ProxyServer6((args.host6, server.server_address[1]), args.upstream, server.verifier, args.log)
        # One proxy on two addresses: planned failures, quotas, denied roles and the log's lock are shared.
        for name in ("quotas", "failures", "denied_roles", "log_lock"):
            setattr(server6, name, getattr(server, name))
        threading.Thread(target=server6.serve_forever, daemon=True).start()
    sys.stdout.write("%d\n" % server.server_address[1])
    sys.stdout.flush()

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
