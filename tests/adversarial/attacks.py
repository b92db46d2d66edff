"""Adversarial TCP traffic against sluice, from scapy in the client namespace.

attacks.py ATTACK --iface IF --sl-mac MAC --sl-ip A [--port P] [--duration S]
           [--rate PPS] [--sluice-pid PID]

ATTACK is one of synflood, connflood, rst, ack, options, zerowin, garbage. Each runs for
--duration seconds at about --rate frames per second, prints figures as
"# ..." lines and its own checks as "ok - " / "not ok - " lines (the caller
counts them), and exits 1 when one of its checks failed. The counters that
each attack must move live in sluice and are checked by run.sh afterwards.

Spoofed sources are in 198.18.180.0/22, which the namespace does not own:
its kernel drops sluice's answers to them, and the script plays the TCP
endpoint itself when it needs one (rawtcp.RawConn). The legitimate
connection the RST and ACK floods aim at is an ordinary kernel socket here
("the victim"): it PINGs every 20 ms and checks each reply; the reader thread
learns its sequence numbers from the frames on the wire.

Injected data is always a Redis command that would set adv:injected; at the
end a fresh connection checks that the key does not exist: no injected byte
was ever accepted.
"""
import argparse
import random
import socket
import struct
import sys
import threading
import time

from rawtcp import ACK, RST, SYN, Pacer, Port, RawConn, Template, spoofed_addr

INJECT = b"*3\r\n$3\r\nSET\r\n$12\r\nadv:injected\r\n$1\r\n1\r\n"
FAILS = []


def ok(cond, what):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
    if not cond:
        FAILS.append(what)
    return cond


def note(*a):
    print("#", *a, flush=True)


def resp(host, port, *args, timeout=20):
    """One command on a fresh kernel connection; returns the raw reply.
    Generous timeout: on a loaded machine a lost SYN costs seconds."""
    s = socket.create_connection((host, port), timeout=timeout)
    s.settimeout(timeout)
    req = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    s.sendall(req)
    got = b""
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        got += d
        if got.startswith((b"+", b"-", b":")) and got.endswith(b"\r\n"):
            break
        if got.startswith(b"$"):
            n = int(got[1:got.index(b"\r\n")])
            if n < 0 or len(got) >= got.index(b"\r\n") + 2 + n + 2:
                break
    s.close()
    return got


def info_field(host, port, name):
    r = resp(host, port, b"INFO", b"clients")
    for line in r.split(b"\r\n"):
        if line.startswith(name.encode() + b":"):
            return int(line.split(b":")[1])
    return None


def rss_kib(pid):
    if not pid:
        return None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


class Victim:
    """A legitimate kernel connection the floods aim at. PINGs every 20 ms,
    checking each reply; tracks sluice's view of its sequence space."""

    def __init__(self, port, host, sl_port):
        self.sock = socket.create_connection((host, sl_port), timeout=10)
        # Generous: on a loaded 2-core machine a lost frame can cost seconds
        # of retransmission backoff; a wrong reply, not a slow one, fails.
        self.sock.settimeout(20)
        self.ip, self.lport = self.sock.getsockname()
        self.cli_nxt = None  # the victim's next sequence number (= sluice's RCV.NXT)
        self.sl_nxt = None  # sluice's SND.NXT toward the victim
        self.sl_una = None  # what the victim has acknowledged (sluice's SND.UNA)
        self.acks_in = 0  # segments from sluice to the victim without data
        self.pings = 0
        self.errors = []
        self.stop = threading.Event()
        port.incoming.append(self._in)
        port.outgoing.append(self._out)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        deadline = time.time() + 3
        while (self.cli_nxt is None or self.sl_nxt is None) and time.time() < deadline:
            time.sleep(0.05)

    def _in(self, g):
        if g.dport != self.lport or g.dst != self.ip:
            return
        self.sl_nxt = (g.seq + len(g.payload)) & 0xFFFFFFFF
        if not g.payload:
            self.acks_in += 1

    def _out(self, g):
        if g.sport != self.lport:
            return
        self.cli_nxt = (g.seq + len(g.payload)) & 0xFFFFFFFF
        if g.flags & ACK:
            self.sl_una = g.ack

    def _loop(self):
        while not self.stop.wait(0.02):
            try:
                self.sock.sendall(b"PING\r\n")
                got = b""
                while len(got) < 7:
                    d = self.sock.recv(64)
                    if not d:
                        raise ConnectionError("closed by sluice")
                    got += d
                if got != b"+PONG\r\n":
                    raise ValueError("PING replied %r" % got)
                self.pings += 1
            except (OSError, ValueError, ConnectionError) as e:
                self.errors.append(str(e))
                return

    def finish(self):
        """Stops the loop; returns True when every PING was answered and the
        connection is still open with nothing unexpected queued."""
        self.stop.set()
        self.thread.join()
        if self.errors:
            return False
        try:
            self.sock.sendall(b"PING\r\n")
            time.sleep(0.2)
            got = self.sock.recv(64)
        except OSError as e:
            self.errors.append(str(e))
            return False
        self.sock.close()
        if got != b"+PONG\r\n":
            self.errors.append("last PING replied %r" % got)
            return False
        return True


