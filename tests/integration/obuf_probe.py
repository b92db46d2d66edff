#!/usr/bin/env python3
"""obuf_probe.py HOST PORT: with client-output-buffer-limit normal 1mb 0 0,
a GET of a 2 MiB value must close that client before the reply completes,
while another client keeps being served (and can read the value in pieces
with GETRANGE, whose replies stay under the limit)."""
import socket, sys

host, port = sys.argv[1], int(sys.argv[2])
value = b"x" * (2 << 20)

def conn():
    s = socket.create_connection((host, port), timeout=5)
    s.settimeout(5)
    return s

def cmd(s, *args):
    req = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    s.sendall(req)

a = conn()
cmd(a, b"SET", b"obuf:big", value)
assert a.recv(16) == b"+OK\r\n", "SET of 2 MiB must succeed"
cmd(a, b"GET", b"obuf:big")
got = b""
closed = False
try:
    while True:
        d = a.recv(1 << 16)
        if not d:
            closed = True
            break
        got += d
        if len(got) >= len(value) + 16:
            break
except (ConnectionResetError, socket.timeout):
    closed = True
assert closed and len(got) < len(value), "the client over the hard limit must be closed (got %d bytes)" % len(got)
b = conn()
cmd(b, b"PING")
assert b.recv(16) == b"+PONG\r\n", "other clients keep being served"
cmd(b, b"GETRANGE", b"obuf:big", b"0", b"99")
r = b""
while not r.endswith(b"\r\n") or len(r) < 107:
    r += b.recv(4096)
assert r == b"$100\r\n" + b"x" * 100 + b"\r\n", r[:40]
print("closed after %d of %d bytes; other client served" % (len(got), len(value)))
