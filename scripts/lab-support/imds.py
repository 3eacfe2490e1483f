#!/usr/bin/env python3
"""IMDSv2 emulator for the adjoin lab (Python 3 standard library only).

Behaves like the EC2 instance metadata service with HttpTokens=required:

  PUT /latest/api/token   header X-aws-ec2-metadata-token-ttl-seconds: 1..21600
                          -> 200 and a random token valid for that many seconds;
                          400 when the header is missing or out of range;
                          403 when the request carries X-Forwarded-For.
  GET <anything>          header X-aws-ec2-metadata-token: a valid, unexpired token,
                          else 401 (IMDSv1 is disabled).

The instance's state is a JSON file (--state) that is re-read on every request, so a
test can change tags, the lifecycle state or a spot action by rewriting it (write a
temporary file and rename it over the old one). Keys missing from the file take their
defaults; when the file does not exist the defaults are written to it. Keys:

  instanceId, accountId, region, availabilityZone, instanceType, imageId, architecture,
  pendingTime, hostname, localHostname, localIpv4 (null: an IPv6-only instance, which has no
  local-ipv4), ipv6 (the instance's IPv6 address, at meta-data/ipv6), mac, tags (object), tagsExposed (bool),
  lifecycleState (string or null), spotInstanceAction (object like
  {"action": "terminate", "time": "2026-01-01T00:00:00Z"} or null), roleName (string or
  null), credentials ({accessKeyId, secretAccessKey, token}), credentialLifetimeSeconds,
  tokenTtlCapSeconds (null, or a number of seconds, may be fractional: tokens then expire
  after min(requested TTL, cap) although the response still echoes the requested TTL,
  as if the service had dropped them early), httpTokens ("required" or "optional"),
  userData (string or null).

Options: --host (default 127.0.0.1), --port (0 = ephemeral; the bound port is printed
alone on the first line of stdout), --state FILE. Requests are logged to stderr without
tokens or secrets.

A fleet: --fleet DIR serves every DIR/*.json state as an instance of its own, each on its own
ephemeral port with its own tokens (a token one instance issued is refused by the others), in one
process. The first line of stdout is then a JSON object {"STATE-FILE-NAME": port, ...}.
"""

import argparse
import datetime
import json
import os
import secrets
import selectors
import signal
import socket
import string
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MIN_TTL, MAX_TTL = 1, 21600


def _utc(ts=None):
    if ts is None:
        ts = time.time()
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _random_key(prefix, length, alphabet):
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length - len(prefix)))


def default_state():
    started = time.time()
    return {
        "instanceId": "i-0123456789abcdef0",
        "accountId": "123456789012",
        "region": "us-east-1",
        "availabilityZone": "us-east-1a",
        "instanceType": "t3.medium",
        "imageId": "ami-0abcdef1234567890",
        "architecture": "x86_64",
        "pendingTime": _utc(started),
        "hostname": "ip-10-0-0-12.ec2.internal",
        "localHostname": "ip-10-0-0-12.ec2.internal",
        "localIpv4": "10.0.0.12",
        "mac": "02:00:0a:00:00:0c",
        "tags": {"Name": "lab-instance", "adGroupName": "linux-admins"},
        "tagsExposed": True,
        "lifecycleState": "InService",
        "spotInstanceAction": None,
        "roleName": "adjoin-lab-instance-role",
        "credentials": {
            # moto does not check credentials; these only have the right shape.
            "accessKeyId": _random_key("ASIA", 20, string.ascii_uppercase + string.digits),
            "secretAccessKey": _random_key("", 40, string.ascii_letters + string.digits + "+/"),
            "token": secrets.token_urlsafe(96),
        },
        "credentialLifetimeSeconds": 3600,
        "tokenTtlCapSeconds": None,
        "httpTokens": "required",
        "userData": None,
    }


