#!/usr/bin/env python3
"""Differential tester: the same random command stream to two servers.

  diff.py --a HOST:PORT --b HOST:PORT [--seed N] [--count N] [--commands LIST]
          [--max-pipeline N] [--keys N] [--max-mismatches N] [--timeout SEC]

Both servers get FLUSHALL, then the same stream of pipelines (random depth)
generated from --seed over a small key space, so keys collide and types
clash. Every reply is read with resp.Reader, which returns its exact bytes,
and the two servers' bytes are compared. The stream is a function of the
seed, --count, --commands, --keys and --max-pipeline only (never of the
replies; absolute expiration times are the run's start time plus seeded
offsets), so a reported mismatch is reproduced by re-running the printed
command line.

The stream covers the string, key and hash commands and PING ECHO SELECT
HELLO of issue 5, valid and invalid options, wrong arity, wrong types, bad
integers and floats, unknown commands, commands in mixed case, inline
commands, empty inline lines, RESP3 (HELLO 3) and back, and protocol errors
(after which both servers must close the connection; both are reconnected).

--commands restricts the stream to a comma-separated list of command names
and these pseudo-names: ARITY (wrong-arity calls of the listed commands),
UNKNOWN (unknown commands), INLINE (inline encoding of some commands),
PROTOCOL (malformed requests and empty inline lines), and the families
strings, keys, hashes, connection, errors (= ARITY,UNKNOWN,PROTOCOL,INLINE).

Normalisation (everything else is compared byte for byte):
  * TTL, PTTL, EXPIRETIME, PEXPIRETIME: two non-negative integer replies may
    differ by --ttl-tolerance-ms (seconds: rounded up to whole seconds plus
    one). The two servers set and read a deadline at slightly different
    instants, so the remaining time legitimately differs by the time between
    the two servers' handling of the same command.
  * HGETALL: the field/value pairs are compared as a multiset, HKEYS and
    HVALS as multisets of elements; the reply type and length must match.
    Redis itself promises no order for a hash.
  * HELLO: the value of "id" (the connection's client id) is ignored; it
    counts the connections a server has accepted, which differs between two
    servers for reasons outside the stream.
The generator avoids the remaining sources of legitimate difference instead
of normalising them: relative expirations are long (1000 s and more) so that
no key expires during a run, absolute ones are far in the future or (except
for SET, see set_options) in the past, and expiration values are drawn from a wide range so that two
deadlines set by the same stream never tie (EXPIRE ... GT/LT compares them
at millisecond resolution, and a tie would depend on timing).

Exit status: 0 when every reply matched, 1 on any mismatch (the first
--max-mismatches are reported, then the run stops), 2 on usage errors or
when a server cannot be reached or times out.
"""

import argparse
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import resp  # noqa: E402

STRINGS = ["GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "MGET", "MSET",
           "MSETNX", "APPEND", "STRLEN", "GETRANGE", "SETRANGE", "INCR", "DECR", "INCRBY",
           "DECRBY", "INCRBYFLOAT"]
KEYSPACE = ["DEL", "UNLINK", "EXISTS", "TYPE", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "TTL",
            "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST", "TOUCH", "RENAME", "RENAMENX",
            "DBSIZE"]
HASHES = ["HSET", "HSETNX", "HGET", "HMSET", "HMGET", "HGETALL", "HDEL", "HEXISTS", "HLEN",
          "HSTRLEN", "HINCRBY", "HINCRBYFLOAT", "HKEYS", "HVALS"]
CONNECTION = ["PING", "ECHO", "SELECT", "HELLO"]
ERRORS = ["ARITY", "UNKNOWN", "PROTOCOL", "INLINE"]
FAMILIES = {"strings": STRINGS, "keys": KEYSPACE, "hashes": HASHES, "connection": CONNECTION,
            "errors": ERRORS}