def check_victim(v):
    alive = v.finish()
    note("victim: %d PINGs answered, %d data-less segments from sluice, errors: %s" %
         (v.pings, v.acks_in, "; ".join(v.errors) or "none"))
    ok(alive and v.pings > 0, "the attacked legitimate connection survived and every PING "
       "got +PONG (%d)" % v.pings)


def check_not_injected(a):
    r = resp(a.sl_ip, a.port, b"EXISTS", b"adv:injected")
    ok(r == b":0\r\n", "no injected byte was accepted (EXISTS adv:injected -> %r)" % r)


# ------------------------------------------------------------------ attacks --


def syn_template(p, options=None):
    o = options if options is not None else [("MSS", 1460), ("SAckOK", b""),
                                             ("Timestamp", (12345, 0)), ("NOP", None),
                                             ("WScale", 7)]
    return Template(p.frame("198.18.180.1", 1000, 0, 0, "S", 64240, o))


def attack_synflood(a, p):
    """SYNs from many spoofed sources (random port and ISN): sluice answers
    with SYN cookies once its SYN backlog is full and keeps no state for them.
    A connection completed in the middle of the flood still works."""
    synacks = [0]
    spoofed = set()

    def count(g):
        if (g.flags & (SYN | ACK)) == (SYN | ACK) and g.dst.startswith("198.18.18"):
            synacks[0] += 1
            spoofed.add(g.dst)

    p.incoming.append(count)
    t = syn_template(p)
    rng = random.Random()
    before = info_field(a.sl_ip, a.port, "connected_clients")
    pace = Pacer(a.rate)
    end = time.time() + a.duration
    mid = time.time() + a.duration / 2
    sent = 0
    probe_ok = None
    while time.time() < end:
        p.send(t.make(src=spoofed_addr(rng.randrange(1016)), sport=rng.randint(1024, 65535),
                      seq=rng.getrandbits(32)))
        sent += 1
        pace.tick()
        if probe_ok is None and time.time() >= mid:
            c = RawConn(p, "198.18.183.250")
            probe_ok = c.connect() is not None and c.request(b"PING\r\n", 7) == b"+PONG\r\n"
            c.rst()
            c.forget()
    time.sleep(0.5)
    during = info_field(a.sl_ip, a.port, "connected_clients")
    note("synflood: %d SYNs sent from %d sources, %d SYN-ACKs came back (to %d sources)" %
         (sent, 1016, synacks[0], len(spoofed)))
    print("SYNFLOOD sent=%d synacks=%d" % (sent, synacks[0]), flush=True)
    ok(during == before, "connected_clients flat through the flood (%s -> %s): half-open "
       "connections are not clients" % (before, during))
    if a.expect_synack:
        ok(synacks[0] > 0, "SYNs were answered (SYN-ACKs: %d)" % synacks[0])
        ok(bool(probe_ok), "a connection opened in the middle of the flood answers PING")


