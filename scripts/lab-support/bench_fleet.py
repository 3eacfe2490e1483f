#!/usr/bin/env python3
"""A fleet booting at once, on this machine: N instances, each with its own identity, host name and role
credentials from one IMDSv2 emulator (a port each), join the lab's one Samba DC at the same moment through
the boot unit's own path (`adjoin join --unless-joined --retry-for ...`, settings and password from one
SecureString parameter, status in DynamoDB), with SSM's default quota enforced by a checking proxy in front
of moto (40 GetParameter calls per second; past it HTTP 400 ThrottlingException) and a DynamoDB write quota.
Every agent joins with --no-configure under its own root and keytab.

It first times K joins back to back (the DC's own pace), then the fleet, and prints a table and, last,
one JSON line: instances, joined, gaveUp, lastJoinedSeconds, p50JoinedSeconds, p99JoinedSeconds,
throttledCalls, maxAttempts, dcCpuSeconds, dcCpuSecondsPerJoin, peakMemoryMiB, backToBackSeconds,
targetSeconds (2 x the DC's time for N joins back to back + N/40 s), cpuSeconds (the DC's, the agents', the AWS and
metadata doubles', and the machine's busy and idle core-seconds during the storm), dcCoresBy10Seconds (the DC's
CPU in cores, each 10 s of the storm) and dcUnderHalfACoreSeconds (seconds in which the DC used less than half a
core: a DC waiting for its herd, not queueing it), joinedWithoutDnsRecord (JOINED with the DNS registration's
failure as a warning). The computer accounts are deleted afterwards (not timed).

With --broker the fleet joins through the join broker instead (`adjoin join --broker URL`, no settings and
no password on any instance): N instances launched in moto's EC2 in a member account, each with its
instance profile session (an STS AssumeRole named after the instance, so that the function URL stand-in
names the caller as IAM would), --broker-sandboxes concurrent `adjoin broker` processes (Lambda's
sandboxes) behind scripts/lab-support/lambda_standins.py, the settings in a central table of the broker's
account and the password in its Secrets Manager secret. The JSON line then also has broker: true and
brokerSandboxes.
"""
import argparse
import fcntl
import json
import os
import secrets
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TICKS = os.sysconf("SC_CLK_TCK")


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit("bench-fleet: %s is not set: eval \"$(scripts/lab env)\" first" % name)
    return value


def say(text):
    sys.stderr.write("bench-fleet: %s\n" % text)
    sys.stderr.flush()


def random_text(count, alphabet):
    return "".join(secrets.choice(alphabet) for _ in range(count))


# ---------------------------------------------------------------- the DC's processes and memory

def failure_reason(message):
    """A failed attempt's message ("TIMEOUT: Kerberos (SASL GSS-SPNEGO) bind to dc1...: Timed out; trying again
    in 674 ms"), reduced to its status and the step that failed, so that attempts can be counted by why."""
    status, _, text = message.partition(": ")
    text = text.split("; trying again")[0]
    for needle, step in (("ThrottlingException", "SSM throttled"), ("SSM parameter", "SSM"), ("CLDAP", "locating the DC"),
                         ("domain controller", "locating the DC"), ("bind", "LDAP bind"), ("Kerberos login", "Kerberos login"),
                         ("KDC", "Kerberos"), ("LDAP", "LDAP"), ("creating", "LDAP add"), ("lock", "host lock"),
                         ("DynamoDB", "status table"),
                         ("instance metadata", "instance metadata")):
        if needle in text:
            return "%s: %s" % (status, step)
    return "%s: %s" % (status, text[:60])


def children_map():
    """Each process's children, from one pass over /proc."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(name))
            except OSError:
                continue
    return children


def process_tree(root, children=None):
    """root and every process below it (samba forks its services; flock runs the agent as its child)."""
    if children is None:
        children = children_map()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids):
    """User and system time of these processes, with that of their reaped children."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15])
        except OSError:
            continue
    return total / TICKS