# Redis 7.0 command table arities (positive: exact argc, negative: minimum).
ARITIES = {
    "GET": 2, "SET": -3, "SETNX": 3, "SETEX": 4, "PSETEX": 4, "GETSET": 3, "GETDEL": 2,
    "GETEX": -2, "MGET": -2, "MSET": -3, "MSETNX": -3, "APPEND": 3, "STRLEN": 2, "GETRANGE": 4,
    "SETRANGE": 4, "INCR": 2, "DECR": 2, "INCRBY": 3, "DECRBY": 3, "INCRBYFLOAT": 3,
    "DEL": -2, "UNLINK": -2, "EXISTS": -2, "TYPE": 2, "EXPIRE": -3, "PEXPIRE": -3,
    "EXPIREAT": -3, "PEXPIREAT": -3, "TTL": 2, "PTTL": 2, "EXPIRETIME": 2, "PEXPIRETIME": 2,
    "PERSIST": 2, "TOUCH": -2, "RENAME": 3, "RENAMENX": 3, "DBSIZE": 1,
    "HSET": -4, "HSETNX": 4, "HGET": 3, "HMSET": -4, "HMGET": -3, "HGETALL": 2, "HDEL": -3,
    "HEXISTS": 3, "HLEN": 2, "HSTRLEN": 3, "HINCRBY": 4, "HINCRBYFLOAT": 4, "HKEYS": 2,
    "HVALS": 2, "PING": -1, "ECHO": 2, "SELECT": 2, "HELLO": -1,
}

# Relative weights of the generators (1 when not listed).
WEIGHTS = {"ARITY": 0.6, "UNKNOWN": 0.4, "PROTOCOL": 0.05, "HELLO": 0.4, "SELECT": 0.3,
           "DBSIZE": 0.3, "SET": 3, "GET": 2, "HSET": 2, "HGET": 1.5, "EXPIRE": 1.5}

# Rarely used keys that are valid but unusual: empty, binary, with spaces
# and a hash tag.
SPECIAL_KEYS = [b"", b"\x00k\xff", b"k 0", b"{k0}"]

TTL_CMDS = {"TTL": 1000, "EXPIRETIME": 1000, "PTTL": 1, "PEXPIRETIME": 1}
MULTISET_CMDS = {"HGETALL": 2, "HKEYS": 1, "HVALS": 1}


class Item:
    """One request of the stream: its bytes and how many replies it gets."""

    __slots__ = ("index", "name", "args", "raw", "replies", "closes")

    def __init__(self, name, args, raw=None, replies=1, closes=False):
        self.index = 0
        self.name = name
        self.args = args
        self.raw = raw if raw is not None else resp.command(args)
        self.replies = replies
        self.closes = closes

    def describe(self, limit=200):
        if self.args is None:
            text = "raw %r" % self.raw
        else:
            text = " ".join(_show(a) for a in self.args)
            if self.raw[:1] != b"*":
                text += "  (inline)"
        return text if len(text) <= limit else text[:limit] + "..."


def _show(b):
    s = repr(b)[2:-1]
    if s == "" or any(c in s for c in " \"'") or s != b.decode("latin-1"):
        return '"' + s.replace('"', '\\"') + '"'
    return s


