#!/usr/bin/env python3
"""A deliberately wrong Redis-like server for tests/integration/test_loadgen.sh.

Usage: bad_server.py HOST PORT MODE
  ok        answers GET/SET/INCR/MGET/PING correctly (the control case)
  wrong     like ok, but from the 20th GET on, every 50th GET's value has
            one byte changed
  swap      holds each reply until the next request's reply is ready and
            sends the two in swapped order (flushes a lone reply after 50 ms)
  truncate  after 200 replies on a connection, sends half of the next reply
            and closes
Serves each connection in its own thread; keeps one dict for all.
"""
import socket
import sys
import threading

HOST, PORT, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = {}
lock = threading.Lock()
gets = [0]


def bulk(v):
    if v is None:
        return b"$-1\r\n"
    return b"$%d\r\n%s\r\n" % (len(v), v)


def execute(args):
    cmd = args[0].upper()
    with lock:
        if cmd == b"GET":
            v = store.get(args[1])
            gets[0] += 1
            if MODE == "wrong" and v is not None and gets[0] >= 20 and gets[0] % 50 == 0:
                v = v[:-1] + (b"#" if v[-1:] != b"#" else b"$")
            return bulk(v)
        if cmd == b"SET":
            store[args[1]] = args[2]
            return b"+OK\r\n"
        if cmd == b"INCR":
            n = int(store.get(args[1], b"0")) + 1
            store[args[1]] = b"%d" % n
            return b":%d\r\n" % n
        if cmd == b"MGET":
            return b"*%d\r\n" % (len(args) - 1) + b"".join(bulk(store.get(k)) for k in args[1:])
        if cmd == b"PING":
            return b"+PONG\r\n"
    return b"-ERR unknown command\r\n"


def parse(buf):
    """Complete multibulk requests at the front of buf -> (list of argv, rest)."""
    out = []
    while True:
        if not buf.startswith(b"*"):
            return out, buf
        end = buf.find(b"\r\n")
        if end < 0:
            return out, buf
        n, pos, args = int(buf[1:end]), end + 2, []
        for _ in range(n):
            e = buf.find(b"\r\n", pos)
            if e < 0:
                return out, buf
            ln = int(buf[pos + 1:e])
            if len(buf) < e + 2 + ln + 2:
                return out, buf
            args.append(buf[e + 2:e + 2 + ln])
            pos = e + 2 + ln + 2
        out.append(args)
        buf = buf[pos:]


def serve(conn):
    buf, held, replies = b"", None, 0
    conn.settimeout(0.05)
    try:
        while True:
            try:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            except socket.timeout:
                if held is not None:
                    conn.sendall(held)
                    held = None
                continue
            reqs, buf = parse(buf)
            out = []
            for args in reqs:
                r = execute(args)
                replies += 1
                if MODE == "truncate" and replies > 200:
                    conn.sendall(b"".join(out) + r[: max(1, len(r) // 2)])
                    return
                if MODE == "swap":
                    if held is None:
                        held = r
                        continue
                    out.append(r)
                    out.append(held)
                    held = None
                else:
                    out.append(r)
            if out:
                conn.sendall(b"".join(out))
    except OSError:
        pass
    finally:
        conn.close()


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((HOST, PORT))
srv.listen(128)
print("ready", flush=True)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
