#!/usr/bin/env python3
"""Latency relay for the adjoin lab (Python 3 standard library only, asyncio).

Makes a domain controller on loopback look far away, and counts network round trips, so
that adjoin and adcli can be compared on round trips and wall time (tc netem is not
available here). Example:

  latency_relay.py --listen 127.0.0.11 --target 127.0.0.10 \\
                   --ports 53,88,389,464,3268 --rtt-ms 20 --control-port 0

Both addresses must be in 127.0.0.0/8 (anything else: exit 2). The listen address is added
to `lo` (`ip addr add ADDR/32 dev lo`) when it is not there yet, and removed on exit only if
this process added it. For every port, UDP and TCP are relayed from listen to target; the
relay's own connections and datagrams to the target come from an ephemeral port on a
loopback address chosen by the kernel (usually 127.0.0.1).

Delay model. Every datagram and every TCP read, in each direction, is delivered rtt/2 after
the relay received it, through one FIFO queue per direction with due times (a task per
queue sleeps until the head is due), so other traffic is never held up and order within a
TCP connection is kept. A TCP handshake cannot be delayed from user space (the kernel
completes it at once on loopback), so it is simulated: the first client->server data of
each connection is delayed by one extra full RTT (rtt + rtt/2 in all), which is when it
would arrive if connect() had taken one RTT; the data queued behind it waits for it. For a
protocol where the server speaks first, its first data reaches the client no earlier than
2 RTT after the accept, and the client's first data then gets no extra RTT (the client has
already waited for the handshake). Closing (FIN) is relayed in order after the data, with
rtt/2; a reset is relayed as a close. The event loop's timers wake up late by up to ~2 ms
here, so the last 3 ms of each delay is waited by yielding to the loop in a busy loop
(other traffic keeps flowing); the relay's own processing adds a few tenths of a
millisecond per hop (measured: a DNS query over UDP takes ~20.5 ms more than direct at
--rtt-ms 20).

Round-trip counting (roundTrips = udpExchanges + tcpConnections + tcpTurns):
  * UDP: each client datagram that gets at least one reply counts 1 (udpExchanges). Replies
    are matched to the client's datagrams per client address/port in order (the oldest
    unanswered one), when the reply is delivered to the client; a retransmission that gets
    a single reply therefore counts once, and a datagram without reply counts 0 (it still
    counts in udpDatagrams).
  * TCP: each accepted connection counts 1 for the handshake (tcpConnections). Within a
    connection each "turn" counts 1 (tcpTurns): client->server data begins a new turn when
    it is the connection's first client data, or when server->client data has been
    delivered to the client since the client last sent. Pipelined sends and a request that
    arrives in several reads are thus one turn. A turn that gets no server data (e.g. an
    LDAP unbind before the close) still counts; tcpUnansweredTurns tells how many turns
    have had no server data so far (in closed connections, and the waiting last turn of
    open ones).
  * byPort ("88/udp", "389/tcp", ...) splits roundTrips by port and protocol; bytesUp and
    bytesDown are payload bytes client->server and server->client.
  `reset` starts a new counting period: replies and turns that began before it are not
  counted after it.

Control: a TCP server on 127.0.0.1 (--control-port, 0 = ephemeral). The first line on
stdout is `control-port N`, then `ready` once every listener is up. Commands, one per line:
  reset   zero the counters; answers `ok`
  stats   answers one line of JSON: {"roundTrips", "udpExchanges", "tcpConnections",
          "tcpTurns", "byPort": {"88/udp": N, ...}, "bytesUp", "bytesDown", plus
          "udpDatagrams", "tcpUnansweredTurns", "rttMs"}
  events  answers one line of JSON: the round trips counted since the last reset, each as
          [time it began, "88/tcp", "connect"|"turn"|"datagram", time its answer was
          delivered or null (a turn without answer)], the times on the monotonic clock (CLOCK_MONOTONIC, as Python's time.monotonic() in any process on
          the machine), so that a caller can tell which of its steps each one belongs to
  quit    answers `ok` and stops the relay (closing the control connection without `quit`
          leaves it running)
Unknown commands answer `error unknown command`.

The relay stops by itself after --max-seconds (default 3600), and cleanly on SIGTERM or
SIGINT (listeners and connections closed, the added address removed). Exit status: 0 after
a normal stop, 1 when a listener cannot be set up, 2 for bad arguments.
"""

