#!/usr/bin/env python3
"""Join benchmark: adjoin against adcli, same lab DC, alternating, join + delete per cycle.

Prints the median wall time of each, their ratio, and each one's peak RSS (from GNU time). With --rtt-ms it also runs both through latency_relay.py, which adds that round-trip
time on loopback and counts round trips. Deleting each computer object (as the administrator) is
not timed. Passwords go to the programs on standard input only.
"""
import argparse
import ipaddress
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"bench: {name} is not set: eval \"$(scripts/lab env)\" first")
    return value


def run_measured(argv, stdin_path, lines=None):
    """Runs argv with stdin from a file; returns (seconds, peak RSS in KiB, exit status, stderr).

    Peak RSS comes from GNU time, not from wait4 here: a child forked from this Python process starts
    with Python's pages, and ru_maxrss would report those (about 15 MB) instead of the program's.
    `lines`: a list that gets (time.monotonic() when read, line) for each line of stderr as it comes,
    and the time the program was started and ended as ("start", ...) and ("end", ...) lines.
    """
    with open(stdin_path, "rb") as stdin, tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        if lines is not None:
            lines.append((time.monotonic(), "start"))
        child = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss.name] + argv,
                                 stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = []
        # Read as the lines come, so that each is stamped when the program printed it (near enough:
        # a pipe, no buffering on either side).
        for raw in child.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            err.append(line)
            if lines is not None:
                lines.append((time.monotonic(), line))
        status = child.wait()
        elapsed = time.perf_counter() - start
        if lines is not None:
            lines.append((time.monotonic(), "end"))
        return elapsed, int(rss.read().split()[-1]), status, "\n".join(err)


# adjoin's progress lines, in the order a join prints them, and the step each one begins: a round
# trip belongs to the last step begun before it started.
STEPS = [
    ("start", "start"),
    ("adjoin: Pinging", "CLDAP ping (+ the login's head start)"),
    ("adjoin: Logging in to Kerberos as", "Kerberos login (join user)"),
    ("adjoin: Binding to LDAP", "LDAP connect and sealed bind"),
    ("adjoin: Looking for the computer account", "find the account (with --ou, the add behind it)"),
    ("adjoin: Creating the computer account", "create the account (password in the add)"),
    ("adjoin: Reusing the computer account", "reuse the account"),
    ("adjoin: Granting", "self-deletion grant"),
    ("adjoin: Reading the key version", "read the kvno"),
    ("adjoin: Writing keys", "keytab written (local)"),
    ("adjoin: Proving the keytab", "keytab proof (machine login)"),
    ("adjoin: Negotiating the DNS update's key", "DNS key (TKEY), the grant's answer awaited"),
    ("adjoin: Registering", "DNS registration (A, PTR)"),
    ("adjoin: Registered", "after DNS (closing)"),
    ("end", "after exit"),
]


def step_of(line):
    for prefix, name in STEPS:
        if line.startswith(prefix):
            return name
    return None


def steps(lines, events, rtt_ms):
    """Round trips and wall time per step: each round trip goes to the step last begun before it.

    A step's line is stamped when this process reads it, which on a loaded machine can be a few
    milliseconds after the step's first request reached the relay. A round trip that began up to half
    an RTT before a line belongs to that line's step: the step before it was then waiting for its own
    last answer, which takes a whole RTT, so none of its round trips begins that close to the next line."""
    tolerance = rtt_ms / 2000.0
    marks = [(at, step_of(line)) for at, line in lines if step_of(line)]
    table = {}
    for index, (at, name) in enumerate(marks):
        until = marks[index + 1][0] if index + 1 < len(marks) else at
        entry = table.setdefault(name, {"trips": 0, "ms": 0.0, "ports": {}})
        entry["ms"] += (until - at) * 1000
    for began, port, *_ in events:
        name = None
        for at, step in marks:
            if at <= began + tolerance:
                name = step
        entry = table.setdefault(name or "before start", {"trips": 0, "ms": 0.0, "ports": {}})
        entry["trips"] += 1
        entry["ports"][port] = entry["ports"].get(port, 0) + 1
    order = [name for _, name in marks]
    return [(name, table[name]) for name in dict.fromkeys(order + list(table)) if name in table]


