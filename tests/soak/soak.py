#!/usr/bin/env python3
"""Soak traffic generator and acknowledged-write checker (standard library only).

Runs for --duration seconds against a RESP server and proves:
  * every acknowledged write that was not later overwritten, deleted or
    expired reads back byte-identical (each client owns a key namespace and
    keeps a model of the acknowledged state of its keys; a connection aborted
    with requests in flight turns the touched keys into a set of candidates:
    the state after each prefix of the unacknowledged requests);
  * every pipelined reply arrives in order, one per request (each reply is
    checked against the request at the same position; values, PING messages
    and appended suffixes embed the key and the request id, so a foreign or
    truncated reply does not match);
  * shared INCR counters only grow as seen by each client, and end between
    the acknowledged and the acknowledged-plus-unknown increments;
  * clients die at random: by default they reset (RST) an idle connection
    between pipelines and reconnect; with --unsafe-kills they die with work
    in flight (RST right after a pipeline, in the middle of a request, after
    part of the replies) and real client processes are SIGKILLed while
    pipelining (their acknowledged writes, streamed to us before the kill,
    are read back afterwards). The in-flight kinds crash sluice today
    (docs/reliability.md, open bug 1);
  * PING keeps answering: a prober measures PING latency the whole time.
Prints a summary and writes it as JSON (--json). Exit status 0 iff no
check failed.
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

REPLY_TIMEOUT = 30.0  # a reply slower than this is a stall (generous: 1% loss)
MAX_CANDS = 16


class ProtocolError(Exception):
    pass


class Conn:
    """A RESP connection with a buffered reply parser."""

    def __init__(self, host, port, timeout=REPLY_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ProtocolError("connection closed by the server with a reply outstanding")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[: i + 2]
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        if self.buf[n : n + 2] != b"\r\n":
            raise ProtocolError("bulk reply not terminated by CRLF (truncated or corrupt)")
        data = bytes(self.buf[:n])
        del self.buf[: n + 2]
        return data

    def reply(self):
        line = self._line()
        if not line:
            raise ProtocolError("empty reply line")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return ("status", rest)
        if t == b"-":
            return ("error", rest)
        if t == b":":
            return ("int", int(rest))
        if t == b"$":
            n = int(rest)
            return ("bulk", None if n < 0 else self._exact(n))
        if t == b"*":
            n = int(rest)
            return ("array", None if n < 0 else [self.reply() for _ in range(n)])
        raise ProtocolError("bad reply type byte %r" % line[:20])

    def command(self, *args):
        self.send(encode(args))
        return self.reply()

    def abort(self):
        """Closes with RST (SO_LINGER 0), as a killed client's kernel may."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        self.sock.close()

    def close(self):
        self.sock.close()


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {
            "requests": 0,
            "pipelines": 0,
            "writes_acked": 0,
            "acked_writes_checked": 0,
            "final_keys_checked": 0,
            "clients_killed": 0,
            "client_aborts": 0,
            "victims_killed": 0,
            "victim_writes_acked": 0,
            "victim_keys_checked": 0,
            "reconnects": 0,
            "incr_acked": 0,
            "expiry_checks": 0,
        }
        self.failures = []

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                self.c[k] += v

    def fail(self, msg):
        with self.lock:
            if len(self.failures) < 200:
                self.failures.append(msg)
        sys.stderr.write("FAIL: %s\n" % msg)


def value_for(key, rid, rng, big=False):
    n = rng.randrange(20000, 70000) if big else rng.choice((0, 1, 7, 64, 300, 1400, 1500, 3000))
    return key.encode() + b"|" + rid.encode() + b"|" + rng.randbytes(n)