import argparse
import asyncio
import collections
import ipaddress
import json
import signal
import subprocess
import sys

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
EOF = object()  # end-of-stream marker in a TCP delay line
UDP_IDLE_SECONDS = 60.0
READ_SIZE = 65536
SPIN_SECONDS = 0.003  # the last stretch of each delay is waited without a timer

VERBOSE = False


def log(message):
    print("latency-relay: %s" % message, file=sys.stderr, flush=True)


def debug(message):
    if VERBOSE:
        log(message)


# ---------------------------------------------------------------- counters

class Counters:
    def __init__(self, keys):
        self.keys = list(keys)
        self.epoch = 0
        self.reset()

    def reset(self):
        self.epoch += 1
        self.udp_exchanges = 0
        self.udp_datagrams = 0
        self.tcp_connections = 0
        self.tcp_turns = 0
        self.tcp_unanswered_turns = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self.by_port = {key: 0 for key in self.keys}
        self.events = []  # (time it began, port key, kind) of each round trip counted

    def add_round_trip(self, key, began, kind, ended=None):
        """Returns the event, whose end (the answer's delivery) the caller may fill in later."""
        self.by_port[key] = self.by_port.get(key, 0) + 1
        event = [round(began, 6), key, kind, None if ended is None else round(ended, 6)]
        self.events.append(event)
        return event

    def snapshot(self, rtt_ms, open_turns=0):
        return {
            "roundTrips": self.udp_exchanges + self.tcp_connections + self.tcp_turns,
            "udpExchanges": self.udp_exchanges,
            "tcpConnections": self.tcp_connections,
            "tcpTurns": self.tcp_turns,
            "byPort": dict(self.by_port),
            "bytesUp": self.bytes_up,
            "bytesDown": self.bytes_down,
            "udpDatagrams": self.udp_datagrams,
            "tcpUnansweredTurns": self.tcp_unanswered_turns + open_turns,
            "rttMs": rtt_ms,
        }


# ---------------------------------------------------------------- delay line

class DelayLine:
    """A FIFO of (due time, item); one task hands each item to `deliver` at its due time,
    in order (an item never overtakes the one before it)."""

    def __init__(self, deliver):
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._deliver = deliver
        self.task = asyncio.create_task(self._run())

    def push(self, due, item):
        self._queue.put_nowait((due, item))

    def idle(self):
        return self._queue.empty()

    async def _run(self):
        while True:
            due, item = await self._queue.get()
            # timers wake up late by up to ~2 ms: sleep to just before the due time,
            # then yield to the loop until it has come
            delay = due - self._loop.time()
            if delay > SPIN_SECONDS:
                await asyncio.sleep(delay - SPIN_SECONDS)
            while self._loop.time() < due:
                await asyncio.sleep(0)
            await self._deliver(item)
            if item is EOF:
                return

    def cancel(self):
        if self.task is not asyncio.current_task():
            self.task.cancel()


# ---------------------------------------------------------------- TCP