def attack_connflood(a, p):
    """Full connections from one spoofed source, run with `sluicectl conn-cap
    CAP 0`: the first CAP complete and are served; once the dataplane has
    counted them, XDP sheds that source's further SYNs (no SYN-ACK), while
    another source still connects. Closing one lets the source in again."""
    src = "198.18.182.77"
    held = []
    shed = 0
    for i in range(a.cap + a.extra):
        c = RawConn(p, src)
        if c.connect(timeout=1.5) is not None and c.request(b"PING\r\n", 7) == b"+PONG\r\n":
            held.append(c)
        else:
            shed += 1
            c.forget()
        time.sleep(0.05)
    note("connflood: %d connections from %s completed, %d shed (cap %d)" %
         (len(held), src, shed, a.cap))
    ok(len(held) == a.cap, "exactly the cap's %d connections from one source completed (%d)" %
       (a.cap, len(held)))
    other = RawConn(p, "198.18.182.78")
    ok(other.connect() is not None and other.request(b"PING\r\n", 7) == b"+PONG\r\n",
       "another source still connects and is served")
    ok(all(c.request(b"PING\r\n", 7) == b"+PONG\r\n" for c in held),
       "the held connections are still served")
    held.pop().rst()
    time.sleep(0.3)
    again = RawConn(p, src)
    ok(again.connect() is not None and again.request(b"PING\r\n", 7) == b"+PONG\r\n",
       "after one closes, the source connects again")
    for c in held + [other, again]:
        c.rst()
        c.forget()


def side_channel(p, own):
    """Measures (prints, never judges) whether the challenge-ACK budget is
    shared between connections, the side channel of CVE-2016-5696: after
    1000 in-window RSTs at another connection, how many challenge ACKs does
    our own connection still get for 20 in-window RSTs, compared with after
    1000 RSTs at a 4-tuple that does not exist?"""
    target = RawConn(p, "198.18.183.252")
    if target.connect() is None:
        return
    got = {}
    for label, sport in (("existing", target.sport), ("absent", target.sport + 1)):
        t = Template(p.frame(target.src, sport, 0, 0, "R", 0))
        time.sleep(1.2)  # a fresh one-second budget
        while not own.q.empty():
            own.q.get()
        for i in range(1000):
            p.send(t.make(seq=target.snd_nxt + 100 + i))
        for i in range(20):
            p.send(own.frame(seq=own.snd_nxt + 100 + i, flags="R", ack=0))
        n = 0
        while own.wait(lambda g: not g.payload and not g.flags & RST, 0.5) is not None:
            n += 1
        got[label] = n
    target.forget()  # left open: its RST would be one more rst_in
    note("challenge-ACK side channel: our own connection got %d of 20 challenge ACKs after "
         "1000 in-window RSTs at an existing connection, %d after 1000 at an absent 4-tuple "
         "(%s)" % (got["existing"], got["absent"],
                   "the budget is shared: a 4-tuple's existence is observable"
                   if got["existing"] < got["absent"] else "no difference seen"))


def attack_rst(a, p):
    """RSTs against a live connection: blind (random sequence number: out of
    the window, silently ignored), in the window but not exact (challenge ACK,
    at most 1000 per second, RFC 5961 3.2/7). A control connection then shows
    that only an RST with exactly RCV.NXT resets."""
    v = Victim(p, a.sl_ip, a.port)
    if not ok(v.cli_nxt is not None and v.sl_nxt is not None,
              "victim's sequence numbers learned"):
        return
    tb = Template(p.frame(v.ip, v.lport, 0, 0, "R", 0))
    rng = random.Random()
    pace = Pacer(a.rate)
    end = time.time() + a.duration
    n_blind = n_inwin = n_syn = 0
    syn = Template(p.frame(v.ip, v.lport, 0, 0, "S", 64240, [("MSS", 1460)]))
    acks0 = v.acks_in
    i = 0
    while time.time() < end:
        i += 1
        if i % 10 in (1, 2, 3):
            p.send(tb.make(seq=rng.getrandbits(32)))
            n_blind += 1
        elif i % 10:
            # Never exact: the victim sends 6 bytes per 20 ms, far below 1000.
            p.send(tb.make(seq=v.cli_nxt + rng.randint(1000, 30000)))
            n_inwin += 1
        else:
            p.send(syn.make(seq=v.cli_nxt + rng.randint(1000, 30000)))
            n_syn += 1
        pace.tick()
    time.sleep(0.3)
    note("rst: %d blind RSTs, %d in-window RSTs, %d in-window SYNs; the victim got %d "
         "data-less segments (challenge ACKs among them)" %
         (n_blind, n_inwin, n_syn, v.acks_in - acks0))
    print("RST blind=%d inwin=%d syn=%d" % (n_blind, n_inwin, n_syn), flush=True)
    ok(v.acks_in - acks0 <= 1000 * (a.duration + 2) + v.pings * 2,
       "challenge ACKs stayed within 1000 per second (%d)" % (v.acks_in - acks0))
    check_victim(v)

    # Control: a connection of our own, exact sequence numbers known.
    c = RawConn(p, "198.18.183.251")
    if not ok(c.connect() is not None and c.request(b"PING\r\n", 7) == b"+PONG\r\n",
              "control connection established"):
        return
    side_channel(p, c)
    time.sleep(0.6)  # sluice sends one ACK to invalid segments per connection per 500 ms
    c.p.send(c.frame(seq=c.snd_nxt + 5000, flags="R", ack=0))
    g = c.wait(lambda g: True, 1.0)
    ok(g is not None and not g.flags & RST and g.ack == c.snd_nxt,
       "in-window RST got a challenge ACK for RCV.NXT (RFC 5961 3.2): %r" % (g,))
    ok(c.request(b"PING\r\n", 7) == b"+PONG\r\n", "control connection survived it")
    c.rst()
    time.sleep(0.2)
    c.send(b"PING\r\n")
    g = c.wait(lambda g: True, 1.0)
    ok(g is not None and g.flags & RST, "after the exact RST the connection is gone "
       "(data gets RST): %r" % (g,))
    c.forget()