def rss_mib(pids):
    """Proportional set size: pages shared between processes (samba's forks, the agents' one binary)
    are counted once in all, not once per process."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total / 1024


class MemorySampler(threading.Thread):
    """The whole run's resident memory (agents and DC) every 0.2 s; keeps the peak."""

    def __init__(self, dc_root):
        super().__init__(daemon=True)
        self.dc_root = dc_root
        self.agents = []
        self.peak = 0.0
        self.running = True

    def run(self):
        while self.running:
            began = time.monotonic()
            children = children_map()
            pids = process_tree(self.dc_root, children)
            # Each agent is flock and, below it, adjoin: both counted.
            for process in list(self.agents):
                if process.returncode is None:
                    pids += process_tree(process.pid, children)
            self.peak = max(self.peak, rss_mib(pids))
            # Reading 1,000 agents' PSS takes a while on a busy machine: this thread samples at most a
            # fifth of the time, so that the bench does not take the CPU the agents and the DC need.
            time.sleep(max(0.2, 4 * (time.monotonic() - began)))


def machine_cpu_seconds():
    """(busy, idle) core-seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICKS, idle / TICKS


class CPUSampler(threading.Thread):
    """The DC's CPU each second of the storm: where it used less than a core while agents were still
    waiting, the storm left it idle (pauses, dropped connections), not busy (queueing)."""

    def __init__(self, dc_root):
        super().__init__(daemon=True)
        self.dc_root = dc_root
        self.per_second = []
        self.running = True

    def run(self):
        last = cpu_seconds(process_tree(self.dc_root))
        while self.running:
            time.sleep(1)
            now = cpu_seconds(process_tree(self.dc_root))
            self.per_second.append(now - last)
            last = now


# ---------------------------------------------------------------- helpers that run in the background

class Background:
    """`priority`: a service that on AWS does not share the instances' CPU (the metadata service, SSM's
    endpoint) runs ahead of the agents (nice -10), as it would beside 1,000 instances that are not on
    this machine's 2 cores: the bench measures adjoin and the DC, not a double starved by the agents."""

    def __init__(self, argv, log_path, priority=False):
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                        preexec_fn=(lambda: os.nice(-10)) if priority else None)
        self.first_line = self.process.stdout.readline()
        if not self.first_line:
            raise SystemExit("bench-fleet: %s did not start (see %s)" % (argv[1], log_path))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# ---------------------------------------------------------------- the broker's fleet

BROKER_ACCOUNT = "444455556666"
MEMBER_ACCOUNT = "210987654321"


class Spawned:
    """A process started without a first line to wait for (a broker sandbox polls the runtime API)."""

    def __init__(self, process):
        self.process = process

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def setup_broker_fleet(count, run_id, lab, password, fleet, keys, aws_fixtures):
    """The central account's table and secret, N running instances in the member account (moto's EC2), each
    with an instance profile session named after it; their IMDS states in `fleet`, their keys in `keys`."""
    broker_role = "arn:aws:iam::%s:role/adjoin-broker" % BROKER_ACCOUNT
    table = "adjoin-fleet-broker-%s" % run_id
    aws_fixtures.create_status_table(table, role=broker_role, key="accountId")
    secret = aws_fixtures.put_secret("adjoin-fleet/%s" % run_id, password, role=broker_role)
    aws_fixtures.put_item(table, {"accountId": {"S": MEMBER_ACCOUNT}, "domain": {"S": lab["domain"]},
                                  "domainControllers": {"L": [{"S": lab["dc"]}]}, "joinUser": {"S": lab["user"]},
                                  "joinPasswordSecret": {"S": secret}, "organizationalUnit": {"S": lab["ou"]},
                                  "computerNameFrom": {"S": "instance-id"}}, role=broker_role)
    credentials = aws_fixtures.assume_role(broker_role, session="adjoin-broker")
    keys[credentials["accessKeyId"]] = credentials["secretAccessKey"]
    ec2 = aws_fixtures.client("ec2", "us-east-1", role="arn:aws:iam::%s:role/fixture" % MEMBER_ACCOUNT)
    instances = []
    while len(instances) < count:
        batch = min(100, count - len(instances))
        instances += ec2.run_instances(ImageId="ami-12c6146b", MinCount=batch, MaxCount=batch)["Instances"]
    for index, instance in enumerate(instances):
        session = aws_fixtures.assume_role("arn:aws:iam::%s:role/adjoin-fleet-role" % MEMBER_ACCOUNT, session=instance["InstanceId"])
        keys[session["accessKeyId"]] = session["secretAccessKey"]
        host = instance["PrivateDnsName"]
        state = {"instanceId": instance["InstanceId"], "accountId": MEMBER_ACCOUNT, "region": "us-east-1",
                 "hostname": host, "localHostname": host, "localIpv4": instance["PrivateIpAddress"],
                 "tags": {}, "tagsExposed": True, "roleName": "adjoin-fleet-role",
                 "credentials": {"accessKeyId": session["accessKeyId"], "secretAccessKey": session["secretAccessKey"],
                                 "token": session["sessionToken"]}}
        with open(os.path.join(fleet, "%05d.json" % index), "w") as f:
            json.dump(state, f)
    return {"credentials": credentials, "table_arn": "arn:aws:dynamodb:us-east-1:%s:table/%s" % (BROKER_ACCOUNT, table),
            "ids": [instance["InstanceId"] for instance in instances]}