class TcpConnection:
    def __init__(self, relay, port, client_reader, client_writer):
        self.relay = relay
        self.port = port
        self.key = "%d/tcp" % port
        self.loop = asyncio.get_running_loop()
        self.client_reader = client_reader
        self.client_writer = client_writer
        self.server_writer = None
        self.accepted = self.loop.time()
        self.peer = client_writer.get_extra_info("peername")
        self.first_up = True        # no client data seen yet
        self.server_spoke = False   # server data delivered since the client last sent
        self.open_turn_epoch = None  # counting period of a turn still without reply
        self.eofs_delivered = 0
        self.closed = False
        self.upstream = self.loop.create_future()
        self.up = DelayLine(self._deliver_up)
        self.down = DelayLine(self._deliver_down)
        self.tasks = []
        counters = relay.counters
        counters.tcp_connections += 1
        counters.add_round_trip(self.key, self.accepted, "connect", self.accepted + relay.rtt)
        self.turn_event = None  # the open turn's event, ended by the server's first data
        debug("tcp %s from %s" % (self.key, self.peer))

    def start(self):
        self.tasks.append(asyncio.create_task(self._pump_up()))
        self.tasks.append(asyncio.create_task(self._connect_and_pump_down()))

    async def _pump_up(self):
        half = self.relay.half
        counters = self.relay.counters
        try:
            while True:
                data = await self.client_reader.read(READ_SIZE)
                if not data:
                    break
                now = self.loop.time()
                # the simulated handshake; a client that already heard the server (which
                # speaks first) has already waited for it
                extra = self.relay.rtt if self.first_up and not self.server_spoke else 0.0
                if self.first_up or self.server_spoke:
                    counters.tcp_turns += 1
                    # the first turn waits for the simulated handshake: it begins when that ends
                    self.turn_event = counters.add_round_trip(self.key, now + extra, "turn")
                    self.open_turn_epoch = counters.epoch
                self.first_up = False
                self.server_spoke = False
                counters.bytes_up += len(data)
                self.up.push(now + extra + half, data)
        except (ConnectionError, OSError):
            pass
        self.up.push(self.loop.time() + half, EOF)

    async def _connect_and_pump_down(self):
        try:
            reader, writer = await asyncio.open_connection(self.relay.target, self.port)
        except OSError as exc:
            log("tcp %s: cannot connect to %s: %s" % (self.key, self.relay.target, exc))
            self.upstream.cancel()
            self.close()
            return
        self.server_writer = writer
        self.upstream.set_result(None)
        rtt, half = self.relay.rtt, self.relay.half
        counters = self.relay.counters
        try:
            while True:
                data = await reader.read(READ_SIZE)
                if not data:
                    break
                counters.bytes_down += len(data)
                # a server that speaks first cannot be heard before the handshake and
                # the first reply could have crossed: 2 RTT after the accept
                self.down.push(max(self.loop.time() + half, self.accepted + 2 * rtt), data)
        except (ConnectionError, OSError):
            pass
        self.down.push(self.loop.time() + half, EOF)

    async def _deliver_up(self, item):
        try:
            await self.upstream
        except asyncio.CancelledError:
            self.close()
            return
        await self._write(self.server_writer, item)

    async def _deliver_down(self, item):
        if item is not EOF:
            self.server_spoke = True
            self.open_turn_epoch = None
            if self.turn_event is not None:
                self.turn_event[3] = round(self.loop.time(), 6)
                self.turn_event = None
        await self._write(self.client_writer, item)

    async def _write(self, writer, item):
        try:
            if item is EOF:
                if writer.can_write_eof():
                    writer.write_eof()
                self.eofs_delivered += 1
                if self.eofs_delivered == 2:
                    self.close()
                return
            writer.write(item)
            await writer.drain()
        except (ConnectionError, OSError, RuntimeError):
            self.close()

    def close(self):
        if self.closed:
            return
        self.closed = True
        counters = self.relay.counters
        if self.open_turn_epoch is not None and self.open_turn_epoch == counters.epoch:
            counters.tcp_unanswered_turns += 1
        self.up.cancel()
        self.down.cancel()
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        for writer in (self.client_writer, self.server_writer):
            if writer is not None:
                writer.close()
        self.relay.connections.discard(self)
        debug("tcp %s from %s closed" % (self.key, self.peer))


# ---------------------------------------------------------------- UDP

class UdpFront(asyncio.DatagramProtocol):
    """The listening socket of one UDP port; one session per client address."""

    def __init__(self, relay, port):
        self.relay = relay
        self.port = port
        self.key = "%d/udp" % port
        self.transport = None
        self.sessions = {}

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        session = self.sessions.get(addr)
        if session is None:
            session = UdpSession(self, addr)
            self.sessions[addr] = session
        session.from_client(data)

    def error_received(self, exc):
        debug("udp %s: %s" % (self.key, exc))

    def expire(self, now):
        for addr, session in list(self.sessions.items()):
            if now - session.last_active > UDP_IDLE_SECONDS and session.idle():
                session.close()

    def close(self):
        for session in list(self.sessions.values()):
            session.close()
        if self.transport is not None:
            self.transport.close()


class UdpBack(asyncio.DatagramProtocol):
    def __init__(self, session):
        self.session = session

    def datagram_received(self, data, addr):
        self.session.from_server(data)

    def error_received(self, exc):
        debug("udp %s to target: %s" % (self.session.front.key, exc))