class Client(threading.Thread):
    """One client: its own key namespace, pipelines of random depth."""

    def __init__(self, cid, args, stats, stop, shared):
        super().__init__(daemon=True)
        self.cid, self.args, self.stats, self.stop, self.shared = cid, args, stats, stop, shared
        self.rng = random.Random(args.seed * 1000 + cid)
        self.keys = ["s:%d:k%d" % (cid, i) for i in range(args.keys)]
        self.ekeys = ["s:%d:e%d" % (cid, i) for i in range(8)]
        # Model: key -> list of candidate values (bytes or None); a single
        # candidate means the acknowledged state is known exactly.
        self.model = {k: [None] for k in self.keys}
        # Expiring keys: key -> (value, set_sent, set_acked, px_ms) or None (unknown)
        self.emodel = {k: ("absent",) for k in self.ekeys}
        self.incr_seen = {}
        self.incr_acked = {}
        self.incr_unknown = {}
        self.seq = 0
        self.conn = None

    def rid(self):
        self.seq += 1
        return "c%dr%d" % (self.cid, self.seq)

    def connect(self):
        for _ in range(100):
            if self.stop.is_set():
                return False
            try:
                self.conn = Conn(self.args.host, self.args.port)
                return True
            except OSError:
                time.sleep(0.1)
        self.stats.fail("client %d could not reconnect in 100 attempts" % self.cid)
        return False

    # Each build_* returns (args, check, mods): check(reply, t_sent, t_acked)
    # verifies the reply; mods lists (key, cands_before, cands_after) so an
    # abort can widen the model.
    def build(self, spec):
        rng = self.rng
        op = rng.random()
        k = rng.choice(self.keys)
        cands = spec.get(k, self.model[k])
        rid = self.rid()

        def read_check(key, cset, what):
            def chk(r):
                if r[0] != "bulk":
                    return "%s %s: expected a bulk reply, got %r" % (what, key, r)
                v = r[1]
                if v is not None and not v.startswith(key.encode() + b"|"):
                    return "%s %s: foreign value %r..." % (what, key, v[:60])
                if cset is None:
                    return None
                if v not in cset:
                    return "%s %s: value %r... not among the acknowledged candidates %r" % (
                        what, key, (v or b"")[:60], [(c or b"")[:40] for c in cset])
                if v is not None and len(cset) == 1:
                    self.stats.add(acked_writes_checked=1)
                return None
            return chk

        def known(c):
            return c if c is not None and len(c) <= MAX_CANDS else None

        if op < 0.30:
            v = value_for(k, rid, rng, big=rng.random() < 0.02)
            spec[k] = [v]
            ex = lambda r: None if r == ("status", b"OK") else "SET %s: got %r" % (k, r)
            return ["SET", k, v], ex, [(k, cands, [v])], True
        if op < 0.55:
            return ["GET", k], read_check(k, known(cands), "GET"), [], False
        if op < 0.62:
            spec[k] = [None]
            exp = None if known(cands) is None else {0 if c is None else 1 for c in cands}
            ex = lambda r: None if r[0] == "int" and (exp is None or r[1] in exp) else "DEL %s: got %r, expected one of %r" % (k, r, exp)
            return ["DEL", k], ex, [(k, cands, [None])], True
        if op < 0.70:
            suffix = b"+" + rid.encode() + rng.randbytes(rng.randrange(0, 200))
            after = None if known(cands) is None else [(c or k.encode() + b"|") + suffix if c is None else c + suffix for c in cands]
            # APPEND to a missing key creates it with just the suffix; keep
            # values key-prefixed by only appending to existing keys.
            if after is None or None in cands:
                v = value_for(k, rid, rng)
                spec[k] = [v]
                ex = lambda r: None if r == ("status", b"OK") else "SET %s: got %r" % (k, r)
                return ["SET", k, v], ex, [(k, cands, [v])], True
            spec[k] = after
            lens = {len(a) for a in after}
            ex = lambda r: None if r[0] == "int" and r[1] in lens else "APPEND %s: got %r, expected length in %r" % (k, r, lens)
            return ["APPEND", k, suffix], ex, [(k, cands, after)], True
        if op < 0.76:
            ks = rng.sample(self.keys, rng.randrange(2, 6))
            args, mods = ["MSET"], []
            for kk in ks:
                v = value_for(kk, rid, rng)
                mods.append((kk, spec.get(kk, self.model[kk]), [v]))
                spec[kk] = [v]
                args += [kk, v]
            ex = lambda r: None if r == ("status", b"OK") else "MSET: got %r" % (r,)
            return args, ex, mods, True
        if op < 0.84:
            ks = rng.sample(self.keys, rng.randrange(2, 8))
            checks = [read_check(kk, known(spec.get(kk, self.model[kk])), "MGET") for kk in ks]

            def ex(r):
                if r[0] != "array" or r[1] is None or len(r[1]) != len(ks):
                    return "MGET %r: got %r" % (ks, r)
                for c, rr in zip(checks, r[1]):
                    e = c(rr)
                    if e:
                        return e
                return None
            return ["MGET"] + ks, ex, [], False
        if op < 0.87:
            spec[k] = [None]
            return ["GETDEL", k], read_check(k, known(cands), "GETDEL"), [(k, cands, [None])], True
        if op < 0.90:
            exp = None if known(cands) is None else {len(c or b"") for c in cands}
            ex = lambda r: None if r[0] == "int" and (exp is None or r[1] in exp) else "STRLEN %s: got %r, expected %r" % (k, r, exp)
            return ["STRLEN", k], ex, [], False
        if op < 0.94:
            ck = "s:shared:ctr%d" % rng.randrange(4)

            def ex(r, ck=ck):
                if r[0] != "int":
                    return "INCR %s: got %r" % (ck, r)
                last = self.incr_seen.get(ck, 0)
                if r[1] <= last:
                    return "INCR %s: %d after %d seen by this client (not monotonic)" % (ck, r[1], last)
                self.incr_seen[ck] = r[1]
                self.incr_acked[ck] = self.incr_acked.get(ck, 0) + 1
                self.stats.add(incr_acked=1)
                return None
            return ["INCR", ck], ex, [("incr", ck, None)], True
        if op < 0.97:
            ek = rng.choice(self.ekeys)
            return self.build_expiring(ek, rid, spec)
        msg = "ping-" + rid
        ex = lambda r: None if r == ("bulk", msg.encode()) else "PING %s: got %r (foreign or out of order)" % (msg, r)
        return ["PING", msg], ex, [], False

    def build_expiring(self, ek, rid, spec):
        rng = self.rng
        if rng.random() < 0.5:
            v = value_for(ek, rid, rng)
            px = rng.randrange(100, 1500)
            slot = {}

            def ex(r, t_sent, t_acked):
                if r != ("status", b"OK"):
                    return "SET %s PX: got %r" % (ek, r)
                slot["state"] = (v, t_sent, t_acked, px)
                return None
            spec.setdefault("__e", []).append(ek)
            return ["SET", ek, v, "PX", px], ("timed", ex, ek, slot), [("e", ek, None)], True

        def ex(r, t_sent, t_acked, st):
            if r[0] != "bulk":
                return "GET %s: got %r" % (ek, r)
            if st is None or st[0] == "unknown":
                return None
            if st[0] == "absent":
                return None if r[1] is None else "GET %s: value %r... for a key never set" % (ek, r[1][:40])
            v, s_sent, s_acked, px = st
            self.stats.add(expiry_checks=1)
            slack = 0.05
            if r[1] is None:
                if t_acked < s_sent + px / 1000.0 - slack:
                    return "GET %s: nil %.3f s after SET PX %d (before it could expire)" % (ek, t_acked - s_sent, px)
            elif r[1] != v:
                return "GET %s: value %r... differs from the acknowledged one" % (ek, r[1][:40])
            elif t_sent > s_acked + px / 1000.0 + slack:
                return "GET %s: still present %.3f s after SET PX %d was acknowledged" % (ek, t_sent - s_acked, px)
            return None
        return ["GET", ek], ("timed-read", ex, ek), [], False

    def run_pipeline(self):
        rng = self.rng
        depth = rng.choice((1, 1, 2, 3, 5, 8, 16, 32, 64, 128))
        spec = {}
        reqs = []
        for _ in range(depth):
            args, ex, mods, is_write = self.build(spec)
            reqs.append((encode(args), ex, mods, is_write))
        payload = b"".join(r[0] for r in reqs)
        # Die at random: 0 = live, 1 = RST after sending, 2 = RST mid-request,
        # 3 = RST after reading part of the replies.
        death = 0
        if rng.random() < self.args.kill_prob:
            # Without --unsafe-kills a client dies only between pipelines
            # (RST on an idle connection, mode 4): a RST that meets pending
            # data, ACKs or replies of the same connection crashes sluice
            # today (docs/reliability.md, open bug 1).
            death = rng.choice((1, 2, 3)) if self.args.unsafe_kills else 4
        acked = 0
        epending = {}
        try:
            t_sent = time.monotonic()
            if death == 2:
                cut = rng.randrange(1, len(payload))
                self.conn.send(payload[:cut])
                raise _Died()
            self.conn.send(payload)
            if death == 1:
                raise _Died()
            stop_at = rng.randrange(0, depth) if death == 3 else depth + 1
            for i, (_, ex, mods, is_write) in enumerate(reqs):
                if i == stop_at:
                    raise _Died()
                r = self.conn.reply()
                t_acked = time.monotonic()
                if isinstance(ex, tuple) and ex[0] == "timed":
                    err = ex[1](r, t_sent, t_acked)
                    if not err:
                        self.emodel[ex[2]] = ex[3]["state"]
                elif isinstance(ex, tuple) and ex[0] == "timed-read":
                    err = ex[1](r, t_sent, t_acked, self.emodel.get(ex[2]))
                else:
                    err = ex(r)
                if err:
                    self.stats.fail("client %d pipeline depth %d reply %d: %s" % (self.cid, depth, i, err))
                    raise ProtocolError("checker failure")
                acked += 1
                for m in mods:
                    if m[0] not in ("incr", "e"):
                        self.model[m[0]] = m[2]
                self.stats.add(requests=1, writes_acked=1 if is_write else 0)
            self.stats.add(pipelines=1)
            if death == 4:
                time.sleep(0.1)
                raise _Died()
            return True
        except _Died:
            self.stats.add(client_aborts=1, clients_killed=1)
            self.widen(reqs, acked)
            # Always RST: a FIN close would let the kernel keep delivering
            # the unsent requests after we reconnect, so they could run
            # after our next writes (real killed processes, which close with
            # FIN or RST, are the victims' part).
            self.conn.abort()
            self.conn = None
            return False
        except (OSError, ProtocolError) as e:
            if not isinstance(e, ProtocolError) or str(e) != "checker failure":
                self.stats.fail("client %d pipeline depth %d after %d replies: %s: %s" % (
                    self.cid, depth, acked, type(e).__name__, e))
            self.widen(reqs, acked)
            self.conn.abort()
            self.conn = None
            return False

    def widen(self, reqs, acked):
        """Requests from `acked` on may or may not have run: keep every prefix's state."""
        for _, _, mods, _ in reqs[acked:]:
            for m in mods:
                if m[0] == "incr":
                    self.incr_unknown[m[1]] = self.incr_unknown.get(m[1], 0) + 1
                elif m[0] == "e":
                    self.emodel[m[1]] = ("unknown",)
                else:
                    key, before, after = m
                    cur = self.model[key]
                    if cur is None or before is None or after is None:
                        self.model[key] = None
                        continue
                    merged = list(cur)
                    for c in after:
                        if c not in merged:
                            merged.append(c)
                    self.model[key] = merged if len(merged) <= MAX_CANDS else None

    def run(self):
        deadline = self.args.t_end
        while not self.stop.is_set() and time.monotonic() < deadline:
            if self.conn is None:
                if not self.connect():
                    break
                self.stats.add(reconnects=1)
            self.run_pipeline()
        if self.conn:
            self.conn.close()

    def final_check(self):
        """Reads every key back and checks it against the model."""
        try:
            c = Conn(self.args.host, self.args.port)
            for i in range(0, len(self.keys), 16):
                ks = self.keys[i : i + 16]
                r = c.command("MGET", *ks)
                if r[0] != "array" or len(r[1]) != len(ks):
                    self.stats.fail("final MGET: got %r" % (r,))
                    continue
                for kk, rr in zip(ks, r[1]):
                    cands = self.model[kk]
                    v = rr[1]
                    if cands is None or len(cands) > MAX_CANDS:
                        continue
                    if v not in cands:
                        self.stats.fail("final read %s: %r... not among acknowledged candidates %r" % (
                            kk, (v or b"")[:60], [(x or b"")[:40] for x in cands]))
                    elif len(cands) == 1 and v is not None:
                        self.stats.add(final_keys_checked=1)
            c.close()
        except (OSError, ProtocolError) as e:
            self.stats.fail("final check of client %d: %s" % (self.cid, e))


