#!/usr/bin/env python3
"""
Expected COMMAND DOCS replies for tests/unit/cmdmore/test_cmddocs.c, taken
from a live redis-server 7.0.15.

For every command and subcommand sluice implements, this sends
`COMMAND DOCS <name>` to Redis in RESP2 and again after HELLO 3, and writes
the reply bytes to cmddocs_expected.txt. The unit test feeds the same
requests to sluice's engine and compares bytes; it needs no server.

Two normalisations, both because the difference is legitimate:
  - a container's "subcommands" map keeps only the subcommands sluice
    implements (sluice has no CLIENT PAUSE, CONFIG REWRITE...);
  - its entries are sorted by name: Redis walks a dict whose hash seed is
    random per process, so its order changes from one start to the next.
    sluice sends them sorted.

    python3 tests/unit/cmdmore/gen_cmddocs.py gen     # rewrite the file
    python3 tests/unit/cmdmore/gen_cmddocs.py check   # fail if it differs

The script starts its own redis-server on 127.0.0.1 (--port, default 7391;
--server to name the binary) and stops it by PID; --attach uses a running
one instead.

It also records `COMMAND INFO <name>` in cmdinfo_expected.txt, with the
same subcommand normalisation.

File format, one record per (name, protocol):
    <name> <2|3> <byte count>\\n<reply bytes>\\n
"""
import argparse
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cmddocs_expected.txt")
OUT_INFO = os.path.join(HERE, "cmdinfo_expected.txt")

# sluice's command table (dataplane/cmd/table.c), in table order.
COMMANDS = """
get set setnx setex psetex getset getdel getex mget mset msetnx append strlen
getrange setrange incr decr incrby decrby incrbyfloat
del unlink exists touch type expire pexpire expireat pexpireat ttl pttl
expiretime pexpiretime persist rename renamenx keys scan randomkey object memory
hset hsetnx hmset hget hmget hgetall hdel hexists hlen hstrlen hincrby
hincrbyfloat hkeys hvals hrandfield hscan
ping echo quit reset hello auth select client
command info time dbsize flushall flushdb config slowlog latency
function fcall fcall_ro
""".split()

# The subcommands sluice dispatches (table.c sl_subcmd_names, and COMMAND's own).
SUBCOMMANDS = """
client|id client|getname client|setname client|info client|list client|kill
client|no-evict client|reply client|help
config|get config|set config|resetstat config|help
object|encoding object|freq object|idletime object|refcount object|help
slowlog|get slowlog|len slowlog|reset slowlog|help
latency|latest latency|help
function|flush function|load function|list function|delete function|help
memory|usage memory|help
command|count command|docs command|info command|list
""".split()


# ---- RESP: parse into (type byte, payload) trees, serialise back ----

def parse(buf, pos=0):
    """Returns (node, next position) or (None, pos) if buf is incomplete."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return None, pos
    t, line, pos = buf[pos:pos + 1], buf[pos + 1:end], end + 2
    if t in (b"+", b"-", b":", b",", b"#", b"_", b"("):
        return (t, line), pos
    if t in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return (t, None), pos
        if len(buf) < pos + n + 2:
            return None, pos
        return (t, buf[pos:pos + n]), pos + n + 2
    if t in (b"*", b"~", b">", b"%"):
        n = int(line)
        if n < 0:
            return (t, None), pos
        items = []
        for _ in range(n * 2 if t == b"%" else n):
            node, pos = parse(buf, pos)
            if node is None:
                return None, pos
            items.append(node)
        return (t, items), pos
    raise ValueError("bad RESP type %r" % t)


def serialise(node):
    t, v = node
    if t in (b"$", b"=", b"!"):
        if v is None:
            return t + b"-1\r\n"
        return t + b"%d\r\n" % len(v) + v + b"\r\n"
    if t in (b"*", b"~", b">", b"%"):
        if v is None:
            return t + b"-1\r\n"
        n = len(v) // 2 if t == b"%" else len(v)
        return t + b"%d\r\n" % n + b"".join(serialise(x) for x in v)
    return t + v + b"\r\n"


def pairs(node):
    """(key, value) pairs of a map: RESP3 %, or a RESP2 flat array."""
    items = node[1]
    return [(items[i], items[i + 1]) for i in range(0, len(items), 2)]


def unpairs(t, kv):
    return (t, [x for pair in kv for x in pair])


def normalise(reply):
    """Keeps sluice's subcommands only, sorted by name (see the docstring)."""
    out = []
    for name, doc in pairs(reply):
        fields = []
        for key, val in pairs(doc):
            if key[1] == b"subcommands":
                subs = [(k, v) for k, v in pairs(val) if k[1].decode() in SUBCOMMANDS]
                subs.sort(key=lambda kv: kv[0][1])
                val = unpairs(val[0], subs)
            fields.append((key, val))
        out.append((name, unpairs(doc[0], fields)))
    return unpairs(reply[0], out)