class UdpSession:
    def __init__(self, front, addr):
        self.front = front
        self.relay = front.relay
        self.addr = addr
        self.loop = asyncio.get_running_loop()
        self.last_active = self.loop.time()
        self.pending = collections.deque()  # counting period of each unanswered datagram
        self.up = DelayLine(self._send_up)
        self.down = DelayLine(self._send_down)
        self.upstream = asyncio.create_task(self.loop.create_datagram_endpoint(
            lambda: UdpBack(self), remote_addr=(self.relay.target, front.port)))
        debug("udp %s from %s" % (front.key, addr))

    def idle(self):
        return self.up.idle() and self.down.idle()

    def from_client(self, data):
        counters = self.relay.counters
        now = self.loop.time()
        self.last_active = now
        counters.udp_datagrams += 1
        counters.bytes_up += len(data)
        self.pending.append((counters.epoch, now))
        self.up.push(now + self.relay.half, data)

    def from_server(self, data):
        now = self.loop.time()
        self.last_active = now
        self.relay.counters.bytes_down += len(data)
        self.down.push(now + self.relay.half, data)

    async def _send_up(self, data):
        try:
            transport, _ = await self.upstream
        except (OSError, asyncio.CancelledError) as exc:
            log("udp %s: cannot reach %s: %s" % (self.front.key, self.relay.target, exc))
            self.close()
            return
        transport.sendto(data)

    async def _send_down(self, data):
        if self.front.transport is None or self.front.transport.is_closing():
            return
        self.front.transport.sendto(data, self.addr)
        counters = self.relay.counters
        if self.pending:
            epoch, began = self.pending.popleft()
            if epoch == counters.epoch:
                counters.udp_exchanges += 1
                counters.add_round_trip(self.front.key, began, "datagram", self.loop.time())

    def close(self):
        self.up.cancel()
        self.down.cancel()
        if self.upstream.done() and not self.upstream.cancelled() \
                and self.upstream.exception() is None:
            self.upstream.result()[0].close()
        else:
            self.upstream.cancel()
        if self.front.sessions.get(self.addr) is self:
            del self.front.sessions[self.addr]


# ---------------------------------------------------------------- relay

class Relay:
    def __init__(self, args):
        self.listen = args.listen
        self.target = args.target
        self.ports = args.ports
        self.rtt = args.rtt_ms / 1000.0
        self.rtt_ms = args.rtt_ms
        self.half = self.rtt / 2.0
        keys = []
        for port in self.ports:
            keys += ["%d/udp" % port, "%d/tcp" % port]
        self.counters = Counters(keys)
        self.connections = set()
        self.servers = []
        self.fronts = []
        self.stopping = None

    def stop(self):
        if self.stopping is not None and not self.stopping.is_set():
            self.stopping.set()

    async def _tcp_client(self, port, reader, writer):
        connection = TcpConnection(self, port, reader, writer)
        self.connections.add(connection)
        connection.start()

    async def _control_client(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                command = line.decode("utf-8", "replace").strip().lower()
                if not command:
                    continue
                if command == "reset":
                    self.counters.reset()
                    answer = "ok"
                elif command == "stats":
                    open_turns = sum(1 for c in self.connections
                                     if c.open_turn_epoch == self.counters.epoch)
                    snapshot = self.counters.snapshot(self.rtt_ms, open_turns)
                    answer = json.dumps(snapshot, separators=(",", ":"))
                elif command == "events":
                    answer = json.dumps(self.counters.events, separators=(",", ":"))
                elif command == "quit":
                    answer = "ok"
                else:
                    answer = "error unknown command"
                writer.write((answer + "\n").encode())
                await writer.drain()
                if command == "quit":
                    self.stop()
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _expire_udp(self):
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(10)
            for front in self.fronts:
                front.expire(loop.time())

    async def run(self, control_port, max_seconds):
        loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop)
        try:
            control = await asyncio.start_server(self._control_client, "127.0.0.1", control_port)
        except OSError as exc:
            log("cannot listen for control on 127.0.0.1:%d: %s" % (control_port, exc))
            return 1
        self.servers.append(control)
        print("control-port %d" % control.sockets[0].getsockname()[1], flush=True)
        try:
            for port in self.ports:
                server = await asyncio.start_server(
                    lambda r, w, port=port: self._tcp_client(port, r, w),
                    self.listen, port, reuse_address=True)
                self.servers.append(server)
                _, front = await loop.create_datagram_endpoint(
                    lambda port=port: UdpFront(self, port), local_addr=(self.listen, port))
                self.fronts.append(front)
        except OSError as exc:
            log("cannot listen on %s port %d: %s" % (self.listen, port, exc))
            self._shutdown()
            return 1
        log("relaying %s -> %s, ports %s (tcp and udp), rtt %g ms, control 127.0.0.1:%d"
            % (self.listen, self.target, ",".join(map(str, self.ports)), self.rtt_ms,
               control.sockets[0].getsockname()[1]))
        print("ready", flush=True)
        expiry = asyncio.create_task(self._expire_udp())
        try:
            await asyncio.wait_for(self.stopping.wait(), max_seconds)
            log("stopping")
        except asyncio.TimeoutError:
            log("stopping after --max-seconds %g" % max_seconds)
        expiry.cancel()
        self._shutdown()
        await asyncio.sleep(0)  # let cancelled tasks finish
        return 0

    def _shutdown(self):
        for server in self.servers:
            server.close()
        for front in self.fronts:
            front.close()
        for connection in list(self.connections):
            connection.close()


