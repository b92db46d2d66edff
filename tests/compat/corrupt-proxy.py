#!/usr/bin/env python3
"""A RESP proxy that corrupts one reply in N, to prove diff.py can fail.

  corrupt-proxy.py --listen PORT --upstream HOST:PORT --every N [--log FILE]
                   [--ready-file FILE] [--lifetime SEC]

Listens on 127.0.0.1:PORT, forwards every client connection to the upstream
server, and parses the upstream's replies with resp.Reader. Replies are
numbered across all connections from 1; reply n is altered when N > 0 and
n % N == 0 (so the first reply, FLUSHALL's +OK, is never touched when N > 1).
The alteration always changes the bytes and cannot be hidden by diff.py's
normalisation: the first scalar of the reply (the first value of a map) is
changed: text gets an "X" appended, an integer grows by 1000003 (beyond any
TTL tolerance), a null becomes :0, a boolean flips, an empty aggregate
becomes +CORRUPT. Each alteration is logged to FILE as
"reply #n: <original repr> -> <altered repr>".

--every 0 forwards unchanged (a transparency check). The proxy exits by
itself after --lifetime seconds (default 600) so that a forgotten instance
cannot outlive a test run.
"""

import argparse
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import resp  # noqa: E402

lock = threading.Lock()
counter = [0]


def corrupt(node):
    t, v = node[0], node[1]
    if t == "|":
        return (t, v, corrupt(node[2]))
    if t in "+-,(":
        return (t, v + b"X") if t in "+-" else (t, v + b"1")
    if t == ":":
        return (t, b"%d" % (int(v) + 1000003))
    if t == "#":
        return (t, b"f" if v == b"t" else b"t")
    if t == "_" or (t in resp.BLOBS and v is None):
        return (":", b"0")
    if t in resp.BLOBS:
        return (t, v + b"X")
    if v is None or not v:
        return ("+", b"CORRUPT")
    items = list(v)
    i = 1 if t in resp.MAPS else 0
    items[i] = corrupt(items[i])
    return (t, items)


def pump_requests(client, upstream):
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            upstream.sendall(data)
    except OSError:
        pass
    try:
        upstream.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def pump_replies(client, upstream, every, log):
    reader = resp.Reader(upstream)
    try:
        while True:
            try:
                raw = reader.read_reply()
            except (EOFError, resp.ProtocolError):
                rest = reader.pending()
                if rest:
                    client.sendall(rest)
                break
            with lock:
                counter[0] += 1
                n = counter[0]
            if every > 0 and n % every == 0:
                bad = resp.encode(corrupt(resp.parse(raw)[0]))
                with lock:
                    log.write("reply #%d: %r -> %r\n" % (n, raw, bad))
                    log.flush()
                raw = bad
            client.sendall(raw)
    except OSError:
        pass
    finally:
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def serve(o, log):
    host, _, port = o.upstream.rpartition(":")
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", o.listen))
    lsock.listen(64)
    if o.ready_file:
        with open(o.ready_file, "w") as f:
            f.write("%d\n" % os.getpid())
    lsock.settimeout(0.5)
    deadline = time.monotonic() + o.lifetime
    while time.monotonic() < deadline:
        try:
            client, _ = lsock.accept()
        except socket.timeout:
            continue
        client.settimeout(None)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            upstream = resp.connect(host, int(port), None)
        except OSError:
            client.close()
            continue
        threading.Thread(target=pump_requests, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump_replies, args=(client, upstream, o.every, log), daemon=True).start()


def main():
    p = argparse.ArgumentParser(description="RESP proxy that corrupts one reply in N")
    p.add_argument("--listen", type=int, required=True)
    p.add_argument("--upstream", required=True, metavar="HOST:PORT")
    p.add_argument("--every", type=int, required=True)
    p.add_argument("--log", default="/dev/null")
    p.add_argument("--ready-file")
    p.add_argument("--lifetime", type=float, default=600)
    o = p.parse_args()
    if not o.upstream.startswith(("127.", "localhost:")):
        p.error("the upstream must be on loopback")
    log = open(o.log, "a")
    serve(o, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