# ---- talking to Redis ----

def command(sock, *args):
    req = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        req += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(req)
    buf = b""
    while True:
        node, end = parse(buf) if buf else (None, 0)
        if node is not None:
            assert end == len(buf), "trailing bytes after a reply"
            return node, buf
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("redis-server closed the connection")
        buf += chunk


def normalise_info(entry):
    """One COMMAND INFO entry: sluice's subcommands only, sorted by name."""
    t, f = entry
    f = list(f)
    subs = [normalise_info(x) for x in f[9][1] if x[1][0][1].decode() in SUBCOMMANDS]
    subs.sort(key=lambda x: x[1][0][1])
    f[9] = (f[9][0], subs)
    return (t, f)


def collect_info(port):
    records = []
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        for proto in (2, 3):
            command(sock, "HELLO", str(proto))
            for name in COMMANDS + SUBCOMMANDS:
                node, raw = command(sock, "COMMAND", "INFO", name)
                assert serialise(node) == raw, "RESP round trip of %s" % name
                assert len(node[1]) == 1 and node[1][0][1] is not None, name
                node = (node[0], [normalise_info(node[1][0])])
                records.append((name, proto, serialise(node)))
    finally:
        sock.close()
    return records


def collect(port):
    records = []
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        version = command(sock, "INFO", "server")[1]
        if b"redis_version:7.0.15\r\n" not in version:
            sys.exit("the server is not redis 7.0.15")
        for proto in (2, 3):
            command(sock, "HELLO", str(proto))
            for name in COMMANDS + SUBCOMMANDS:
                node, raw = command(sock, "COMMAND", "DOCS", name)
                assert serialise(node) == raw, "RESP round trip of %s" % name
                assert len(node[1]) == 2, "Redis does not know %s" % name
                records.append((name, proto, serialise(normalise(node))))
    finally:
        sock.close()
    return records


def render(records):
    out = b""
    for name, proto, reply in records:
        out += b"%s %d %d\n" % (name.encode(), proto, len(reply)) + reply + b"\n"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["gen", "check"])
    ap.add_argument("--port", type=int, default=7391)
    ap.add_argument("--server", default="redis-server")
    ap.add_argument("--attach", action="store_true", help="use a running server on --port")
    args = ap.parse_args()

    proc = None
    if not args.attach:
        proc = subprocess.Popen([args.server, "--port", str(args.port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no"],
                                stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", args.port)).close()
                break
            except OSError:
                time.sleep(0.05)
    try:
        files = {OUT: render(collect(args.port)), OUT_INFO: render(collect_info(args.port))}
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
    rc = 0
    for path, data in files.items():
        if args.mode == "gen":
            with open(path, "wb") as f:
                f.write(data)
            print("wrote %s (%d bytes)" % (path, len(data)))
            continue
        with open(path, "rb") as f:
            if f.read() != data:
                print("%s differs from redis-server's replies" % path)
                rc = 1
            else:
                print("%s matches redis-server" % path)
    return rc


if __name__ == "__main__":
    sys.exit(main())