class Generator:
    """Deterministic stream of Items from one random.Random."""

    def __init__(self, rng, names, nkeys):
        self.r = rng
        self.keys = [b"k%d" % i for i in range(nkeys)]
        self.fields = [b"f%d" % i for i in range(6)]
        self.inline = "INLINE" in names
        self.real = [n for n in names if n in ARITIES]
        self.gens = [n for n in names if n in ARITIES or n in ("ARITY", "UNKNOWN", "PROTOCOL")]
        if "ARITY" in self.gens and not self.real:
            self.gens.remove("ARITY")
        if not self.gens:
            raise ValueError("--commands selects no command")
        self.weights = [WEIGHTS.get(n, 1.0) for n in self.gens]
        self.now = int(time.time())

    # --- arguments -------------------------------------------------------

    def key(self, kind=None):
        """A key; string commands favour the first half of the key space and
        hash commands the second, so both see their own type most of the
        time and the other type (WRONGTYPE) often enough. One key in 33 is
        one of SPECIAL_KEYS."""
        if self.r.random() < 0.03:
            return self.r.choice(SPECIAL_KEYS)
        if kind is None or len(self.keys) < 2 or self.r.random() < 0.25:
            return self.r.choice(self.keys)
        half = len(self.keys) // 2
        return self.r.choice(self.keys[:half] if kind == "s" else self.keys[half:])

    def field(self):
        return self.r.choice(self.fields)

    def value(self, big=False):
        """A value; with big, rarely 1 KB to 100 KB (replies and requests
        that span many reads and segments)."""
        r = self.r
        if big and r.random() < 0.005:
            return bytes(r.choice(b"abcdefgh") for _ in range(8)) * (r.randint(1000, 100000) // 8)
        k = r.random()
        if k < 0.30:
            return b"%d" % r.randint(-200, 200)
        if k < 0.40:
            return r.choice([b"9223372036854775807", b"-9223372036854775808", b"9223372036854775806",
                             b"-9223372036854775807", b"4294967296", b"2147483647", b"10000"])
        if k < 0.55:
            return r.choice([b"1.5", b"-0.25", b"3e5", b"1e308", b"-1e308", b"inf", b"-inf", b"nan",
                             b"0x10", b" 1", b"1 ", b"", b"+1", b"-0", b"007", b"1.0", b"5.0e3",
                             b"1.23456789012345678", b"0.1", b"1e-5", b"12abc", b"9223372036854775808"])
        if k < 0.85:
            n = r.randint(0, 12)
            return bytes(r.choice(b"abcxyz019 -") for _ in range(n))
        if k < 0.95:
            n = r.randint(1, 10)
            return bytes(r.randrange(256) for _ in range(n))
        return b"v" * r.randint(40, 300)

    def integer(self, lo=-100, hi=100):
        r = self.r
        if r.random() < 0.85:
            return b"%d" % r.randint(lo, hi)
        return r.choice([b"abc", b"1.5", b"", b" 1", b"9223372036854775808", b"-9223372036854775809",
                         b"9223372036854775807", b"-9223372036854775808", b"0x1", b"1e3"])

    def number(self):
        r = self.r
        if r.random() < 0.8:
            return r.choice([b"%d" % r.randint(-50, 50), b"%.3f" % r.uniform(-100, 100), b"0.1",
                             b"1e3", b"-2.5e-3", b"3.0"])
        return r.choice([b"abc", b"", b"inf", b"-inf", b"nan", b"1e309", b"1.7976931348623157e308",
                         b" 1", b"1 ", b"0x10", b"5e"])

    def secs(self):
        """A relative expiration in seconds: long, wide, or invalid."""
        r = self.r
        if r.random() < 0.9:
            return b"%d" % r.randint(1000, 10 ** 7)
        return r.choice([b"0", b"-5", b"abc", b"1.5", b"", b"9223372036854775807",
                         b"9223372036854775", b"-9223372036854775808"])

    def millis(self):
        r = self.r
        if r.random() < 0.9:
            return b"%d" % r.randint(10 ** 6, 10 ** 10)
        return r.choice([b"0", b"-5", b"abc", b"1.5", b"9223372036854775807",
                         b"-9223372036854775808", b"9223372036854775"])

    def abs_secs(self, past=True):
        r = self.r
        k = r.random()
        if k < 0.7 or (not past and k < 0.9):
            return b"%d" % (self.now + r.randint(10 ** 4, 10 ** 8))
        if k < 0.9:
            return b"%d" % r.randint(1, self.now - 10 ** 4)
        return r.choice([b"0", b"-1", b"abc", b"9223372036854775807", b"-9223372036854775808"])

    def abs_millis(self, past=True):
        r = self.r
        k = r.random()
        if k < 0.7 or (not past and k < 0.9):
            return b"%d" % (self.now * 1000 + r.randint(10 ** 7, 10 ** 11))
        if k < 0.9:
            return b"%d" % r.randint(1, (self.now - 10 ** 4) * 1000)
        return r.choice([b"0", b"-1", b"abc", b"9223372036854775807", b"-9223372036854775808"])

    def offset(self):
        """A string offset: small, or past proto-max-bulk-len (an error, never a 512 MB value)."""
        r = self.r
        if r.random() < 0.9:
            return b"%d" % r.randint(0, 64)
        return r.choice([b"-1", b"abc", b"536870912", b"4294967296", b"9223372036854775807"])

    def some(self, fn, lo=1, hi=4):
        return [fn() for _ in range(self.r.randint(lo, hi))]

    # --- commands --------------------------------------------------------

    def set_options(self):
        r = self.r
        opts = []
        if r.random() < 0.5:
            # No EXAT/PXAT in the past: Redis 7.0 then keeps the key, already
            # expired, until its lazy or active expiry removes it, and DBSIZE
            # counts it meanwhile, at a time that depends on the server's
            # expiry cycle (two Redis servers differ). GETEX, EXPIREAT and
            # PEXPIREAT delete such a key at once and do get past times.
            opts += r.choice([[b"EX", self.secs()], [b"PX", self.millis()],
                              [b"EXAT", self.abs_secs(past=False)],
                              [b"PXAT", self.abs_millis(past=False)], [b"KEEPTTL"]])
        if r.random() < 0.3:
            opts.append(r.choice([b"NX", b"XX"]))
        if r.random() < 0.2:
            opts.append(b"GET")
        if r.random() < 0.05:
            opts.append(r.choice([b"EX", b"PX", b"NX", b"KEEPTTL", b"BOGUS", b"GET"]))
        r.shuffle(opts) if r.random() < 0.2 else None
        return opts

    def expire_options(self):
        r = self.r
        if r.random() < 0.5:
            return []
        opts = [r.choice([b"NX", b"XX", b"GT", b"LT"])]
        if r.random() < 0.1:
            opts.append(r.choice([b"NX", b"XX", b"GT", b"LT", b"BOGUS"]))
        return opts

    def args_for(self, name):
        r = self.r
        kind = "h" if name in HASHES else "s" if name in STRINGS else None

        def k():
            return self.key(kind)

        n = name.encode()
        if name == "GET" or name in ("GETDEL", "STRLEN", "INCR", "DECR", "TYPE", "TTL", "PTTL",
                                     "EXPIRETIME", "PEXPIRETIME", "PERSIST", "HGETALL", "HLEN",
                                     "HKEYS", "HVALS"):
            return [n, k()]
        if name == "SET":
            return [n, k(), self.value(big=True)] + self.set_options()
        if name in ("SETNX", "GETSET", "APPEND"):
            return [n, k(), self.value()]
        if name == "SETEX":
            return [n, k(), self.secs(), self.value()]
        if name == "PSETEX":
            return [n, k(), self.millis(), self.value()]
        if name == "GETEX":
            opts = r.choice([[], [b"EX", self.secs()], [b"PX", self.millis()], [b"EXAT", self.abs_secs()],
                             [b"PXAT", self.abs_millis()], [b"PERSIST"], [b"PERSIST", b"EX", b"100000"],
                             [b"BOGUS"], [b"EX"]])
            return [n, k()] + opts
        if name in ("MGET", "DEL", "UNLINK", "EXISTS", "TOUCH"):
            return [n] + self.some(k, 1, 5)
        if name in ("MSET", "MSETNX"):
            out = [n]
            for _ in range(r.randint(1, 4)):
                out += [k(), self.value()]
            return out[:-1] if r.random() < 0.05 else out  # odd count: an arity error
        if name == "GETRANGE":
            return [n, k(), self.integer(-20, 20), self.integer(-20, 20)]
        if name == "SETRANGE":
            v = self.value()
            off = self.offset() if v else r.choice([self.offset(), b"536870911"])
            return [n, k(), off, v]
        if name in ("INCRBY", "DECRBY"):
            return [n, k(), self.integer()]
        if name == "INCRBYFLOAT":
            return [n, k(), self.number()]
        if name in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
            t = {"EXPIRE": self.secs, "PEXPIRE": self.millis, "EXPIREAT": self.abs_secs,
                 "PEXPIREAT": self.abs_millis}[name]()
            if name in ("EXPIRE", "PEXPIRE") and r.random() < 0.05:
                t = r.choice([b"-1", b"0"])
            return [n, k(), t] + self.expire_options()
        if name in ("RENAME", "RENAMENX"):
            return [n, k(), k()]
        if name == "DBSIZE":
            return [n]
        if name in ("HSET", "HMSET"):
            out = [n, k()]
            for _ in range(r.randint(1, 4)):
                out += [self.field(), self.value(big=True)]
            return out[:-1] if r.random() < 0.05 else out  # odd count: an arity error
        if name == "HSETNX":
            return [n, k(), self.field(), self.value()]
        if name in ("HGET", "HEXISTS", "HSTRLEN"):
            return [n, k(), self.field()]
        if name in ("HMGET", "HDEL"):
            return [n, k()] + self.some(self.field, 1, 4)
        if name == "HINCRBY":
            return [n, k(), self.field(), self.integer()]
        if name == "HINCRBYFLOAT":
            return [n, k(), self.field(), self.number()]
        if name == "PING":
            k = r.random()
            return [n] if k < 0.6 else [n, self.value()] if k < 0.97 else [n, self.value(), self.value()]
        if name == "ECHO":
            return [n, self.value(big=True)]
        if name == "SELECT":
            # Database 0, or indexes out of Redis's default range: sluice has
            # one database, and any other valid index would be a legitimate
            # difference, not a bug.
            return [n, r.choice([b"0", b"0", b"16", b"-1", b"99999", b"abc", b"", b"1.5"])]
        if name == "HELLO":
            return [n] + r.choice([[b"3"], [b"3"], [b"2"], [b"2"], [], [b"4"], [b"1"], [b"abc"],
                                   [b"3", b"BOGUS"], [b"2", b"SETNAME", b"c1"]])
        raise AssertionError(name)

    def arity_error(self):
        r = self.r
        name = r.choice(self.real)
        arity = ARITIES[name]
        if arity > 0:
            wrong = [c for c in range(0, arity + 2) if c != arity - 1]
            argc = r.choice(wrong)
        else:
            if -arity - 1 == 0:
                return None
            argc = r.randrange(0, -arity - 1)
        if name == "PING" or name == "HELLO":
            return None
        return [name.encode()] + [r.choice([self.key(), self.field(), self.value()]) for _ in range(argc)]

    def unknown(self):
        r = self.r
        name = r.choice([b"GETT", b"HSETX", b"FOO", b"SETT", b"EXPIREE", b"hgetal", b"x", b"GET_",
                         b"\xc3\xa9t\xc3\xa9", b"COMMANDX"])
        return [name] + [self.value() for _ in range(r.randint(0, 4))]

    def protocol_error(self):
        r = self.r
        if r.random() < 0.4:
            return Item("EMPTYLINE", None, raw=b"\r\n", replies=0)
        raw = r.choice([b"*1\r\n$abc\r\n", b"*abc\r\n", b"*1\r\nxyz\r\n", b"*2\r\n$3\r\nGET\r\n:1\r\n",
                        b'SET "k0 v\r\n', b"*1\r\n$600000000\r\n", b"*3000000000\r\n", b"*1\r\n$-5\r\n",
                        b"GET 'k0\r\n"])
        return Item("PROTOCOL", None, raw=raw, closes=True)

    def mixed_case(self, args):
        name = args[0]
        k = self.r.random()
        if k < 0.1:
            return [name.lower()] + args[1:]
        if k < 0.15:
            return [bytes(c ^ 0x20 if self.r.random() < 0.5 and 65 <= c <= 90 else c
                          for c in name)] + args[1:]
        return args

    def item(self):
        """The next request: a command, or None when the drawn generator has nothing to offer."""
        r = self.r
        g = r.choices(self.gens, self.weights)[0]
        if g == "PROTOCOL":
            return self.protocol_error()
        if g == "ARITY":
            args = self.arity_error()
        elif g == "UNKNOWN":
            args = self.unknown()
        else:
            args = self.args_for(g)
        if args is None:
            return None
        args = self.mixed_case(args)
        it = Item(g, args)
        # Inline only below Redis's 64 KB inline limit (past it Redis answers
        # a protocol error and closes while the request is still being sent).
        if (self.inline and r.random() < 0.1 and sum(len(a) + 1 for a in args) < 1024
                and all(_inline_safe(a) for a in args)):
            it.raw = b" ".join(args) + b"\r\n"
        return it


def _inline_safe(a):
    return a != b"" and not any(c in b" \t\r\n\"'\\\x00" or c >= 0x80 for c in a)


# --- comparison ------------------------------------------------------------


def _int_reply(raw):
    if raw[:1] != b":":
        return None
    try:
        return int(raw[1:-2])
    except ValueError:
        return None


def _elements(node):
    if node[0] == "|":
        node = node[2]
    return node


def equivalent(item, a, b, ttl_tol_ms):
    """True when replies a and b to item are the same up to the normalisation above."""
    if a == b:
        return True
    if item.args is None:
        return False
    name = item.name if item.name in ARITIES else None
    if name in TTL_CMDS:
        x, y = _int_reply(a), _int_reply(b)
        if x is None or y is None or x < 0 or y < 0:
            return False
        unit = TTL_CMDS[name]
        tol = ttl_tol_ms // unit + (1 if unit > 1 else 0)
        return abs(x - y) <= tol
    if name in MULTISET_CMDS:
        try:
            na, nb = _elements(resp.parse(a)[0]), _elements(resp.parse(b)[0])
        except (ValueError, IndexError):
            return False
        if na[0] != nb[0] or na[0] not in "*%~" or na[1] is None or nb[1] is None:
            return False
        if len(na[1]) != len(nb[1]):
            return False
        step = MULTISET_CMDS[name]
        ea = sorted(b"".join(resp.encode(x) for x in na[1][i:i + step])
                    for i in range(0, len(na[1]), step))
        eb = sorted(b"".join(resp.encode(x) for x in nb[1][i:i + step])
                    for i in range(0, len(nb[1]), step))
        return ea == eb
    if name == "HELLO":
        return _hello_without_id(a) == _hello_without_id(b)
    return False


def _hello_without_id(raw):
    try:
        node = resp.parse(raw)[0]
    except (ValueError, IndexError):
        return raw
    if node[0] not in "*%" or not node[1]:
        return raw
    items = list(node[1])
    for i in range(0, len(items) - 1, 2):
        if items[i][1] == b"id":
            items[i + 1] = (":", b"<id>")
    return resp.encode((node[0], items))


# --- running ---------------------------------------------------------------


class Server:
    def __init__(self, label, addr, timeout):
        self.label = label
        host, _, port = addr.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("%s: expected HOST:PORT, got %r" % (label, addr))
        self.host, self.port, self.timeout = host, int(port), timeout
        self.sock = None
        self.reader = None

    def connect(self):
        self.close()
        self.sock = resp.connect(self.host, self.port, self.timeout)
        self.reader = resp.Reader(self.sock)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        """The next reply's bytes, or a description of why there is none."""
        try:
            return self.reader.read_reply()
        except EOFError:
            return b"<connection closed>"
        except socket.timeout:
            raise
        except resp.ProtocolError as e:
            return b"<not RESP: %s: %r>" % (str(e).encode(), self.reader.pending()[:80])
        except OSError as e:
            return b"<socket error: %s>" % str(e).encode()

    def closed_after(self):
        """What follows the reply to a protocol error: b"closed" when the
        server closes the connection (EOF or reset) within the timeout with
        nothing more sent, else b"open" or the unexpected extra bytes."""
        extra = self.reader.pending()
        state = b"open"
        try:
            while True:
                data = self.sock.recv(4096)
                if not data:
                    state = b"closed"
                    break
                extra += data
        except socket.timeout:
            pass
        except OSError:
            state = b"closed"
        if extra:
            return b"%s after extra bytes %r" % (state, extra[:80])
        return state


def show_reply(raw, limit=300):
    s = repr(raw)
    return s if len(s) <= limit else s[:limit] + "...(%d bytes)" % len(raw)


def parse_names(text):
    names = []
    for tok in text.replace(",", " ").split():
        if tok.lower() in FAMILIES:
            names += FAMILIES[tok.lower()]
        elif tok.upper() in ARITIES or tok.upper() in ERRORS:
            names.append(tok.upper())
        else:
            raise ValueError("unknown command or family in --commands: %r" % tok)
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


def main(argv):
    p = argparse.ArgumentParser(description="Differential RESP tester (see the module comment).")
    p.add_argument("--a", required=True, metavar="HOST:PORT")
    p.add_argument("--b", required=True, metavar="HOST:PORT")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--count", type=int, default=10000, help="commands to send (default 10000)")
    p.add_argument("--commands", default="strings,keys,hashes,connection,errors")
    p.add_argument("--max-pipeline", type=int, default=16)
    p.add_argument("--keys", type=int, default=6, help="size of the key space (default 6)")
    p.add_argument("--max-mismatches", type=int, default=10)
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a reply")
    p.add_argument("--ttl-tolerance-ms", type=int, default=1000)
    p.add_argument("--quiet", action="store_true", help="no per-command table")
    p.add_argument("--trace", metavar="FILE", help="write every command and both replies to FILE")
    o = p.parse_args(argv)
    if o.seed is None:
        o.seed = int.from_bytes(os.urandom(4), "big")
    if o.count < 1 or o.max_pipeline < 1 or o.keys < 1 or o.max_mismatches < 1:
        p.error("--count, --max-pipeline, --keys and --max-mismatches must be positive")
    try:
        names = parse_names(o.commands)
        gen = Generator(random.Random(o.seed), names, o.keys)
        servers = [Server("a", o.a, o.timeout), Server("b", o.b, o.timeout)]
    except ValueError as e:
        p.error(str(e))
    for s in servers:
        if s.host not in ("127.0.0.1", "localhost", "::1") and not s.host.startswith("127."):
            p.error("only loopback servers are allowed (%s)" % s.host)

    repro = "%s --a %s --b %s --seed %d --count %d --commands %s --max-pipeline %d --keys %d" % (
        sys.argv[0], o.a, o.b, o.seed, o.count, o.commands.replace(" ", ","), o.max_pipeline, o.keys)
    print("diff: seed %d, %d commands, commands %s" % (o.seed, o.count, ",".join(names)))

    def setup():
        for s in servers:
            s.connect()

    try:
        setup()
        for s in servers:
            s.send(resp.command([b"FLUSHALL"]))
            r = s.reply()
            if r != b"+OK\r\n":
                print("diff: FLUSHALL on %s:%d answered %s" % (s.host, s.port, show_reply(r)))
                return 2
    except OSError as e:
        print("diff: cannot reach a server: %s" % e)
        return 2

    trace = open(o.trace, "w") if o.trace else None
    started = time.monotonic()
    mismatches = []
    sent = 0
    batches = 0
    stats = {}
    errors = {}
    resp3 = 0
    proto = 2
    in_resp3 = 0
    while sent < o.count and len(mismatches) < o.max_mismatches:
        depth = min(o.count - sent, 1 + min(int(gen.r.expovariate(1 / 4.0)), o.max_pipeline - 1))
        batch = []
        while len(batch) < depth:
            it = gen.item()
            if it is None:
                continue
            it.index = sent + len(batch)
            batch.append(it)
            if it.closes:
                break
        data = b"".join(it.raw for it in batch)
        batches += 1
        try:
            for s in servers:
                s.send(data)
            for it in batch:
                stats[it.name] = stats.get(it.name, 0) + 1
                for _ in range(it.replies):
                    ra, rb = servers[0].reply(), servers[1].reply()
                    if ra[:1] == b"-":
                        errors[it.name] = errors.get(it.name, 0) + 1
                    if trace:
                        trace.write("#%d %s\n  a %s\n" % (it.index, it.describe(1000), show_reply(ra, 1000)))
                        if rb != ra:
                            trace.write("  b %s\n" % show_reply(rb, 1000))
                    if not equivalent(it, ra, rb, o.ttl_tolerance_ms):
                        mismatches.append((it, ra, rb))
                if proto == 3:
                    in_resp3 += 1
                if it.name == "HELLO" and ra[:1] in (b"%", b"*"):
                    if it.args[1:2] == [b"3"]:
                        resp3 += 1 if proto == 2 else 0
                        proto = 3
                    elif it.args[1:2] == [b"2"]:
                        proto = 2
                if it.closes:
                    ca, cb = servers[0].closed_after(), servers[1].closed_after()
                    if ca != cb or ca != b"closed":
                        mismatches.append((it, b"<after the reply: %s>" % ca, b"<after the reply: %s>" % cb))
                    setup()
                    proto = 2
        except socket.timeout:
            print("diff: a server did not answer within %.1f s (batch of %d from command #%d)"
                  % (o.timeout, len(batch), batch[0].index))
            for it in batch:
                print("  #%d: %s" % (it.index, it.describe()))
            print("diff: reproduce with: %s" % repro)
            return 2
        except OSError as e:
            print("diff: connection failed: %s (batch from command #%d)" % (e, batch[0].index))
            print("diff: reproduce with: %s" % repro)
            return 2
        sent += len(batch)
    elapsed = time.monotonic() - started
    if trace:
        trace.close()
    for s in servers:
        s.close()

    if not o.quiet:
        print("%-14s %8s %8s" % ("command", "sent", "errors"))
        for name in sorted(stats):
            print("%-14s %8d %8d" % (name, stats[name], errors.get(name, 0)))
    print("diff: %d commands in %d pipelines, %.1f s (%.0f commands/s), %d switches to RESP3, "
          "%d commands sent in RESP3" % (sent, batches, elapsed, sent / elapsed if elapsed else 0,
                                          resp3, in_resp3))
    if not mismatches:
        print("diff: OK, no mismatch")
        return 0
    for it, ra, rb in mismatches:
        print("MISMATCH at command #%d: %s" % (it.index, it.describe()))
        print("  a %s: %s" % (o.a, show_reply(ra)))
        print("  b %s: %s" % (o.b, show_reply(rb)))
    print("diff: %d mismatch(es)%s; reproduce with: %s" % (
        len(mismatches), " (stopped at --max-mismatches)" if len(mismatches) >= o.max_mismatches else "",
        repro))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