def write_json_atomic(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".imds-state.", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
        os.chmod(tmp, 0o600)  # holds the role's (fake) credentials
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class StateStore:
    """Reads the state file when it changed (a test renames a new one over it); keeps the last good copy."""

    def __init__(self, path):
        self.path = path
        self.defaults = default_state()
        self.lock = threading.Lock()
        self.last_good = dict(self.defaults)
        self.read_as = None
        if not os.path.exists(path):
            write_json_atomic(path, self.defaults)

    def get(self):
        # A fleet's 1,000 instances each ask several times at boot: a stat instead of a parse each time.
        try:
            info = os.stat(self.path)
            seen = (info.st_ino, info.st_mtime_ns, info.st_size)
        except OSError:
            seen = None
        with self.lock:
            if seen is not None and seen == self.read_as:
                return self.last_good
        try:
            with open(self.path) as f:
                loaded = json.load(f)
            if not isinstance(loaded, dict):
                raise ValueError("state is not a JSON object")
            state = dict(self.defaults)
            state.update(loaded)
            creds = dict(self.defaults["credentials"])
            creds.update(loaded.get("credentials") or {})
            state["credentials"] = creds
            with self.lock:
                self.last_good = state
                self.read_as = seen
            return state
        except (OSError, ValueError) as e:
            log("state file %s unreadable (%s); using the last good state" % (self.path, e))
            with self.lock:
                return self.last_good


class TokenStore:
    def __init__(self):
        self.lock = threading.Lock()
        self.tokens = {}

    def issue(self, lifetime):
        token = secrets.token_urlsafe(42)
        now = time.monotonic()
        with self.lock:
            # drop expired tokens so the table stays small
            for t in [t for t, exp in self.tokens.items() if exp <= now]:
                del self.tokens[t]
            self.tokens[token] = now + lifetime
        return token

    def valid(self, token):
        with self.lock:
            exp = self.tokens.get(token)
        return exp is not None and time.monotonic() < exp


def log(msg):
    sys.stderr.write("imds: %s %s\n" % (_utc(), msg))
    sys.stderr.flush()


def build_tree(state):
    """The metadata tree: dicts are directories, strings are leaves."""
    now = time.time()
    document = {
        "accountId": state["accountId"],
        "architecture": state["architecture"],
        "availabilityZone": state["availabilityZone"],
        "billingProducts": None,
        "devpayProductCodes": None,
        "marketplaceProductCodes": None,
        "imageId": state["imageId"],
        "instanceId": state["instanceId"],
        "instanceType": state["instanceType"],
        "kernelId": None,
        "pendingTime": state["pendingTime"],
        "privateIp": state.get("localIpv4") or None,
        "ramdiskId": None,
        "region": state["region"],
        "version": "2017-09-30",
    }
    meta = {
        "ami-id": state["imageId"],
        "ami-launch-index": "0",
        "hostname": state["hostname"],
        "instance-id": state["instanceId"],
        "instance-life-cycle": "spot" if state.get("spotInstanceAction") else "on-demand",
        "instance-type": state["instanceType"],
        "local-hostname": state["localHostname"],
        "mac": state["mac"],
        "placement": {
            "availability-zone": state["availabilityZone"],
            "region": state["region"],
        },
    }
    # An IPv6-only instance has no local-ipv4 (a 404), and its primary IPv6 address under ipv6.
    if state.get("localIpv4"):
        meta["local-ipv4"] = state["localIpv4"]
    if state.get("ipv6"):
        meta["ipv6"] = state["ipv6"]
    role = state.get("roleName")
    if role:
        creds = state["credentials"]
        meta["iam"] = {
            "info": _json({
                "Code": "Success",
                "LastUpdated": _utc(now),
                "InstanceProfileArn": "arn:aws:iam::%s:instance-profile/%s" % (state["accountId"], role),
                "InstanceProfileId": "AIPAADJOINLABPROFILE1",
            }),
            "security-credentials": {
                role: _json({
                    "Code": "Success",
                    "LastUpdated": _utc(now),
                    "Type": "AWS-HMAC",
                    "AccessKeyId": creds["accessKeyId"],
                    "SecretAccessKey": creds["secretAccessKey"],
                    "Token": creds["token"],
                    "Expiration": _utc(now + float(state["credentialLifetimeSeconds"])),
                }),
            },
        }
    if state.get("tagsExposed"):
        meta["tags"] = {"instance": {str(k): str(v) for k, v in (state.get("tags") or {}).items()}}
    if state.get("lifecycleState"):
        meta["autoscaling"] = {"target-lifecycle-state": str(state["lifecycleState"])}
    spot = state.get("spotInstanceAction")
    if spot:
        meta["spot"] = {"instance-action": _json(spot)}
        if isinstance(spot, dict) and spot.get("time"):
            meta["spot"]["termination-time"] = str(spot["time"])
    latest = {
        "dynamic": {"instance-identity": {"document": _json(document)}},
        "meta-data": meta,
    }
    if state.get("userData") is not None:
        latest["user-data"] = str(state["userData"])
    return {"latest": latest}


def _json(obj):
    return json.dumps(obj, indent=2, separators=(",", " : "))


def lookup(tree, path):
    """Returns (status, body) for a GET of path."""
    if path == "/":
        return 200, "latest"
    parts = [p for p in path.split("/") if p]
    node = tree
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return 404, None
        node = node[part]
    if isinstance(node, dict):
        if parts == ["latest"]:
            names = sorted(node)  # /latest/ lists its children without slashes
        elif parts[-1] == "security-credentials" or parts[-2:] == ["tags", "instance"]:
            names = list(node)  # role names and tag keys: plain names
        else:
            names = sorted(k + "/" if isinstance(v, dict) else k for k, v in node.items())
        return 200, "\n".join(names)
    return 200, node  # a leaf answers with or without a trailing slash, as the real one does


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EC2ws"
    sys_version = ""

    # the server object carries .state and .tokens

    def log_message(self, fmt, *args):  # default access log would go to stderr unfiltered
        pass

    def _discard_body(self):
        length = self.headers.get("Content-Length")
        if length:
            try:
                self.rfile.read(int(length))
            except ValueError:
                pass

    def _send(self, status, body=None, headers=None):
        if body is None:
            body = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
                    404: "Not Found", 405: "Method Not Allowed"}.get(status, "")
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        log("%s %s %d" % (self.command, self.path.split("?")[0], status))

    def do_PUT(self):
        self._discard_body()
        path = self.path.split("?")[0]
        if path != "/latest/api/token":
            return self._send(405)
        if self.headers.get("X-Forwarded-For") is not None:
            return self._send(403)
        raw = self.headers.get(TOKEN_TTL_HEADER)
        try:
            ttl = int(raw.strip())
        except (AttributeError, ValueError):
            return self._send(400)
        if not MIN_TTL <= ttl <= MAX_TTL:
            return self._send(400)
        state = self.server.state.get()
        lifetime = float(ttl)
        cap = state.get("tokenTtlCapSeconds")
        if cap is not None:
            lifetime = min(lifetime, float(cap))
        token = self.server.tokens.issue(lifetime)
        return self._send(200, token, {TOKEN_TTL_HEADER: str(ttl)})

    def do_GET(self):
        self._discard_body()
        path = self.path.split("?")[0]
        state = self.server.state.get()
        token = self.headers.get(TOKEN_HEADER)
        if token is None:
            if state.get("httpTokens", "required") != "optional":
                return self._send(401)
        elif not self.server.tokens.valid(token):
            return self._send(401)
        if path == "/latest/api/token":
            return self._send(405)
        status, body = lookup(build_tree(state), path)
        return self._send(status, body)

    def _not_allowed(self):
        self._discard_body()
        self._send(405)

    do_POST = do_DELETE = do_PATCH = _not_allowed