def attack_ack(a, p):
    """Against a live connection: ACKs with random numbers, ACKs for data never
    sent, ACKs older than the window allows, data beyond the window, old
    duplicates. Each is dropped (answered with an ACK or a challenge ACK at
    most), none is accepted, the connection survives."""
    v = Victim(p, a.sl_ip, a.port)
    if not ok(v.cli_nxt is not None and v.sl_nxt is not None,
              "victim's sequence numbers learned"):
        return
    ack = Template(p.frame(v.ip, v.lport, 0, 0, "A", 65535))
    data = Template(p.frame(v.ip, v.lport, 0, 0, "PA", 65535, payload=INJECT))
    rng = random.Random()
    pace = Pacer(a.rate)
    kinds = {"random": 0, "ack-unsent": 0, "ack-too-old": 0, "beyond-window": 0,
             "old-duplicate": 0}
    end = time.time() + a.duration
    i = 0
    while time.time() < end:
        k = i % 5
        i += 1
        if k == 0:
            p.send(ack.make(seq=rng.getrandbits(32), ack=rng.getrandbits(32)))
            kinds["random"] += 1
        elif k == 1:
            p.send(ack.make(seq=v.cli_nxt, ack=v.sl_nxt + rng.randint(100000, 1 << 24)))
            kinds["ack-unsent"] += 1
        elif k == 2:
            p.send(ack.make(seq=v.cli_nxt, ack=v.sl_nxt - rng.randint(1 << 22, 1 << 28)))
            kinds["ack-too-old"] += 1
        elif k == 3:
            p.send(data.make(seq=v.cli_nxt + rng.randint(1 << 20, 1 << 24), ack=v.sl_nxt))
            kinds["beyond-window"] += 1
        else:
            p.send(data.make(seq=v.cli_nxt - len(INJECT) - rng.randint(1000, 1 << 20),
                             ack=v.sl_nxt))
            kinds["old-duplicate"] += 1
        pace.tick()
    time.sleep(0.3)
    note("ack: sent %s; the victim got %d data-less segments" %
         (", ".join("%d %s" % (n, k) for k, n in kinds.items()), v.acks_in))
    check_victim(v)
    check_not_injected(a)


BIG = 1000  # adv:opt:big's length


def option_cases():
    """(name, syn options as scapy list or raw bytes, expect a SYN-ACK?)"""
    return [
        ("truncated MSS (length 4, 2 bytes left)", b"\x01\x01\x02\x04", False),
        ("zero-length option", b"\x08\x00\x00\x00", False),
        ("option length 1", b"\x1e\x01\x00\x00", False),
        ("overlong option (length 40)", b"\x02\x28\x05\xb4", False),
        ("SACK-permitted with length 3", b"\x04\x03\x00\x00", False),
        ("timestamps with length 9", b"\x08\x09" + b"\0" * 7 + b"\0", False),
        ("unknown option kind 99", b"\x63\x04\x00\x00\x02\x04\x05\xb4", True),
        ("40 bytes of NOPs", b"\x01" * 40, True),
        ("EOL then garbage", b"\x00\xff\xff\xff", True),
        ("MSS 0", [("MSS", 0)], True),
        ("MSS 1", [("MSS", 1)], True),
        ("window scale 15", [("MSS", 1460), ("WScale", 15)], True),
        ("window scale 255", [("MSS", 1460), ("WScale", 255)], True),
    ]