def delete_computer(name, lab):
    subprocess.run(["ldapdelete", "-H", f"ldaps://{lab['dc']}", "-D", f"Administrator@{lab['realm']}",
                    "-y", lab["admin_pw"], "-r", f"CN={name},{lab['ou']}"],
                   env={**os.environ, "LDAPTLS_REQCERT": "never"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def commands(tool, name, dc, lab, workdir, relayed=False):
    fqdn = f"{name.lower()}.{lab['domain']}"
    if tool == "adjoin":
        # Through the relay, its progress lines tell the steps apart.
        return [lab["adjoin"], "join", "--domain", lab["domain"], "--domain-controller", dc, "--user", lab["user"],
                "--password-stdin", "--ou", lab["ou"], "--host-fqdn", fqdn, "--root", workdir, "--no-configure",
                "--owner", "bench"] + ([] if relayed else ["--quiet"]) + lab["adjoin_extra"]
    return ["adcli", "join", f"--domain={lab['domain']}", f"--domain-controller={dc}", f"--login-user={lab['user']}",
            "--stdin-password", f"--domain-ou={lab['ou']}", f"--host-fqdn={fqdn}",
            f"--host-keytab={workdir}/adcli-{name}.keytab", f"--computer-name={name}"]


class Relay:
    """latency_relay.py in the background, driven over its control port."""

    def __init__(self, listen, target, rtt_ms):
        self.listen = listen
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "latency_relay.py"), "--listen", listen, "--target", target,
             "--ports", "53,88,389,464,3268", "--rtt-ms", str(rtt_ms), "--control-port", "0", "--max-seconds", "900"],
            stdout=subprocess.PIPE, text=True)
        first = self.process.stdout.readline().split()
        if len(first) != 2 or first[0] != "control-port":
            raise SystemExit(f"bench: latency relay did not start: {first}")
        self.control = int(first[1])
        while self.process.stdout.readline().strip() != "ready":
            if self.process.poll() is not None:
                raise SystemExit("bench: latency relay exited")

    def command(self, line):
        with socket.create_connection(("127.0.0.1", self.control), timeout=10) as connection:
            connection.sendall((line + "\n").encode())
            return connection.makefile().readline().strip()

    def close(self):
        try:
            self.command("quit")
        except OSError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.terminate()


def cycles(count, dc, lab, workdir, relay=None, prefix="B"):
    results = {"adjoin": [], "adcli": []}
    for index in range(count):
        # Alternate which goes first, so neither always meets a warmer DC.
        order = ["adjoin", "adcli"] if index % 2 == 0 else ["adcli", "adjoin"]
        for tool in order:
            name = f"{prefix}{'J' if tool == 'adjoin' else 'C'}{os.getpid() % 1000:03d}{index:03d}"
            if relay:
                relay.command("reset")
            lines = [] if relay and tool == "adjoin" else None
            # A root of its own for each join: a join record left by the one before would make the next a rename.
            root = tempfile.mkdtemp(dir=workdir)
            seconds, rss, status, err = run_measured(commands(tool, name, dc, lab, root, relay is not None), lab["join_pw"], lines)
            trips = json.loads(relay.command("stats")) if relay else None
            events = json.loads(relay.command("events")) if lines is not None else None
            delete_computer(name, lab)
            if status != 0:
                raise SystemExit(f"bench: {tool} join failed (exit {status}): {err.strip()[-500:]}")
            if events is not None:
                trips["waits"] = waits(events)
            results[tool].append({"seconds": seconds, "rss": rss, "trips": trips,
                                  "steps": steps(lines, events, trips["rttMs"]) if lines is not None else None})
    return results


def waits(events):
    """The round trips the join waited for one after the other: overlapping ones (a handshake under way
    while a datagram's answer comes) count once. A turn that got no answer (an unbind) is no wait."""
    spans = sorted((began, ended) for began, _, _, ended in events if ended is not None)
    count, until = 0, None
    for began, ended in spans:
        if until is None or began >= until:
            count += 1
            until = ended
        else:
            until = max(until, ended)
    return count


def median_steps(runs):
    """Each step's median round trips and milliseconds over the runs, in the order of the first run."""
    names = list(dict.fromkeys(name for run in runs for name, _ in run["steps"]))
    rows = []
    for name in names:
        found = [dict(run["steps"]).get(name, {"trips": 0, "ms": 0.0, "ports": {}}) for run in runs]
        ports = {}
        for entry in found:
            for port, count in entry["ports"].items():
                ports[port] = max(ports.get(port, 0), count)
        rows.append((name, statistics.median(e["trips"] for e in found), statistics.median(e["ms"] for e in found), ports))
    return rows


def summary(results):
    line = {}
    for tool, runs in results.items():
        line[tool] = {
            "median_ms": statistics.median(run["seconds"] for run in runs) * 1000,
            "peak_rss_kib": max(run["rss"] for run in runs),
            "round_trips": statistics.median(run["trips"]["roundTrips"] for run in runs) if runs[0]["trips"] else None,
            "by_port": runs[-1]["trips"]["byPort"] if runs[0]["trips"] else None,
            "steps": median_steps(runs) if runs[0].get("steps") else None,
            "waits": statistics.median(run["trips"]["waits"] for run in runs) if runs[0]["trips"] and "waits" in runs[0]["trips"] else None,
        }
    line["ratio"] = line["adjoin"]["median_ms"] / line["adcli"]["median_ms"]
    return line