class MetadataServer(ThreadingHTTPServer):
    # socketserver's default backlog of 5 refuses connections that a real instance's metadata service
    # would take: a fleet's agents all connect at once.
    request_queue_size = 128


class MetadataServer6(MetadataServer):
    # The same service on an IPv6 address, as an IPv6-only subnet's instances reach it ([fd00:ec2::254]).
    address_family = socket.AF_INET6


def instance_server(host, port, state_path):
    """One instance's metadata service: its own state and its own tokens."""
    server = (MetadataServer6 if ":" in host else MetadataServer)((host, port), Handler)
    server.daemon_threads = True
    server.state = StateStore(state_path)
    server.tokens = TokenStore()
    return server


def serve_all(servers):
    """Every instance's server from this one thread: a selector over their listening sockets, each
    connection then handled in a thread of its own. A thread per instance, each polling its socket
    twice a second, was most of the emulator's load at 1,000 instances, and on a machine that busy it
    answered too late."""
    with selectors.DefaultSelector() as selector:
        for server in servers:
            selector.register(server, selectors.EVENT_READ)
        while True:
            for key, _ in selector.select():
                key.fileobj._handle_request_noblock()


def main(argv=None):
    parser = argparse.ArgumentParser(description="IMDSv2 emulator for the adjoin lab")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = an ephemeral port")
    parser.add_argument("--host6", help="also serve the same instance on this IPv6 address, same port (--state only)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--state", help="JSON state file (created with defaults if absent)")
    source.add_argument("--fleet", help="a folder of JSON state files: one instance each, each on its own port")
    args = parser.parse_args(argv)

    if args.fleet:
        names = sorted(name for name in os.listdir(args.fleet) if name.endswith(".json"))
        if not names:
            parser.error("--fleet %s holds no .json state" % args.fleet)
        servers = {name: instance_server(args.host, 0, os.path.join(args.fleet, name)) for name in names}
        sys.stdout.write(json.dumps({name: server.server_address[1] for name, server in servers.items()}) + "\n")
        log("listening on %s for %d instances of %s" % (args.host, len(servers), args.fleet))
        sys.stdout.flush()
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        signal.signal(signal.SIGINT, lambda signum, frame: sys.exit(0))
        try:
            serve_all(servers.values())
        finally:
            for server in servers.values():
                server.server_close()
            log("stopped")
        return 0
    else:
        server = instance_server(args.host, args.port, args.state)
        port = server.server_address[1]
        sys.stdout.write("%d\n" % port)
        log("listening on %s:%d, state %s" % (args.host, port, args.state))
        if args.host6:
            # One instance on both addresses: the same state and the same tokens.
            server6 = MetadataServer6((args.host6, port), Handler)
            server6.daemon_threads = True
            server6.state, server6.tokens = server.state, server.tokens
            threading.Thread(target=server6.serve_forever, daemon=True).start()
            log("also listening on [%s]:%d" % (args.host6, port))
    sys.stdout.flush()

    def stop(signum, frame):
        raise KeyboardInterrupt  # leaves serve_forever at once, in the main thread

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