def syn_answered(p, src, opts, timeout=1.0):
    """Sends a SYN with raw option bytes; True when a SYN-ACK comes back."""
    c = RawConn(p, src)
    c.p.send(p.frame(src, c.sport, c.iss, 0, "S", 65535, raw_opts=opts))
    g = c.wait(lambda g: True, timeout)
    if g is not None and not g.flags & RST:
        c.p.send(c.frame(seq=c.iss + 1, flags="R", ack=0))
    c.forget()
    return g is not None and (g.flags & (SYN | ACK)) == (SYN | ACK)


def attack_options(a, p):
    """Bogus TCP options on SYNs and on an established connection."""
    r = resp(a.sl_ip, a.port, b"SET", b"adv:opt:big", b"b" * BIG)
    ok(r == b"+OK\r\n", "stored a %d-byte value" % BIG)
    n = 0
    for name, opts, want in option_cases():
        n += 1
        src = spoofed_addr(600 + n)
        if isinstance(opts, bytes):
            got = syn_answered(p, src, opts)
            ok(got == want, "SYN with %s: %s" % (name, "answered" if got else "dropped"))
            continue
        c = RawConn(p, src, syn_options=opts)
        g = c.connect()
        if not ok(g is not None, "SYN with %s answered; handshake done" % name):
            c.forget()
            continue
        sizes = []
        reply = c.request(b"GET adv:opt:big\r\n", BIG + 9, timeout=5)
        want_reply = b"$%d\r\n" % BIG + b"b" * BIG + b"\r\n"
        c.send(b"GET adv:opt:big\r\n")
        reply2 = c.recv(BIG + 9, timeout=5, on_data=lambda g: sizes.append(len(g.payload)))
        ok(reply == want_reply and reply2 == want_reply,
           "%s: a %d-byte value read back intact" % (name, BIG))
        if name.startswith("MSS"):
            body = sizes[:-1] or sizes
            ok(body and min(body) >= 48 and max(sizes) <= 536,
               "%s: segments between 48 and 536 bytes, not 1-byte dribble (%s)" %
               (name, sorted(set(sizes))))
        c.rst()
        c.forget()

    # An established connection with timestamps and SACK: garbage options.
    c = RawConn(p, spoofed_addr(700), ts=True,
                syn_options=[("MSS", 1460), ("SAckOK", b""), ("NOP", None), ("WScale", 7)])
    if not ok(c.connect() is not None and c.request(b"PING\r\n", 7) == b"+PONG\r\n",
              "connection with timestamps and SACK established"):
        return
    rng = random.Random()
    pace = Pacer(a.rate)
    end = time.time() + a.duration
    sent = {"sack-outside": 0, "ts-echo-garbage": 0, "paws-old-tsval": 0,
            "truncated-opt-data": 0, "bogus-syn": 0}
    i = 0
    cases = option_cases()
    while time.time() < end:
        k = i % 5
        i += 1
        if k == 0:
            lo = c.rcv_nxt + rng.randint(1 << 20, 1 << 30)
            p.send(c.frame(options=[("SAck", (lo & 0xFFFFFFFF, (lo + 1000) & 0xFFFFFFFF))]))
            sent["sack-outside"] += 1
        elif k == 1:
            c.tsval += 1
            p.send(c.frame(raw_opts=b"\x01\x01\x08\x0a" + struct.pack("!II", c.tsval,
                                                                         rng.getrandbits(32))))
            sent["ts-echo-garbage"] += 1
        elif k == 2:
            p.send(c.frame(flags="PA", payload=INJECT, raw_opts=b"\x01\x01\x08\x0a" +
                           struct.pack("!II", c.tsval - 100000, c.ts_ecr)))
            sent["paws-old-tsval"] += 1
        elif k == 3:
            p.send(c.frame(flags="PA", payload=INJECT, raw_opts=b"\x01\x01\x08\x0a\x00"))
            sent["truncated-opt-data"] += 1
        else:
            name, opts, _ = cases[rng.randrange(len(cases))]
            src = spoofed_addr(rng.randrange(1016))
            if isinstance(opts, bytes):
                p.send(p.frame(src, rng.randint(1024, 65535), rng.getrandbits(32), 0, "S",
                               65535, raw_opts=opts))
            else:
                p.send(p.frame(src, rng.randint(1024, 65535), rng.getrandbits(32), 0, "S",
                               65535, opts))
            sent["bogus-syn"] += 1
        pace.tick()
    time.sleep(0.3)
    while not c.q.empty():
        c.q.get()
    note("options: sent %s" % ", ".join("%d %s" % (n, k) for k, n in sent.items()))
    got = c.request(b"PING\r\n", 7)
    ok(got == b"+PONG\r\n", "the garbage-options connection still answers exactly +PONG (no "
       "injected byte accepted): %r" % got)
    c.rst()
    c.forget()
    check_not_injected(a)


