#!/usr/bin/env python3
"""memory_probe.py HOST PORT LABEL PHASE...: maxmemory and large-value checks
against a running sluice (or redis-server), one phase after another on the
same connections. Prints TAP lines ("ok - ..." / "not ok - ...") and figures
("# ..."); exits 1 if any check failed.

Phases (each starts with FLUSHALL and sets the limits it needs through
CONFIG SET, so they can run in any order on one server):
  startup     the server was started with maxmemory 32mb, noeviction
  noeviction  fill to maxmemory: exact OOM errors, reads/DEL while full,
              acknowledged keys intact, DEL makes room, no connection closed
  lru         allkeys-lru: several times maxmemory written, never refused,
              evicted_keys == written - DBSIZE, bounded used_memory, hot keys
              survive more than cold ones, survivors intact
  volatile    volatile-lru: keys without TTL never evicted; OOM only once no
              key with a TTL is left
  large       1, 16 and 64 MiB values (SHA-256), pipelined, APPEND to 64 MiB,
              GETRANGE at the end, proto-max-bulk-len errors, memory back to
              baseline after DEL
  sparse      a grown table emptied then holding a few 4 MiB values: the
              eviction policies still find victims (never a false OOM)
  live        CONFIG SET maxmemory below used memory: allkeys-lru evicts down
              on the following writes; noeviction answers OOM

Expected texts are Redis 7.0's (src/server.c shared.oomerr, networking.c
"invalid bulk length", t_string.c checkStringLength). Every loop is bounded
in iterations and in time.
"""
import hashlib
import os
import socket
import sys
import time

OOM = "OOM command not allowed when used memory > 'maxmemory'."
BULK_TOOBIG = "ERR Protocol error: invalid bulk length"
STR_TOOBIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
MIB = 1 << 20

failures = 0
label = ""


def ok(cond, what):
    global failures
    if cond:
        print("ok - %s: %s" % (label, what), flush=True)
    else:
        failures += 1
        print("not ok - %s: %s" % (label, what), flush=True)
    return cond


def note(text):
    print("# %s: %s" % (label, text), flush=True)


class Closed(Exception):
    pass


class Err:
    """An error reply; text without the leading '-'."""

    def __init__(self, text):
        self.text = text

    def __eq__(self, other):
        return isinstance(other, Err) and other.text == self.text

    def __repr__(self):
        return "Err(%r)" % self.text