# ---------------------------------------------------------------- loopback address

def lo_has_address(address):
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", "lo"], check=True,
                         capture_output=True, text=True).stdout
    words = out.split()
    return any(w == "inet" and i + 1 < len(words) and words[i + 1].split("/")[0] == address
               for i, w in enumerate(words))


def add_address(address):
    """Add address/32 to lo when missing; True when this call added it."""
    try:
        if lo_has_address(address):
            return False
        subprocess.run(["ip", "addr", "add", address + "/32", "dev", "lo"], check=True,
                       capture_output=True, text=True)
        log("added %s/32 to lo" % address)
        return True
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        log("warning: cannot add %s to lo (%s); trying to listen anyway"
            % (address, detail.strip()))
        return False


def remove_address(address):
    try:
        subprocess.run(["ip", "addr", "del", address + "/32", "dev", "lo"], check=True,
                       capture_output=True, text=True)
        log("removed %s/32 from lo" % address)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        log("warning: cannot remove %s from lo: %s" % (address, detail.strip()))


# ---------------------------------------------------------------- main

def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Relay UDP and TCP from one loopback address to another with added "
                    "latency, counting round trips (see the header of this file).")
    parser.add_argument("--listen", required=True, help="address to listen on (127.0.0.0/8)")
    parser.add_argument("--target", required=True, help="address to relay to (127.0.0.0/8)")
    parser.add_argument("--ports", required=True, help="comma-separated ports, e.g. 53,88,389")
    parser.add_argument("--rtt-ms", type=float, default=20.0,
                        help="simulated round-trip time in milliseconds (default 20)")
    parser.add_argument("--control-port", type=int, default=0,
                        help="control port on 127.0.0.1 (0 = ephemeral, the default)")
    parser.add_argument("--max-seconds", type=float, default=3600.0,
                        help="stop after this many seconds (default 3600)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log every connection and UDP session on stderr")
    args = parser.parse_args(argv)

    def refuse(message):
        print("latency-relay: error: %s" % message, file=sys.stderr)
        sys.exit(2)

    for name in ("listen", "target"):
        value = getattr(args, name)
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            refuse("--%s %s is not an IP address" % (name, value))
        if address.version != 4 or address not in LOOPBACK:
            refuse("--%s %s is outside 127.0.0.0/8; this relay is for loopback only"
                   % (name, value))
        setattr(args, name, str(address))
    if args.listen == args.target:
        refuse("--listen and --target are the same address")
    ports = []
    for part in args.ports.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 65535:
            refuse("bad port %r in --ports" % part)
        if int(part) not in ports:
            ports.append(int(part))
    if not ports:
        refuse("--ports names no port")
    args.ports = ports
    if not args.rtt_ms >= 0:
        refuse("--rtt-ms must be 0 or more")
    if not 0 <= args.control_port <= 65535:
        refuse("--control-port must be 0..65535")
    if not args.max_seconds > 0:
        refuse("--max-seconds must be more than 0")
    return args


def main(argv=None):
    global VERBOSE
    args = parse_args(sys.argv[1:] if argv is None else argv)
    VERBOSE = args.verbose
    added = add_address(args.listen)
    try:
        status = asyncio.run(Relay(args).run(args.control_port, args.max_seconds))
    except KeyboardInterrupt:
        status = 0
    finally:
        if added:
            remove_address(args.listen)
    return status


if __name__ == "__main__":
    sys.exit(main())