def attack_zerowin(a, p):
    """Connections that send a request for a large value and advertise a zero
    window forever, answering every probe with window 0. sluice keeps
    probing, memory stays bounded, other clients are served; opening the
    window later delivers the reply intact."""
    big = 100000
    r = resp(a.sl_ip, a.port, b"SET", b"adv:zw:big", b"z" * big)
    ok(r == b"+OK\r\n", "stored a %d-byte value" % big)
    base_clients = info_field(a.sl_ip, a.port, "connected_clients")
    rss0 = rss_kib(a.sluice_pid)
    probes = {}
    lock = threading.Lock()

    def hold(c, g):
        if g.flags & RST:
            return
        if g.payload or (g.seq + 1) & 0xFFFFFFFF == c.rcv_nxt:
            with lock:
                probes[c.sport] = probes.get(c.sport, 0) + 1
        c.p.send(c.frame(win=0))

    conns = []
    for i in range(a.conns):
        c = RawConn(p, spoofed_addr(200 + i))
        if c.connect(ack_win=0) is None:
            c.forget()
            continue
        c.on_seg = hold
        c.send(b"GET adv:zw:big\r\n", win=0)
        conns.append(c)
    ok(len(conns) == a.conns, "%d zero-window connections opened (%d asked)" %
       (len(conns), a.conns))
    t_end = time.time() + a.duration
    peak = rss0 or 0
    held = None
    while time.time() < t_end:
        time.sleep(0.5)
        peak = max(peak, rss_kib(a.sluice_pid) or 0)
        if held is None and time.time() > t_end - a.duration / 2:
            held = info_field(a.sl_ip, a.port, "connected_clients")
    total = sum(probes.values())
    note("zerowin: %d connections held at window 0 for %.0f s; %d probes answered "
         "(%d connections probed); sluice RSS %s KiB before, peak %s KiB" %
         (len(conns), a.duration, total, len(probes), rss0, peak))
    ok(held == base_clients + len(conns), "connected_clients counts the held connections "
       "(%s = %s + %d)" % (held, base_clients, len(conns)))
    ok(total > 0 and len(probes) >= len(conns) // 2,
       "sluice kept probing the zero windows (%d probes to %d connections)" %
       (total, len(probes)))
    if rss0 and a.rss_bound:
        grew = peak - rss0
        ok(grew < 65536 + len(conns) * big * 4 // 1024,
           "memory bounded: RSS grew %d KiB for %d held replies of %d bytes" %
           (grew, len(conns), big))
    # Open the window of two of them: the reply must arrive intact.
    for c in conns[:2]:
        c.on_seg = None
        while not c.q.empty():
            c.q.get()
        c.p.send(c.frame(win=65535))
        got = c.recv(big + 10, timeout=10)
        ok(got == b"$%d\r\n" % big + b"z" * big + b"\r\n",
           "window opened after the hold: reply of %d bytes intact (%d bytes came)" %
           (big, len(got)))
    for c in conns:
        c.on_seg = None
        c.rst()
        c.forget()
    time.sleep(0.5)
    after = info_field(a.sl_ip, a.port, "connected_clients")
    ok(after == base_clients, "exact RSTs closed them all: connected_clients back to %s (%s)" %
       (base_clients, after))


def garbage_frames(c, rng):
    """(name, frame) pairs aimed at an established connection at its exact
    sequence number, each carrying INJECT: none may be accepted."""
    f = c.frame
    kw = dict(flags="PA", payload=INJECT)
    return [
        ("first fragment (MF)", f(ip={"flags": "MF"}, **kw)),
        ("later fragment (offset 8)", f(ip={"frag": 1}, **kw)),
        ("fragment (MF+DF, offset 16)", f(ip={"flags": "MF+DF", "frag": 2}, **kw)),
        ("IHL 4", f(ip={"ihl": 4}, **kw)),
        ("IHL 15, no options", f(ip={"ihl": 15}, **kw)),
        ("total length longer than the frame", f(ip={"len": 1400}, **kw)),
        ("total length shorter than the headers", f(ip={"len": 30}, **kw)),
        ("bad IPv4 checksum", f(ip={"chksum": rng.randint(1, 0xFFFF)}, **kw)),
        ("IP version 5", f(ip={"version": 5}, **kw)),
        ("bad TCP checksum", f(tcp={"chksum": rng.randint(1, 0xFFFF)}, **kw)),
        ("TCP data offset 15 beyond the segment", f(tcp={"dataofs": 15}, **kw)),
        ("TCP data offset 2", f(tcp={"dataofs": 2}, **kw)),
    ]