class Conn:
    """A minimal RESP2 client: pipelining, large bulks read in place."""

    def __init__(self, host, port, timeout=60):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.settimeout(timeout)
        self.buf = bytearray()
        self.pos = 0

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, int):
                a = b"%d" % a
            out.append(b"$%d\r\n" % len(a))
            out.append(a)
            out.append(b"\r\n")
        return b"".join(out)

    def send(self, cmds):
        self.s.sendall(b"".join(self.encode(c) for c in cmds))

    def _fill(self):
        if self.pos > MIB:
            del self.buf[: self.pos]
            self.pos = 0
        d = self.s.recv(1 << 20)
        if not d:
            raise Closed()
        self.buf += d

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos : i])
                self.pos = i + 2
                return line
            self._fill()

    def _exact(self, n):
        have = len(self.buf) - self.pos
        if have >= n:
            out = bytes(self.buf[self.pos : self.pos + n])
            self.pos += n
            return out
        out = bytearray(n)
        out[:have] = self.buf[self.pos :]
        self.buf = bytearray()
        self.pos = 0
        view = memoryview(out)
        got = have
        while got < n:
            r = self.s.recv_into(view[got:], min(n - got, 4 * MIB))
            if r == 0:
                raise Closed()
            got += r
        return bytes(out)

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return Err(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self._exact(n + 2)
            assert data[-2:] == b"\r\n", "bulk not terminated by CRLF"
            return data[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError("bad reply type %r" % line[:40])

    def call(self, *args):
        self.send([args])
        return self.reply()

    def pipeline(self, cmds):
        self.send(cmds)
        return [self.reply() for _ in cmds]

    def alive(self):
        try:
            return self.call("PING") == "PONG"
        except (OSError, Closed):
            return False

    def close(self):
        self.s.close()


def info(c, section):
    text = c.call("INFO", section)
    out = {}
    for line in text.decode().split("\r\n"):
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def used(c):
    return int(info(c, "memory")["used_memory"])


def evicted(c):
    return int(info(c, "stats")["evicted_keys"])


def keyspace(c):
    """(keys, expires) of db0, (0, 0) when empty."""
    v = info(c, "keyspace").get("db0")
    if v is None:
        return 0, 0
    f = dict(x.split("=") for x in v.split(","))
    return int(f["keys"]), int(f["expires"])


# Values: the key, then bytes from a random block at a key-dependent offset,
# so every value is distinct and any truncation or mix-up shows.
BLOCK = os.urandom(256 * 1024)


def value(key, n):
    k = key.encode() + b"="
    if n <= len(k):
        return k[:n]
    off = int.from_bytes(hashlib.blake2b(k, digest_size=4).digest(), "little") % 65536
    body = BLOCK[off : off + n - len(k)]
    while len(body) < n - len(k):
        body += BLOCK[: n - len(k) - len(body)]
    return k + body


def fresh(c, maxmemory, policy):
    ok(c.call("FLUSHALL") == "OK", "FLUSHALL")
    r1 = c.call("CONFIG", "SET", "maxmemory", str(maxmemory))
    r2 = c.call("CONFIG", "SET", "maxmemory-policy", policy)
    r3 = c.call("CONFIG", "SET", "proto-max-bulk-len", "512mb")
    ok(r1 == "OK" and r2 == "OK" and r3 == "OK", "CONFIG SET maxmemory %d maxmemory-policy %s" % (maxmemory, policy))


def read_back(c, model, batch=256, deadline=120):
    """GET every key of model; returns (present, missing, corrupt keys)."""
    keys = list(model)
    present = missing = 0
    corrupt = []
    end = time.monotonic() + deadline
    for i in range(0, len(keys), batch):
        if time.monotonic() > end:
            corrupt.append("<read-back timed out>")
            break
        part = keys[i : i + batch]
        for k, r in zip(part, c.pipeline([("GET", k) for k in part])):
            if r is None:
                missing += 1
            elif r == model[k]:
                present += 1
            else:
                corrupt.append(k)
    return present, missing, corrupt


# ---------------------------------------------------------------------------


def phase_startup(c, _c2):
    m = info(c, "memory")
    ok(m.get("maxmemory") == str(32 * MIB), "maxmemory 32mb from the command line (INFO says %s)" % m.get("maxmemory"))
    ok(m.get("maxmemory_policy") == "noeviction", "policy noeviction from the command line")
    r = c.call("CONFIG", "GET", "maxmemory")
    ok(r == [b"maxmemory", b"%d" % (32 * MIB)], "CONFIG GET maxmemory: %r" % (r,))


def phase_noeviction(c, c2):
    M = 32 * MIB
    sizes = [16, 100, 1000, 4000, 16000, 100000]
    tol = M // 16 + max(sizes)
    fresh(c, M, "noeviction")
    model = {"ne:cnt": b"5"}
    ok(c.call("SET", "ne:cnt", "5") == "OK" and c.call("HSET", "ne:hash", "f", "v") == 1, "a counter and a hash written first")
    bad = []
    first_oom = None
    n = 0
    end = time.monotonic() + 60
    while first_oom is None and n < 20000 and time.monotonic() < end:
        cmds = []
        for _ in range(32):
            k = "ne:%d" % n
            cmds.append(("SET", k, value(k, sizes[n % len(sizes)])))
            n += 1
        for cmd, r in zip(cmds, c.pipeline(cmds)):
            if r == "OK":
                if first_oom is not None:
                    bad.append("OK after the first OOM for %s" % cmd[1])
                model[cmd[1]] = cmd[2]
            elif isinstance(r, Err) and r.text == OOM:
                if first_oom is None:
                    first_oom = cmd[1]
            else:
                bad.append("%s: %r" % (cmd[1], r))
    u = used(c)
    note("%d keys acknowledged before the first OOM; used_memory %d, maxmemory %d (%.3fx), tolerance +%d" % (len(model), u, M, u / M, tol))
    ok(first_oom is not None, "writes end in an OOM error after %d keys" % len(model))
    ok(not bad, "every failed write is exactly Redis's OOM error, none acknowledged after it (%s)" % bad[:3])
    ok(M < u <= M + tol, "used_memory %d is above maxmemory %d (Redis refuses only then) and within +%d" % (u, M, tol))

    # Denyoom commands while full: Redis rejects them before running them
    # (server.c processCommand), whatever they would have answered.
    k0, k1 = "ne:0", "ne:1"
    full = [
        (("SET", k0, "v", "NX"), "SET NX of an existing key"),
        (("SET", "ne:none", "v", "XX"), "SET XX of a missing key"),
        (("SET", "ne:hash", "v", "GET"), "SET GET of a hash"),
        (("SETNX", k0, "v"), "SETNX of an existing key"),
        (("INCR", "ne:cnt"), "INCR of an existing counter (in place)"),
        (("INCR", k0), "INCR of a non-integer"),
        (("INCRBYFLOAT", "ne:cnt", "1.5"), "INCRBYFLOAT"),
        (("HSET", k0, "f", "v"), "HSET of a string key"),
        (("HINCRBY", "ne:hash", "f", 1), "HINCRBY of a non-integer field"),
        (("SET", "ne:new", "x"), "new key"),
        (("SET", k1, "y"), "overwrite with a smaller value"),
        (("APPEND", k0, "z"), "APPEND"),
        (("SETRANGE", k0, 0, "z"), "SETRANGE"),
        (("INCR", "ne:counter"), "INCR of a new key"),
        (("MSET", "ne:m1", "1", "ne:m2", "2"), "MSET"),
        (("HSET", "ne:h", "f", "v"), "HSET"),
        (("SETEX", "ne:ex", 100, "v"), "SETEX"),
        (("GETSET", k1, "v"), "GETSET"),
    ]
    # Redis answers OOM before a denyoom command's own checks (processCommand).
    engine_order = [
        (("SET", "ne:x", "v", "EX", "abc"), "SET with a bad EX argument"),
        (("SETRANGE", k0, 0, ""), "SETRANGE of an empty string"),
        (("MSETNX", k0, "1", "ne:n2", "2"), "MSETNX with an existing key"),
        (("HSETNX", "ne:hash", "f", "v"), "HSETNX of an existing field"),
        (("INCRBYFLOAT", k0, "1"), "INCRBYFLOAT of a non-number"),
    ]
    full += engine_order
    for cmd, what in full:
        r = c.call(*cmd)
        ok(r == Err(OOM), "while full, %s answers the OOM error (got %r)" % (what, r))
    ok(c.call("GET", "ne:cnt") == b"5" and c.call("HGET", "ne:hash", "f") == b"v", "the counter and the hash are unchanged")
    ok(c.call("EXISTS", "ne:new", "ne:counter", "ne:m1", "ne:m2", "ne:h", "ne:ex") == 0, "refused writes left no key")

    # Reads and DEL keep working; every acknowledged key is intact.
    present, missing, corrupt = read_back(c, model)
    ok(present == len(model) and missing == 0 and not corrupt,
       "while full, all %d acknowledged keys read back byte-identical (%d missing, %d corrupt)" % (len(model), missing, len(corrupt)))
    ok(c.call("STRLEN", k1) == len(model[k1]) and c.call("GETRANGE", k1, 0, 3) == model[k1][:4], "STRLEN and GETRANGE while full")
    ok(c.call("DBSIZE") == len(model) + 1, "DBSIZE equals the acknowledged keys (and the hash)")
    dels = [k for i, k in enumerate(model) if i % 4 == 0]
    rs = c.pipeline([("DEL", k) for k in dels])
    ok(all(r == 1 for r in rs), "DEL of %d keys while full answers 1 each" % len(dels))
    for k in dels:
        del model[k]
    u2 = used(c)
    note("used_memory after DEL %d (was %d)" % (u2, u))
    ok(u2 < M, "DEL brings used_memory under maxmemory (%d < %d)" % (u2, M))
    ok(c.call("SET", "ne:again", "v") == "OK", "a write succeeds again after DEL")
    model["ne:again"] = b"v"
    # Fill again: the room DEL made is usable, then OOM again.
    again = 0
    oom2 = False
    end = time.monotonic() + 60
    for i in range(20000):
        if time.monotonic() > end:
            break
        k = "ne:re:%d" % i
        r = c.call("SET", k, value(k, 4000))
        if r == "OK":
            model[k] = value(k, 4000)
            again += 1
        else:
            oom2 = r == Err(OOM)
            break
    ok(again > 0 and oom2, "%d more writes fit, then OOM again" % again)
    present, missing, corrupt = read_back(c, model)
    ok(present == len(model) and not corrupt, "all %d keys intact after refill (%d missing, %d corrupt)" % (len(model), missing, len(corrupt)))
    ok(c.alive() and c2.alive(), "no connection was closed")


def phase_lru(c, c2):
    M = 16 * MIB
    sizes = [200, 700, 1000, 1500, 2500]
    tol = M // 16 + max(sizes)
    fresh(c, M, "allkeys-lru")
    ev0 = evicted(c)
    model = {}
    hot = ["lru:hot:%d" % i for i in range(200)]
    cmds = [("SET", k, value(k, 1000)) for k in hot]
    rs = c.pipeline(cmds)
    for cmd in cmds:
        model[cmd[1]] = cmd[2]
    cold_early = []
    refused = [r for r in rs if r != "OK"]
    peak = 0
    rounds = 12
    per_round = M // 4
    n = 0
    nbytes = 200 * 1000
    hot_bad = 0
    end = time.monotonic() + 90
    for rnd in range(rounds):
        if time.monotonic() > end:
            break
        t0 = time.monotonic()
        written = 0
        while written < per_round:
            batch = []
            for _ in range(64):
                k = "lru:c:%d" % n
                v = value(k, sizes[n % len(sizes)])
                batch.append(("SET", k, v))
                written += len(v)
                nbytes += len(v)
                n += 1
            for cmd, r in zip(batch, c.pipeline(batch)):
                if r != "OK":
                    refused.append((cmd[1], r))
                model[cmd[1]] = cmd[2]
            if rnd == 0 and len(cold_early) < 200:
                cold_early += [x[1] for x in batch]
            peak = max(peak, used(c))
        # the hot set: read every round, checked against the model
        for k, r in zip(hot, c2.pipeline([("GET", k) for k in hot])):
            if r is not None and r != model[k]:
                hot_bad += 1
        # LRU clocks tick once a second (as Redis's): one round per tick
        time.sleep(max(0.0, 1.05 - (time.monotonic() - t0)))
    cold_early = cold_early[:200]
    total = len(model)
    dbsize = c.call("DBSIZE")
    ev = evicted(c) - ev0
    hot_alive = sum(1 for r in c.pipeline([("EXISTS", k) for k in hot]) if r == 1)
    early_alive = sum(1 for r in c.pipeline([("EXISTS", k) for k in cold_early]) if r == 1)
    cold_alive = dbsize - hot_alive
    cold_total = total - len(hot)
    note("written %d keys (%.1fx maxmemory) in %d rounds, DBSIZE %d, evicted_keys +%d" % (total, nbytes / M, rounds, dbsize, ev))
    note("used_memory peak %d, maxmemory %d (%.3fx), tolerance +%d" % (peak, M, peak / M, tol))
    note("survivors: hot %d/%d (%.0f%%), cold %d/%d (%.0f%%), cold written with the hot set %d/%d" % (
        hot_alive, len(hot), 100 * hot_alive / len(hot), cold_alive, cold_total, 100 * cold_alive / cold_total, early_alive, len(cold_early)))
    ok(not refused, "no write refused under allkeys-lru (%s)" % refused[:3])
    ok(ev > 0, "evicted_keys grew (+%d)" % ev)
    ok(ev == total - dbsize, "evicted_keys delta %d == keys written %d - DBSIZE %d" % (ev, total, dbsize))
    ok(peak <= M + tol, "used_memory peak %d <= maxmemory %d + %d" % (peak, M, tol))
    ok(hot_bad == 0, "hot keys never read back altered")
    ok(hot_alive >= 0.75 * len(hot), "a clear majority of the hot keys survive (%d/%d)" % (hot_alive, len(hot)))
    ok(hot_alive / len(hot) >= cold_alive / cold_total + 0.25 and hot_alive > 2 * early_alive,
       "hot keys survive more than cold ones (%.2f vs %.2f overall, %d vs %d written together)" % (
           hot_alive / len(hot), cold_alive / cold_total, hot_alive, early_alive))
    # Reads under an eviction policy may evict in Redis (its client buffers
    # count as used memory): lift the limit, then read every key back.
    c.call("CONFIG", "SET", "maxmemory", "0")
    present, missing, corrupt = read_back(c, model)
    ok(present == dbsize and not corrupt, "every surviving key (%d) reads back byte-identical (%d corrupt)" % (present, len(corrupt)))


def phase_volatile(c, _c2):
    M = 8 * MIB
    tol = M // 16 + 1000
    fresh(c, M, "volatile-lru")
    ev0 = evicted(c)
    persist = {}
    for i in range(0, 2000, 100):
        cmds = [("SET", "vp:%d" % j, value("vp:%d" % j, 1000)) for j in range(i, i + 100)]
        for cmd, r in zip(cmds, c.pipeline(cmds)):
            if r == "OK":
                persist[cmd[1]] = cmd[2]
    ok(len(persist) == 2000, "2000 keys without TTL written (%d acknowledged)" % len(persist))
    refused = []
    nvol = 0
    peak = 0
    end = time.monotonic() + 60
    while nvol < 3 * M // 1000 and time.monotonic() < end:
        cmds = [("SET", "vv:%d" % j, value("vv:%d" % j, 1000), "EX", 3600) for j in range(nvol, nvol + 64)]
        nvol += 64
        refused += [(cmd[1], r) for cmd, r in zip(cmds, c.pipeline(cmds)) if r != "OK"]
        if nvol % 1024 == 0:
            peak = max(peak, used(c))
    keys, expires = keyspace(c)
    ev = evicted(c) - ev0
    note("%d keys without TTL, %d with TTL written; DBSIZE %d (%d with TTL), evicted +%d, used_memory peak %d, maxmemory %d" % (
        len(persist), nvol, keys, expires, ev, peak, M))
    ok(not refused, "writes of keys with a TTL never refused (%s)" % refused[:3])
    ok(ev == len(persist) + nvol - keys and ev > 0, "evicted_keys delta %d == written %d - DBSIZE %d" % (ev, len(persist) + nvol, keys))
    ok(peak <= M + tol, "used_memory peak %d <= maxmemory %d + %d" % (peak, M, tol))
    present, missing, corrupt = read_back(c, persist)
    ok(present == len(persist) and not corrupt, "no key without a TTL was evicted (%d/%d intact)" % (present, len(persist)))
    # Only keys without TTL are written now: the TTL ones go first, then OOM.
    i = 0
    oom = None
    while oom is None and i < 3 * M // 1000 and time.monotonic() < end + 30:
        cmds = [("SET", "vp2:%d" % j, value("vp2:%d" % j, 1000)) for j in range(i, i + 16)]
        i += 16
        for cmd, r in zip(cmds, c.pipeline(cmds)):
            if r == "OK" and oom is None:
                persist[cmd[1]] = cmd[2]
            elif oom is None:
                oom = (cmd[1], r)
    keys, expires = keyspace(c)
    note("first refusal after %d more keys without TTL: %r; then DBSIZE %d, %d with TTL" % (i, oom, keys, expires))
    ok(oom is not None and oom[1] == Err(OOM), "writes end in Redis's OOM error once nothing volatile is left")
    ok(expires == 0, "OOM only once no key with a TTL is left (%d left)" % expires)
    present, missing, corrupt = read_back(c, persist)
    ok(present == len(persist) and not corrupt and keys == len(persist),
       "every key without TTL intact at OOM (%d/%d, DBSIZE %d)" % (present, len(persist), keys))


def sha(b):
    return hashlib.sha256(b).hexdigest()


def phase_large(c, c2):
    fresh(c, 0, "noeviction")
    base = used(c)
    base_alloc = int(info(c, "memory").get("allocator_allocated", 0))
    big = {}
    # one at a time
    for size in (1 * MIB, 16 * MIB, 64 * MIB):
        k = "big:%d" % size
        v = os.urandom(size)
        r = c.call("SET", k, v)
        g = c.call("GET", k)
        ok(r == "OK" and g is not None and sha(g) == sha(v),
           "SET/GET of %d MiB round-trips (SHA-256 %s)" % (size // MIB, sha(v)[:16]))
        ok(c.call("STRLEN", k) == size, "STRLEN of the %d MiB value" % (size // MIB))
        big[k] = v
    # pipelined: several SETs, then several GETs, in one write each
    for size, count in ((1 * MIB, 4), (16 * MIB, 3), (64 * MIB, 2)):
        vals = {"bigp:%d:%d" % (size, i): os.urandom(size) for i in range(count)}
        rs = c.pipeline([("SET", k, v) for k, v in vals.items()])
        gs = c2.pipeline([("GET", k) for k in vals])
        ok(all(r == "OK" for r in rs) and all(g is not None and sha(g) == sha(v) for g, v in zip(gs, vals.values())),
           "%d pipelined SETs then %d pipelined GETs of %d MiB round-trip" % (count, count, size // MIB))
        big.update(vals)
        del vals, gs
    # APPEND growing a value to 64 MiB, 4 MiB at a time
    h = hashlib.sha256()
    whole = bytearray()
    lens = []
    for i in range(16):
        piece = os.urandom(4 * MIB)
        lens.append(c.call("APPEND", "big:app", piece))
        whole += piece
    ok(lens == [(i + 1) * 4 * MIB for i in range(16)], "APPEND answers the growing length up to 64 MiB")
    g = c.call("GET", "big:app")
    h.update(whole)
    ok(g is not None and sha(g) == h.hexdigest(), "the 64 MiB value built by APPEND reads back byte-identical")
    n = len(whole)
    ok(c.call("GETRANGE", "big:app", n - 100, n - 1) == bytes(whole[-100:]), "GETRANGE of the last 100 bytes by offset")
    ok(c.call("GETRANGE", "big:app", -7, -1) == bytes(whole[-7:]), "GETRANGE -7 -1")
    ok(c.call("GETRANGE", "big:app", n - 5, n + 1000) == bytes(whole[-5:]), "GETRANGE past the end is clamped")
    ok(c.call("GETRANGE", "big:app", n, n + 10) == b"", "GETRANGE starting at the length is empty")
    big["big:app"] = bytes(whole)
    del whole, g
    # SETRANGE in the last byte of the 64 MiB value
    ok(c.call("SETRANGE", "big:app", n - 1, "!") == n and c.call("GETRANGE", "big:app", -2, -1) == big["big:app"][-2:-1] + b"!",
       "SETRANGE of the last byte of a 64 MiB value")
    u = used(c)
    note("used_memory with %d MiB of values: %d" % (sum(len(v) for v in big.values()) // MIB, u))
    # proto-max-bulk-len
    ok(c.call("CONFIG", "SET", "proto-max-bulk-len", "1mb") == "OK", "CONFIG SET proto-max-bulk-len 1mb")
    ok(c.call("SET", "big:limit", b"a" * MIB) == "OK", "a value of exactly proto-max-bulk-len is accepted")
    r = c.call("APPEND", "big:limit", "b")
    ok(r == Err(STR_TOOBIG), "APPEND past proto-max-bulk-len: %r" % (r,))
    r = c.call("SETRANGE", "big:limit", MIB, "b")
    ok(r == Err(STR_TOOBIG), "SETRANGE past proto-max-bulk-len: %r" % (r,))
    # Only the header: the server judges the declared length before any
    # payload arrives (sending the payload too would race its close into an RST).
    c3 = Conn(c.s.getpeername()[0], c.s.getpeername()[1])
    c3.s.sendall(b"*3\r\n$3\r\nSET\r\n$8\r\nbig:over\r\n$%d\r\n" % (MIB + 1))
    try:
        r = c3.reply()
        try:
            extra = c3.reply()
        except (Closed, OSError):
            extra = "closed"
    except (Closed, OSError) as e:
        r, extra = "closed: %r" % e, None
    ok(r == Err(BULK_TOOBIG) and extra == "closed",
       "a bulk over proto-max-bulk-len gets Redis's protocol error and the connection is closed (%r, then %r)" % (r, extra))
    c3.close()
    ok(c.call("CONFIG", "SET", "proto-max-bulk-len", "512mb") == "OK", "proto-max-bulk-len back to 512mb")
    ok(c.call("EXISTS", "big:over") == 0, "the refused value was not stored")
    big["big:limit"] = b"a" * MIB
    # 64 MiB values under allkeys-lru with maxmemory 32mb: never refused
    keys = list(big)
    ok(c.call("DEL", *keys) == len(keys), "DEL of the %d large values" % len(keys))
    u2 = used(c)
    note("used_memory: baseline %d, with the values %d, after DEL %d" % (base, u, u2))
    ok(u2 <= base + 64 * 1024, "used_memory back to baseline after DEL (%d vs %d)" % (u2, base))
    # The values themselves are freed after the readers' grace period.
    alloc = None
    for _ in range(100):
        alloc = int(info(c, "memory").get("allocator_allocated", 0))
        if alloc <= base_alloc + MIB:
            break
        time.sleep(0.1)
    note("allocator_allocated: baseline %d, after DEL %d" % (base_alloc, alloc))
    ok(alloc <= base_alloc + MIB, "the allocator's bytes return to baseline within 10 s of DEL (%d vs %d)" % (alloc, base_alloc))
    fresh(c, 0, "noeviction")
    ok(c.alive() and c2.alive(), "both connections still open")


def phase_sparse(c, _c2):
    """A table grown by many keys, then emptied, holding a few large values:
    eviction must still find its victims (Redis samples the key dictionary,
    which always yields a key while there is one)."""
    M = 32 * MIB
    for policy, ttl in (("allkeys-lru", ()), ("allkeys-random", ()), ("volatile-lru", ("EX", 3600))):
        fresh(c, 0, "noeviction")
        for i in range(0, 40000, 1000):
            c.pipeline([("SET", "sp:%d" % j, "x" * 100) for j in range(i, i + 1000)])
        for i in range(0, 40000, 1000):
            c.pipeline([("DEL", "sp:%d" % j) for j in range(i, i + 1000)])
        ok(c.call("DBSIZE") == 0, "%s: 40000 keys written and deleted" % policy)
        c.call("CONFIG", "SET", "maxmemory", str(M))
        c.call("CONFIG", "SET", "maxmemory-policy", policy)
        ev0 = evicted(c)
        refused = []
        model = {}
        for i in range(24):
            k = "sp:big:%d" % i
            v = value(k, 4 * MIB)
            r = c.call("SET", k, v, *ttl)
            if r == "OK":
                model[k] = v
            else:
                refused.append((k, r))
        dbsize = c.call("DBSIZE")
        ev = evicted(c) - ev0
        u = used(c)
        note("%s: 24 values of 4 MiB into maxmemory 32mb: %d refused, DBSIZE %d, evicted +%d, used_memory %d" % (
            policy, len(refused), dbsize, ev, u))
        ok(not refused, "%s: no write refused in a sparse table (%s)" % (policy, refused[:2]))
        ok(ev == len(model) - dbsize, "%s: evicted_keys delta %d == written %d - DBSIZE %d" % (policy, ev, len(model), dbsize))
        ok(u <= M + 4 * MIB + MIB, "%s: used_memory %d within maxmemory + one value" % (policy, u))
        c.call("CONFIG", "SET", "maxmemory", "0")
        present, missing, corrupt = read_back(c, model)
        ok(present == dbsize and not corrupt, "%s: survivors intact (%d, %d corrupt)" % (policy, present, len(corrupt)))
    fresh(c, 0, "noeviction")


def phase_live(c, c2):
    M, low = 16 * MIB, 8 * MIB
    tol = low // 16 + 1000
    for policy in ("allkeys-lru", "noeviction"):
        fresh(c, M, policy)
        model = {}
        n = 0
        while used(c) < M - 2 * MIB and n < 40000:
            cmds = [("SET", "live:%d" % j, value("live:%d" % j, 1000)) for j in range(n, n + 256)]
            n += 256
            for cmd, r in zip(cmds, c.pipeline(cmds)):
                if r == "OK":
                    model[cmd[1]] = cmd[2]
        u0 = used(c)
        ev0 = evicted(c)
        ok(c.call("CONFIG", "SET", "maxmemory", str(low)) == "OK", "%s: CONFIG SET maxmemory %d below used_memory %d" % (policy, low, u0))
        if policy == "allkeys-lru":
            refused = []
            writes = 0
            u = used(c)
            end = time.monotonic() + 30
            while u > low + tol and writes < 20000 and time.monotonic() < end:
                cmds = [("SET", "live:new:%d" % j, value("live:new:%d" % j, 100)) for j in range(writes, writes + 16)]
                writes += 16
                for cmd, r in zip(cmds, c.pipeline(cmds)):
                    if r != "OK":
                        refused.append(r)
                    else:
                        model[cmd[1]] = cmd[2]
                u = used(c)
            ev = evicted(c) - ev0
            note("allkeys-lru: used_memory %d -> %d after %d writes, evicted +%d, new maxmemory %d" % (u0, u, writes, ev, low))
            ok(not refused, "no write refused while evicting down")
            ok(u <= low + tol, "used_memory %d evicted down to maxmemory %d (+%d)" % (u, low, tol))
            ok(ev > 0 and ev == len(model) - c.call("DBSIZE"), "evicted_keys delta %d == written - DBSIZE" % ev)
            present, missing, corrupt = read_back(c, model)
            ok(not corrupt, "survivors intact (%d present, %d corrupt)" % (present, len(corrupt)))
        else:
            r = c.call("SET", "live:x", "v")
            ok(r == Err(OOM), "noeviction: a write after lowering maxmemory answers OOM (%r)" % (r,))
            k = next(iter(model))
            ok(c.call("GET", k) == model[k], "noeviction: reads still served")
            ok(evicted(c) == ev0, "noeviction: nothing evicted")
            ok(c.call("CONFIG", "SET", "maxmemory", str(M)) == "OK" and c.call("SET", "live:x", "v") == "OK",
               "noeviction: raising maxmemory again lets writes through")
            present, missing, corrupt = read_back(c, model)
            ok(present == len(model) and not corrupt, "all %d keys intact" % len(model))
    fresh(c, 0, "noeviction")


PHASES = {
    "startup": phase_startup,
    "noeviction": phase_noeviction,
    "lru": phase_lru,
    "volatile": phase_volatile,
    "large": phase_large,
    "sparse": phase_sparse,
    "live": phase_live,
}


def main():
    global label
    if len(sys.argv) < 5 or any(p not in PHASES for p in sys.argv[4:]):
        sys.exit("usage: memory_probe.py HOST PORT LABEL PHASE... (phases: %s)" % " ".join(PHASES))
    host, port, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    c = Conn(host, port)
    c2 = Conn(host, port)
    for p in sys.argv[4:]:
        label = "%s %s" % (base, p)
        t0 = time.monotonic()
        try:
            PHASES[p](c, c2)
        except (Closed, OSError, AssertionError, ValueError) as e:
            ok(False, "phase ended by %r" % e)
            c = Conn(host, port)
            c2 = Conn(host, port)
        note("phase took %.1f s" % (time.monotonic() - t0))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