class _Died(Exception):
    pass


def prober(args, stop, out):
    """PINGs every 50 ms on its own connection; records latencies."""
    lat = []
    worst_gap = 0.0
    errors = 0
    c = None
    last_ok = time.monotonic()
    while not stop.is_set():
        try:
            if c is None:
                c = Conn(args.host, args.port, timeout=10)
            t0 = time.monotonic()
            r = c.command("PING")
            t1 = time.monotonic()
            if r != ("status", b"PONG"):
                errors += 1
                c.abort()
                c = None
                continue
            lat.append(t1 - t0)
            worst_gap = max(worst_gap, t1 - last_ok)
            last_ok = t1
        except (OSError, ProtocolError):
            errors += 1
            if c:
                c.abort()
            c = None
        time.sleep(0.05)
    if c:
        c.close()
    lat.sort()
    out.update(
        pings=len(lat),
        ping_errors=errors,
        ping_p50_ms=round(1000 * lat[len(lat) // 2], 2) if lat else None,
        ping_p99_ms=round(1000 * lat[int(len(lat) * 0.99)], 2) if lat else None,
        ping_max_ms=round(1000 * lat[-1], 2) if lat else None,
        ping_worst_gap_ms=round(1000 * worst_gap, 2),
    )


def victim_value(vid, key, seq):
    r = random.Random("%d/%s/%d" % (vid, key, seq))
    return ("%s|v%d.%d|" % (key, vid, seq)).encode() + r.randbytes(r.randrange(0, 2000))


def victim_main(args):
    """A separate client process that pipelines SETs until it is SIGKILLed.

    Before sending request seq it prints "S seq"; after its reply, "A seq".
    """
    vid = args.victim
    c = Conn(args.host, args.port)
    if not args.victim_fin:
        # Killed with SO_LINGER 0 the kernel resets the connection. A FIN
        # close (--victim-fin) crashes sluice today: the server closes a
        # connection with unread requests from inside its own event callback
        # and the TCP stack frees it twice (docs/reliability.md, open bugs).
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    out = sys.stdout
    seq = 0
    while True:
        batch = []
        for _ in range(random.randrange(1, 32)):
            seq += 1
            key = "s:v%d:k%d" % (vid, seq % 16)
            batch.append((seq, encode(["SET", key, victim_value(vid, key, seq)])))
        out.write("S %d\n" % batch[-1][0])
        out.flush()
        c.send(b"".join(b for _, b in batch))
        for s, _ in batch:
            r = c.reply()
            if r != ("status", b"OK"):
                out.write("E %r\n" % (r,))
                out.flush()
                return 1
            out.write("A %d\n" % s)
            out.flush()


def killer(args, stats, stop):
    """Starts victim client processes and SIGKILLs each at a random moment,
    then checks that each of its keys holds its last acknowledged value or a
    later one it sent (never an older, torn or foreign one)."""
    vid = 0
    rng = random.Random(args.seed)
    while not stop.is_set() and time.monotonic() < args.t_end - 3:
        vid += 1
        p = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--host", args.host, "--port", str(args.port), "--victim", str(vid)]
            + (["--victim-fin"] if args.victim_fin else []),
            stdout=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.2, 2.0))
        p.send_signal(signal.SIGKILL)
        out = p.communicate()[0].decode(errors="replace").split("\n")
        stats.add(victims_killed=1, clients_killed=1)
        acked, sent = 0, 0
        for line in out:
            if line.startswith("A "):
                acked = int(line[2:])
            elif line.startswith("S "):
                sent = int(line[2:])
            elif line.startswith("E "):
                stats.fail("victim %d got an error reply: %s" % (vid, line))
        stats.add(victim_writes_acked=acked)
        try:
            c = Conn(args.host, args.port)
            for i in range(16):
                key = "s:v%d:k%d" % (vid, i)
                last = max([s for s in range(1, acked + 1) if s % 16 == i], default=0)
                r = c.command("GET", key)
                v = r[1] if r[0] == "bulk" else None
                if v is None:
                    if last:
                        stats.fail("victim %d key %s: nil, but SET #%d was acknowledged" % (vid, key, last))
                    continue
                pre = ("%s|v%d." % (key, vid)).encode()
                if not v.startswith(pre):
                    stats.fail("victim %d key %s: foreign value %r" % (vid, key, v[:60]))
                    continue
                s = int(v[len(pre) :].split(b"|", 1)[0])
                if s < last or s > sent or s % 16 != i or v != victim_value(vid, key, s):
                    stats.fail("victim %d key %s: holds SET #%d (last acked %d, last sent %d) or corrupt" % (vid, key, s, last, sent))
                elif last:
                    stats.add(victim_keys_checked=1)
            c.close()
        except (OSError, ProtocolError) as e:
            stats.fail("victim %d check: %s" % (vid, e))
        time.sleep(rng.uniform(0.5, 2.0))


