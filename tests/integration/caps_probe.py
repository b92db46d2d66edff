#!/usr/bin/env python3
"""Connection caps seen from clients (tests/integration/test_caps.sh).

usage:
  caps_probe.py hold HOST SRC N     open N connections from address SRC one
      after another, all held until the end, each sending PING: prints
      "served=<+PONG> rejected=<Redis's max clients error> shed=<no answer
      to the SYN within 1.5 s> other=<anything else>"
  caps_probe.py load HOST SRC STOPFILE   SET/GET round trips with checked
      replies over 4 connections from SRC until STOPFILE exists (at most
      120 s): prints "requests=<n> errors=<n>"
"""
import socket
import sys
import time

MAXCLIENTS = b"-ERR max number of clients reached\r\n"


def connect(host, src, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect((host, 6379))
    return s


def reply(s):
    buf = b""
    while not buf.endswith(b"\r\n"):
        d = s.recv(4096)
        if not d:
            break
        buf += d
    return buf


def hold(host, src, n):
    held, counts = [], {"served": 0, "rejected": 0, "shed": 0, "other": 0}
    for _ in range(n):
        try:
            s = connect(host, src, 1.5)
        except (socket.timeout, TimeoutError):
            counts["shed"] += 1
            continue
        except OSError:
            counts["other"] += 1
            continue
        s.settimeout(5)
        try:
            s.sendall(b"PING\r\n")
            r = reply(s)
        except OSError:
            r = b""
        if r == b"+PONG\r\n":
            counts["served"] += 1
            held.append(s)
        else:
            counts["rejected" if r == MAXCLIENTS else "other"] += 1
            s.close()
    print(" ".join("%s=%d" % kv for kv in counts.items()), flush=True)
    for s in held:
        s.close()


def load(host, src, stopfile):
    import os
    conns = [connect(host, src, 5) for _ in range(4)]
    n = errors = 0
    deadline = time.monotonic() + 120
    while not os.path.exists(stopfile) and time.monotonic() < deadline:
        for i, s in enumerate(conns):
            v = b"v%d-%d" % (i, n)
            try:
                s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nkey%d\r\n$%d\r\n%s\r\n"
                          b"*2\r\n$3\r\nGET\r\n$4\r\nkey%d\r\n" % (i, len(v), v, i))
                want = b"+OK\r\n$%d\r\n%s\r\n" % (len(v), v)
                got = b""
                while len(got) < len(want):
                    d = s.recv(4096)
                    if not d:
                        break
                    got += d
                errors += got != want
            except OSError:
                errors += 1
            n += 1
    print("requests=%d errors=%d" % (2 * n, errors), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "hold":
        hold(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "load":
        load(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(2)