def default_relay_address(dc):
    """127.0.(100+d).d for a DC at 127.0.0.d: labs side by side use 127.0.0.10, .21, .22, ..., so the DC's
    address + 1 is often another lab's DC; elsewhere the DC's address + 1."""
    octets = dc.split(".")
    if octets[:3] == ["127", "0", "0"] and int(octets[3]) < 156:
        return "127.0.%d.%s" % (100 + int(octets[3]), octets[3])
    return str(ipaddress.ip_address(dc) + 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=10, help="join+delete cycles of each tool (default 10)")
    parser.add_argument("--rtt-ms", type=int, default=20, help="added round-trip time for the relay run; 0 skips it")
    parser.add_argument("--relay-cycles", type=int, default=3, help="cycles of each tool through the relay (default 3)")
    parser.add_argument("--relay-address", help="loopback address for the relay (default: 127.0.(100+d).d for a DC at "
                        "127.0.0.d, else the DC's address + 1, so that labs side by side each get their own)")
    parser.add_argument("--adjoin", required=True, help="the adjoin binary to measure")
    parser.add_argument("--adjoin-arg", action="append", default=[],
                        help="one more argument for adjoin join (repeatable), e.g. --adjoin-arg=--no-register-dns")
    arguments = parser.parse_args()

    lab = {"dc": env("ADJOIN_LAB_DC_IP"), "domain": env("ADJOIN_LAB_DOMAIN"), "realm": env("ADJOIN_LAB_REALM"),
           "ou": env("ADJOIN_LAB_OU"), "user": env("ADJOIN_LAB_JOIN_USER"), "join_pw": env("ADJOIN_LAB_JOIN_PASSWORD_FILE"),
           "admin_pw": env("ADJOIN_LAB_ADMIN_PASSWORD_FILE"), "adjoin": arguments.adjoin,
           "adjoin_extra": arguments.adjoin_arg}
    relay_address = arguments.relay_address or default_relay_address(lab["dc"])
    with tempfile.TemporaryDirectory() as workdir:
        print(f"bench: {arguments.cycles} join+delete cycles of each, alternating, against {lab['dc']}", file=sys.stderr)
        direct = summary(cycles(arguments.cycles, lab["dc"], lab, workdir))
        relayed = None
        if arguments.rtt_ms > 0:
            print(f"bench: {arguments.relay_cycles} cycles of each through a relay adding {arguments.rtt_ms} ms RTT", file=sys.stderr)
            relay = Relay(relay_address, lab["dc"], arguments.rtt_ms)
            try:
                relayed = summary(cycles(arguments.relay_cycles, relay_address, lab, workdir, relay, prefix="R"))
            finally:
                relay.close()

    print(f"{'':28}{'adjoin':>12}{'adcli':>12}")
    print(f"{'median join, direct':28}{direct['adjoin']['median_ms']:>10.0f}ms{direct['adcli']['median_ms']:>10.0f}ms"
          f"   ratio {direct['ratio']:.2f}")
    print(f"{'peak RSS':28}{direct['adjoin']['peak_rss_kib'] / 1024:>10.1f}MB{direct['adcli']['peak_rss_kib'] / 1024:>10.1f}MB")
    if relayed:
        print(f"{'median join, +%d ms RTT' % arguments.rtt_ms:28}{relayed['adjoin']['median_ms']:>10.0f}ms"
              f"{relayed['adcli']['median_ms']:>10.0f}ms   ratio {relayed['ratio']:.2f}")
        print(f"{'round trips':28}{relayed['adjoin']['round_trips']:>12.0f}{relayed['adcli']['round_trips']:>12.0f}")
        print(f"{'  adjoin by port':28}{json.dumps(relayed['adjoin']['by_port'], sort_keys=True)}")
        print(f"{'  adcli by port':28}{json.dumps(relayed['adcli']['by_port'], sort_keys=True)}")
        print()
        print(f"adjoin join by step, +{arguments.rtt_ms} ms RTT (median of {arguments.relay_cycles}; a round trip counts in the step it began in)")
        print(f"| {'step':44} | round trips | ms | by port |")
        print(f"|{'-' * 46}|-------------|----|---------|")
        for name, trips, ms, ports in relayed["adjoin"]["steps"]:
            detail = ", ".join(f"{port} {count}" for port, count in sorted(ports.items()))
            print(f"| {name:44} | {trips:11g} | {ms:.0f} | {detail} |")
        print(f"| {'total':44} | {relayed['adjoin']['round_trips']:11g} | {relayed['adjoin']['median_ms']:.0f} | |")
        print(f"sequential round trips (overlapping ones counted once, unanswered ones not): {relayed['adjoin']['waits']:g}")


if __name__ == "__main__":
    main()