def attack_garbage(a, p):
    """Fragments and malformed IPv4/TCP headers, at the exact sequence number
    of an established connection and as SYNs from spoofed sources: all
    dropped; the connection's next request is answered exactly."""
    c = RawConn(p, spoofed_addr(900))
    if not ok(c.connect() is not None and c.request(b"PING\r\n", 7) == b"+PONG\r\n",
              "target connection established"):
        return
    rng = random.Random()
    frames = garbage_frames(c, rng)
    # Each once, then the exact PING.
    for name, fr in frames:
        p.send(fr)
    time.sleep(0.3)
    while not c.q.empty():
        c.q.get()
    got = c.request(b"PING\r\n", 7)
    ok(got == b"+PONG\r\n", "after one of each malformed frame, PING at the same sequence "
       "number gets exactly +PONG: %r" % got)
    # Bad SYNs from spoofed sources: no SYN-ACK for any.
    synacks = [0]

    def count(g):
        if (g.flags & (SYN | ACK)) == (SYN | ACK) and g.dst.startswith("198.18.18"):
            synacks[0] += 1

    p.incoming.append(count)
    bad_syn = []
    for name, ipf, tcpf in [("bad TCP checksum", {}, {"chksum": 0x1234}),
                            ("bad IP checksum", {"chksum": 0x1234}, {}),
                            ("SYN fragment", {"flags": "MF"}, {}),
                            ("IHL 4", {"ihl": 4}, {})]:
        bad_syn.append((name, Template(p.frame("198.18.180.1", 1000, 0, 0, "S", 65535,
                                                [("MSS", 1460)], ip=ipf, tcp=tcpf))))
    pace = Pacer(a.rate)
    end = time.time() + a.duration
    n = 0
    while time.time() < end:
        if n % 2:
            p.send(frames[(n // 2) % len(frames)][1])
        else:
            # Template.make recomputes checksums: send the bytes as built.
            t = bad_syn[(n // 2) % len(bad_syn)][1]
            p.send(bytes(t.b))
        n += 1
        pace.tick()
    time.sleep(0.3)
    while not c.q.empty():
        c.q.get()
    note("garbage: %d malformed frames sent (%d kinds at the connection, %d as SYNs)" %
         (n, len(frames), len(bad_syn)))
    ok(synacks[0] == 0, "no malformed SYN was answered (%d SYN-ACKs)" % synacks[0])
    got = c.request(b"PING\r\n", 7)
    ok(got == b"+PONG\r\n", "after the flood the connection answers exactly +PONG: %r" % got)
    c.rst()
    c.forget()
    check_not_injected(a)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("attack", choices=["synflood", "connflood", "rst", "ack", "options", "zerowin",
                                       "garbage"])
    ap.add_argument("--iface", required=True)
    ap.add_argument("--sl-mac", required=True)
    ap.add_argument("--sl-ip", required=True)
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--rate", type=float, default=2000)
    ap.add_argument("--conns", type=int, default=40, help="zerowin: connections held")
    ap.add_argument("--cap", type=int, default=4, help="connflood: the conn-cap set")
    ap.add_argument("--extra", type=int, default=4, help="connflood: attempts over the cap")
    ap.add_argument("--no-rss-bound", dest="rss_bound", action="store_false",
                    help="zerowin: print RSS only (ASan's quarantine and shadow inflate it)")
    ap.add_argument("--sluice-pid", type=int, default=0)
    ap.add_argument("--no-synack", dest="expect_synack", action="store_false",
                    help="synflood: SYNs are expected to be shed")
    a = ap.parse_args()
    p = Port(a.iface, a.sl_mac, a.sl_ip, a.port)
    globals()["attack_" + a.attack](a, p)
    p.close()
    note("%s: %d frames sent, %d TCP segments from sluice seen" %
         (a.attack, p.sent, p.from_sluice))
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