def info(host, port):
    c = Conn(host, port, timeout=10)
    r = c.command("INFO")
    c.close()
    d = {}
    for line in r[1].decode().split("\r\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            d[k] = v
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--keys", type=int, default=48)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--kill-prob", type=float, default=0.03)
    ap.add_argument("--json")
    ap.add_argument("--victim", type=int)
    ap.add_argument("--unsafe-kills", action="store_true",
                    help="kill clients with requests and replies in flight, and SIGKILL "
                    "client processes mid-pipeline (crashes sluice today)")
    ap.add_argument("--victim-fin", action="store_true", help="victims may close with FIN when killed (crashes sluice today)")
    ap.add_argument("--phase", choices=("run", "baseline"), default="run")
    args = ap.parse_args()
    if args.victim is not None:
        return victim_main(args)
    if args.phase == "baseline":
        print(json.dumps(info(args.host, args.port)))
        return 0

    stats = Stats()
    stop = threading.Event()
    args.t_end = time.monotonic() + args.duration
    print("soak: seed %d, %d clients, %.0f s against %s:%d" % (args.seed, args.clients, args.duration, args.host, args.port), flush=True)
    clients = [Client(i, args, stats, stop, None) for i in range(args.clients)]
    pstats = {}
    pt = threading.Thread(target=prober, args=(args, stop, pstats), daemon=True)
    kt = threading.Thread(target=killer, args=(args, stats, stop), daemon=True)
    pt.start()
    if args.unsafe_kills:
        kt.start()
    for c in clients:
        c.start()
    while time.monotonic() < args.t_end:
        time.sleep(min(10, max(0.1, args.t_end - time.monotonic())))
        with stats.lock:
            print("soak: %.0f s left: %d requests, %d failures" % (
                max(0, args.t_end - time.monotonic()), stats.c["requests"], len(stats.failures)), flush=True)
    for c in clients:
        c.join(REPLY_TIMEOUT + 5)
        if c.is_alive():
            stats.fail("client %d did not finish (stalled)" % c.cid)
    if args.unsafe_kills:
        kt.join(30)
    stop.set()
    pt.join(15)
    for c in clients:
        c.final_check()
    # Shared counters: acknowledged <= final <= acknowledged + unknown.
    try:
        c = Conn(args.host, args.port)
        for j in range(4):
            ck = "s:shared:ctr%d" % j
            r = c.command("GET", ck)
            final = int(r[1]) if r[0] == "bulk" and r[1] is not None else 0
            lo = sum(cl.incr_acked.get(ck, 0) for cl in clients)
            hi = lo + sum(cl.incr_unknown.get(ck, 0) for cl in clients)
            if not lo <= final <= hi:
                stats.fail("counter %s = %d, expected between %d acknowledged and %d" % (ck, final, lo, hi))
        c.close()
    except (OSError, ProtocolError, ValueError) as e:
        stats.fail("counter check: %s" % e)

    s = dict(stats.c)
    s.update(pstats)
    s["failures"] = len(stats.failures)
    s["failure_list"] = stats.failures[:50]
    s["seed"] = args.seed
    s["duration_s"] = args.duration
    print("soak summary: %d requests in %d pipelines, %d acknowledged writes, %d acknowledged writes read back and "
          "checked (+%d keys in the final sweep, %d victim keys, %d expiry checks), %d clients killed "
          "(%d aborted connections, %d SIGKILLed processes), %d INCRs acknowledged, PING p50 %s ms p99 %s ms max %s ms, "
          "%s" % (s["requests"], s["pipelines"], s["writes_acked"], s["acked_writes_checked"], s["final_keys_checked"],
                  s["victim_keys_checked"], s["expiry_checks"], s["clients_killed"], s["client_aborts"],
                  s["victims_killed"], s["incr_acked"], s.get("ping_p50_ms"), s.get("ping_p99_ms"),
                  s.get("ping_max_ms"), "0 lost" if not stats.failures else "%d FAILURES" % len(stats.failures)),
          flush=True)
    for f in stats.failures[:20]:
        print("soak failure: " + f)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(s, f, indent=1)
    return 0 if not stats.failures else 1


if __name__ == "__main__":
    sys.exit(main())
