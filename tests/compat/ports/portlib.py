"""Shared helpers of the Redis test ports (Python 3 standard library only).

A port is a function registered with @port(unit, name, profile). It gets a
Ctx (the target's address and facts about it) and asserts; any exception
fails it. Skip raised inside a port marks it skipped with a reason.

Profiles name the start options a port needs that sluice cannot change with
CONFIG SET (client-output-buffer-limit and maxclients are start options in
sluice). run.py runs the ports of one profile against a server that the
caller started with PROFILES[profile]; redis-server gets the same options,
so both targets run exactly the same code.

The RESP reply reader is tests/compat/resp.py.
"""

import fnmatch
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import resp  # noqa: E402

# profile -> start options (name, value) given to redis-server and sluice alike.
PROFILES = {
    "default": [],
    "hard": [("client-output-buffer-limit", "normal 100000 0 0")],
    "soft": [("client-output-buffer-limit", "normal 0 100000 2")],
    "maxclients": [("maxclients", "8")],
}
SOFT_SECONDS = 2
SOFT_BYTES = 100000
HARD_BYTES = 100000
MAXCLIENTS = 8

PORTS = []


class Skip(Exception):
    """The port does not apply to this target; the message says why."""


class ReplyError(Exception):
    """An error reply; str() is its text without the leading '-'."""


class Ctx:
    def __init__(self, host, port, target):
        self.host = host
        self.port = port
        self.target = target  # "redis" or "sluice": only for the known-gap list


def port(unit, name, profile="default"):
    def reg(fn):
        PORTS.append((unit, name, profile, fn))
        return fn

    return reg


def tree_to_py(node):
    t, v = node[0], node[1]
    if t == "-":
        return ReplyError(v.decode(errors="replace"))
    if t == ":":
        return int(v)
    if t in "*~%" and v is not None:
        return [tree_to_py(x) for x in v]
    return v


class Conn:
    """One client connection: call() sends a command and returns its reply
    (bytes, int, list, None, or a ReplyError instance for an error reply)."""

    def __init__(self, ctx, timeout=10, name=None, rcvbuf=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(timeout)
        s.connect((ctx.host, ctx.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = s
        self.reader = resp.Reader(s)
        if name is not None:
            assert self.call("CLIENT", "SETNAME", name) == b"OK"

    def send(self, *args):
        self.sock.sendall(resp.command(list(args)))

    def read(self):
        raw = self.reader.read_reply()
        node, _ = resp.parse(raw)
        return tree_to_py(node)

    def call(self, *args):
        self.send(*args)
        return self.read()

    def ok(self, *args):
        r = self.call(*args)
        assert r == b"OK", "%s: expected OK, got %r" % (" ".join(map(str, args)), r)

    def close(self):
        self.sock.close()


def drain_until_closed(sock, timeout=10):
    """Reads until the peer closes. Returns (bytes read, closed): closed is
    False when the timeout passed with the connection still open."""
    sock.settimeout(timeout)
    got = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            d = sock.recv(1 << 20)
        except ConnectionResetError:
            return bytes(got), True
        except socket.timeout:
            return bytes(got), False
        if not d:
            return bytes(got), True
        got += d
    return bytes(got), False


def info_field(conn, section, field):
    text = conn.call("INFO", section).decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    raise AssertionError("INFO %s has no %s" % (section, field))


def client_list(conn):
    """CLIENT LIST as a list of {field: value} dicts."""
    out = []
    for line in conn.call("CLIENT", "LIST").decode().splitlines():
        d = {}
        for kv in line.split(" "):
            k, _, v = kv.partition("=")
            d[k] = v
        out.append(d)
    return out


def client_by_name(conn, name):
    for c in client_list(conn):
        if c.get("name") == name:
            return c
    return None


def wait_for(cond, timeout, interval=0.02):
    """Polls cond() until it is true or timeout seconds pass; returns its
    last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def assert_error_match(reply, pattern):
    """Redis's assert_match on an error text (glob, case-sensitive)."""
    assert isinstance(reply, ReplyError), "expected an error matching %r, got %r" % (pattern, reply)
    assert fnmatch.fnmatchcase(str(reply), pattern), "error %r does not match %r" % (str(reply), pattern)