# ---------------------------------------------------------------- the bench

def back_to_back(adjoin, lab, count, work):
    """The DC's own pace: `count` joins one after the other (DC given, no AWS), seconds per join."""
    times, names = [], []
    for index in range(count):
        name = "BB%s%02d" % (random_text(6, string.ascii_uppercase + string.digits), index)
        root = os.path.join(work, "bb-%d" % index)
        os.makedirs(root)
        with open(lab["join_pw"], "rb") as stdin:
            start = time.perf_counter()
            result = subprocess.run([adjoin, "join", "--domain", lab["domain"], "--domain-controller", lab["dc"],
                                     "--user", lab["user"], "--password-stdin", "--ou", lab["ou"],
                                     "--host-fqdn", "%s.%s" % (name.lower(), lab["domain"]), "--computer-name", name,
                                     "--root", root, "--no-configure", "--owner", "bench-fleet", "--quiet"],
                                    stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit("bench-fleet: a back-to-back join failed: %s" % result.stderr.strip()[-400:])
        names.append("CN=%s,%s" % (name, lab["ou"]))
    return statistics.median(times), names


def delete_accounts(dns, lab):
    if not dns:
        return
    with tempfile.NamedTemporaryFile("w", suffix=".dns") as listing:
        listing.write("\n".join(dns) + "\n")
        listing.flush()
        subprocess.run(["ldapdelete", "-c", "-r", "-H", "ldaps://%s" % lab["dc"], "-D", "Administrator@%s" % lab["realm"],
                        "-y", lab["admin_pw"], "-f", listing.name],
                       env={**os.environ, "LDAPTLS_REQCERT": "never"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--adjoin", required=True, help="the agent binary (release build)")
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--retry-for", default="30m", help="the boot unit's --retry-for")
    parser.add_argument("--ssm-quota", type=float, default=40, help="GetParameter calls per second (SSM's default: 40)")
    parser.add_argument("--dynamodb-quota", type=float, default=100, help="PutItem calls per second on the status table")
    parser.add_argument("--back-to-back", type=int, default=20, help="joins timed one after the other first (0: none)")
    parser.add_argument("--single-attempt", action="store_true", help="without --retry-for, as the boot unit was before")
    parser.add_argument("--broker", action="store_true", help="join through the join broker (no password on any instance)")
    parser.add_argument("--broker-sandboxes", type=int, default=4, help="with --broker: concurrent broker processes (Lambda sandboxes)")
    args = parser.parse_args()
    if not 1 <= args.instances <= 1000:
        parser.error("--instances must be 1 to 1000")

    lab = {"domain": env("ADJOIN_LAB_DOMAIN"), "dc": env("ADJOIN_LAB_DC_IP"), "realm": env("ADJOIN_LAB_REALM"),
           "user": env("ADJOIN_LAB_JOIN_USER"), "join_pw": env("ADJOIN_LAB_JOIN_PASSWORD_FILE"),
           "admin_pw": env("ADJOIN_LAB_ADMIN_PASSWORD_FILE"), "ou": env("ADJOIN_LAB_OU")}
    moto = env("ADJOIN_LAB_MOTO_ENDPOINT")
    lab_dir = env("ADJOIN_LAB_DIR")
    with open(os.path.join(lab_dir, "dc", "run", "samba.pid")) as f:
        dc_root = int("".join(ch for ch in f.read() if ch.isdigit()))

    work = tempfile.mkdtemp(prefix="adjoin-fleet-")
    broker_setup = None
    run_id = uuid.uuid4().hex[:12]
    background = []
    created = []
    try:
        with open(lab["join_pw"]) as f:
            password = f.read().rstrip("\n")
        import aws_fixtures  # the lab's fixtures (boto3, imported only when a run starts)
        fleet = os.path.join(work, "fleet")
        os.makedirs(fleet)
        keys = {}
        if args.broker:
            broker_setup = setup_broker_fleet(args.instances, run_id, lab, password, fleet, keys, aws_fixtures)
            del password
        else:
            broker_setup = None
            # Settings, password included, in one SecureString (one GetParameter per instance); the status table.
            table = "adjoin-fleet-%s" % run_id
            parameter = "/adjoin-fleet/%s" % run_id
            settings = {"domain": lab["domain"], "domainControllers": [lab["dc"]], "joinUser": lab["user"], "joinPassword": password,
                        "organizationalUnit": lab["ou"], "statusTable": table, "computerNameFrom": "instance-id"}
            aws_fixtures.put_secure_string(parameter, json.dumps(settings))
            del password, settings
            aws_fixtures.create_status_table(table)

        # N instances: identity, host name and role credentials each; the proxy knows their secrets.
        for index in range(args.instances if not args.broker else 0):
            akid = "ASIA" + random_text(16, string.ascii_uppercase + "234567")
            secret = random_text(40, string.ascii_letters + string.digits)
            keys[akid] = secret
            host = "ip-10-77-%d-%d.ec2.internal" % (index // 250, index % 250 + 1)
            state = {"instanceId": "i-0%s%04x" % (run_id[:12], index), "accountId": "123456789012", "region": "us-east-1",
                     "hostname": host, "localHostname": host, "localIpv4": "10.77.%d.%d" % (index // 250, index % 250 + 1),
                     "tags": {}, "tagsExposed": True, "roleName": "adjoin-fleet-role",
                     "credentials": {"accessKeyId": akid, "secretAccessKey": secret, "token": secrets.token_urlsafe(48)}}
            with open(os.path.join(fleet, "%05d.json" % index), "w") as f:
                json.dump(state, f)
        keys_file = os.path.join(work, "keys.json")
        with open(keys_file, "w") as f:
            json.dump(keys, f)
        os.chmod(keys_file, 0o600)

        imds = Background([sys.executable, os.path.join(HERE, "imds.py"), "--fleet", fleet], os.path.join(work, "imds.log"), priority=True)
        background.append(imds)
        ports = json.loads(imds.first_line)
        verdicts = os.path.join(work, "verdicts.jsonl")
        proxy = Background([sys.executable, os.path.join(HERE, "sigv4_proxy.py"), "--port", "0", "--upstream", moto,
                            "--keys", keys_file, "--log", verdicts,
                            "--quota", "AmazonSSM.GetParameter=%g" % args.ssm_quota,
                            "--quota", "DynamoDB_20120810.PutItem=%g" % args.dynamodb_quota], os.path.join(work, "proxy.log"), priority=True)
        background.append(proxy)
        proxy_url = "http://127.0.0.1:%d" % int(proxy.first_line)
        if broker_setup:
            standins = Background([sys.executable, "-u", os.path.join(HERE, "lambda_standins.py"), "--keys", keys_file, "--moto", moto,
                                   "--log", os.path.join(work, "function-url.jsonl"), "--timeout", "60"], os.path.join(work, "standins.log"))
            background.append(standins)
            runtime_port, url_port = (int(p) for p in standins.first_line.split())
            broker_url = "http://127.0.0.1:%d" % url_port
            for sandbox in range(args.broker_sandboxes):
                credentials = broker_setup["credentials"]
                process = subprocess.Popen([args.adjoin, "broker"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                           stderr=open(os.path.join(work, "broker-%d.log" % sandbox), "w"),
                                           env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "AWS_REGION": "us-east-1",
                                                "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % runtime_port, "AWS_ENDPOINT_URL": proxy_url,
                                                "AWS_ACCESS_KEY_ID": credentials["accessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["secretAccessKey"],
                                                "AWS_SESSION_TOKEN": credentials["sessionToken"],
                                                "ADJOIN_BROKER_SETTINGS": broker_setup["table_arn"], "ADJOIN_BROKER_MEMBER_ROLE": "adjoin-broker-member"})
                background.append(Spawned(process))

        per_join = None
        if args.back_to_back:
            say("timing %d joins back to back against %s (the DC's own pace)" % (args.back_to_back, lab["dc"]))
            per_join, names = back_to_back(args.adjoin, lab, args.back_to_back, work)
            created += names
            say("median %.0f ms per join" % (per_join * 1000))

        sampler = MemorySampler(dc_root)
        dc_sampler = CPUSampler(dc_root)
        with open(os.path.join(lab_dir, "run", "moto.pid")) as f:
            moto_root = int("".join(ch for ch in f.read() if ch.isdigit()))
        doubles = lambda: cpu_seconds(process_tree(moto_root)) + sum(
            cpu_seconds(process_tree(b.process.pid)) for b in background)
        dc_before = cpu_seconds(process_tree(dc_root))
        doubles_before, agents_before, machine_before = doubles(), os.times(), machine_cpu_seconds()
        say("booting %d instances at once (%s)" % (args.instances, "one attempt each" if args.single_attempt else "--retry-for " + args.retry_for))
        sampler.start()
        dc_sampler.start()
        # Every agent waits at a shared flock on this file while the bench holds it exclusively, so that all
        # of them start at one moment, as instances that booted together do, however slowly they were spawned.
        gate = open(os.path.join(work, "start.gate"), "w")
        fcntl.flock(gate, fcntl.LOCK_EX)
        agents = []
        for index, (name, port) in enumerate(sorted(ports.items())):
            root = os.path.join(work, "root-%05d" % index)
            os.makedirs(root)
            if broker_setup:
                argv = [args.adjoin, "join", "--unless-joined", "--broker", broker_url, "--no-configure", "--root", root, "--output", "json"]
            else:
                argv = [args.adjoin, "join", "--unless-joined", "--parameter", parameter, "--no-configure", "--root", root, "--output", "json"]
            if not args.single_attempt:
                argv[3:3] = ["--retry-for", args.retry_for]
            out = open(os.path.join(work, "agent-%05d.json" % index), "w+")
            err = open(os.path.join(work, "agent-%05d.log" % index), "w+")
            process = subprocess.Popen(["flock", "--shared", gate.name] + argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                       env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                            "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:%d" % port,
                                            "AWS_ENDPOINT_URL": proxy_url})
            agents.append({"process": process, "out": out, "err": err, "end": None})
            sampler.agents.append(process)
        start = time.monotonic()
        fcntl.flock(gate, fcntl.LOCK_UN)
        gate.close()
        # Woken by each agent's exit (left unreaped by waitid until poll reaps it), rather than polling
        # 1,000 processes twenty times a second, which took a core of its own from the agents and the DC.
        by_pid = {agent["process"].pid: agent for agent in agents}
        waiting = len(agents)
        while waiting:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
            agent = by_pid.pop(info.si_pid, None) if info else None
            if agent is None:
                # A helper in the background exited: look at the agents the slow way until they are done.
                for agent in agents:
                    if agent["end"] is None and agent["process"].poll() is not None:
                        agent["end"] = time.monotonic() - start
                        waiting -= 1
                time.sleep(0.05)
                continue
            agent["process"].wait()
            agent["end"] = time.monotonic() - start
            waiting -= 1
        wall = time.monotonic() - start
        sampler.running = False
        dc_sampler.running = False
        sampler.join()
        dc_sampler.join()
        dc_cpu = cpu_seconds(process_tree(dc_root)) - dc_before
        agents_after = os.times()
        # flock waits for its adjoin: each agent's CPU is in the bench's reaped children's.
        agents_cpu = (agents_after.children_user + agents_after.children_system
                      - agents_before.children_user - agents_before.children_system)
        doubles_cpu = doubles() - doubles_before
        busy, idle = (after - before for after, before in zip(machine_cpu_seconds(), machine_before))
        # Seconds of the storm in which the DC used under half a core: the DC waiting for the herd.
        dc_idle_seconds = sum(1 for used in dc_sampler.per_second if used < 0.5)

        joined, gave_up, attempts, outcomes, failures, without_dns = [], 0, [], {}, {}, 0
        for agent in agents:
            agent["out"].seek(0)
            agent["err"].seek(0)
            try:
                result = json.loads(agent["out"].read() or "{}")
            except ValueError:
                result = {}
            status = result.get("status", "no output (exit %d)" % agent["process"].returncode)
            outcomes[status] = outcomes.get(status, 0) + 1
            err_text = agent["err"].read()
            failed_attempts = err_text.count(" failed: ")
            for line in err_text.splitlines():
                if " failed: " in line and "attempt " in line:
                    reason = failure_reason(line.split(" failed: ", 1)[1])
                    failures[reason] = failures.get(reason, 0) + 1
            attempts.append(result.get("attempts", failed_attempts + 1))
            if agent["process"].returncode == 0 and status == "JOINED":
                joined.append(agent["end"])
                created.append(result["computerDN"])
                if any("could not register" in warning for warning in result.get("warnings") or []):
                    without_dns += 1
            else:
                gave_up += 1
        with open(verdicts) as f:
            lines = [json.loads(line) for line in f]
        throttled = sum(1 for line in lines if line.get("throttled"))
        get_parameter = sum(1 for line in lines if line.get("operation") == "AmazonSSM.GetParameter")
        refused = sum(1 for line in lines if line.get("verdict") != "verified")

        n = args.instances
        back_to_back_n = per_join * n if per_join else None
        target = 2 * back_to_back_n + n / 40 if back_to_back_n else None
        figures = {
            "instances": n, "joined": len(joined), "gaveUp": gave_up,
            "lastJoinedSeconds": round(max(joined), 2) if joined else None,
            "p50JoinedSeconds": round(percentile(joined, 0.5), 2) if joined else None,
            "p99JoinedSeconds": round(percentile(joined, 0.99), 2) if joined else None,
            "wallSeconds": round(wall, 2), "throttledCalls": throttled, "getParameterCalls": get_parameter,
            "unsignedOrRefused": refused, "maxAttempts": max(attempts), "outcomes": outcomes,
            "dcCpuSeconds": round(dc_cpu, 2), "dcCpuSecondsPerJoin": round(dc_cpu / max(len(joined), 1), 3),
            "peakMemoryMiB": round(sampler.peak, 1),
            "backToBackSecondsPerJoin": round(per_join, 3) if per_join else None,
            "meanAttempts": round(statistics.mean(attempts), 2), "attemptFailures": failures,
            "getParameterPerInstance": round(get_parameter / n, 2),
            "lastJoinedOverBackToBack": round(max(joined) / back_to_back_n, 2) if joined and back_to_back_n else None,
            "targetSeconds": round(target, 1) if target else None,
            "cpuSeconds": {"dc": round(dc_cpu, 1), "agents": round(agents_cpu, 1), "awsAndMetadataDoubles": round(doubles_cpu, 1),
                           "machineBusy": round(busy, 1), "machineIdle": round(idle, 1)},
            "dcUnderHalfACoreSeconds": dc_idle_seconds, "joinedWithoutDnsRecord": without_dns,
            "dcCoresBy10Seconds": [round(sum(dc_sampler.per_second[i:i + 10]) / len(dc_sampler.per_second[i:i + 10]), 2)
                                   for i in range(0, len(dc_sampler.per_second), 10)],
        }
        if broker_setup:
            figures.update(broker=True, brokerSandboxes=args.broker_sandboxes)
        print("instances at once        %d%s" % (n, " (through the broker, %d sandboxes)" % args.broker_sandboxes if broker_setup else ""))
        print("joined / gave up         %d / %d   %s; %d joined without their DNS record (a warning)"
              % (len(joined), gave_up, outcomes, without_dns))
        if joined:
            print("time to JOINED           p50 %.1f s, p99 %.1f s, last %.1f s (wall %.1f s)" %
                  (figures["p50JoinedSeconds"], figures["p99JoinedSeconds"], figures["lastJoinedSeconds"], wall))
        print("attempts per instance    max %d, mean %.2f" % (figures["maxAttempts"], figures["meanAttempts"]))
        print("failed attempts, by why  %s" % json.dumps(dict(sorted(failures.items(), key=lambda item: -item[1]))))
        print("GetParameter calls       %d (%.2f per instance), throttled %d (quota %g/s)"
              % (get_parameter, get_parameter / n, throttled, args.ssm_quota))
        if figures["lastJoinedOverBackToBack"]:
            print("last JOINED / (N x back to back)  %.2f" % figures["lastJoinedOverBackToBack"])
        print("DC CPU                   %.1f s, %.3f s per join" % (dc_cpu, figures["dcCpuSecondsPerJoin"]))
        print("CPU during the storm     DC %.0f s, agents %.0f s, AWS and metadata doubles %.0f s; machine busy %.0f s, idle %.0f s (core-seconds)"
              % (dc_cpu, agents_cpu, doubles_cpu, busy, idle))
        print("DC cores, by 10 s        %s; under half a core for %d of %d s"
              % (" ".join("%.2f" % c for c in figures["dcCoresBy10Seconds"]), dc_idle_seconds, len(dc_sampler.per_second)))
        print("peak memory (all)        %.0f MiB" % sampler.peak)
        if target:
            print("target                   last JOINED within %.1f s (2 x %.1f s back to back + N/40 s): %s" %
                  (target, back_to_back_n, "met" if joined and len(joined) == n and max(joined) <= target else "NOT met"))
        print(json.dumps(figures, sort_keys=True))
        return 0 if gave_up == 0 else 1
    finally:
        for process in background:
            process.stop()
        # Also any account an agent created and did not report (it gave up after creating it).
        listing = subprocess.run(["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-H", "ldaps://%s" % lab["dc"],
                                  "-D", "Administrator@%s" % lab["realm"], "-y", lab["admin_pw"], "-b", lab["ou"],
                                  "(|(info=adjoin-owner: i-0%s*)%s)" % (run_id[:12], "".join("(info=adjoin-owner: %s*)" % i for i in (broker_setup or {}).get("ids", []))),
                                  "dn"],
                                 env={**os.environ, "LDAPTLS_REQCERT": "never"}, capture_output=True, text=True).stdout
        created += [line[4:] for line in listing.splitlines() if line.startswith("dn: ") and line[4:] not in created]
        say("deleting %d computer accounts" % len(created))
        delete_accounts(created, lab)
        if os.environ.get("ADJOIN_FLEET_KEEP"):
            say("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
