#!/usr/bin/env python3
"""Times GETs of a large value over several connections at once.

usage: pacing_probe.py HOST PORT KEY SIZE CONNS [STARTED_FILE]

Each of CONNS connections sends GET KEY at the same moment and reads the
whole reply; the value must be SIZE bytes of the pattern set_value() wrote.
Prints "seconds=<wall time for all> bytes=<total> intact=<0|1>". With
STARTED_FILE, that file is created the moment the GETs are sent.
"""
import socket
import sys
import threading
import time


def pattern(size):
    return (b"0123456789abcdef" * (size // 16 + 1))[:size]


def get_all(host, port, key, size, out, i, start):
    s = socket.create_connection((host, port), timeout=60)
    start.wait()
    s.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key))
    want = b"$%d\r\n" % size
    buf = b""
    total = len(want) + size + 2
    while len(buf) < total:
        d = s.recv(1 << 20)
        if not d:
            break
        buf += d
    s.close()
    out[i] = buf == want + pattern(size) + b"\r\n"


def main():
    host, port, key = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
    size, conns = int(sys.argv[4]), int(sys.argv[5])
    s = socket.create_connection((host, port), timeout=60)
    v = pattern(size)
    s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, size, v))
    assert s.recv(16) == b"+OK\r\n"
    s.close()
    out = [False] * conns
    start = threading.Event()
    th = [threading.Thread(target=get_all, args=(host, port, key, size, out, i, start))
          for i in range(conns)]
    for t in th:
        t.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    start.set()
    if len(sys.argv) > 6:
        open(sys.argv[6], "w").close()
    for t in th:
        t.join()
    dt = time.monotonic() - t0
    print("seconds=%.2f bytes=%d intact=%d" % (dt, size * conns, int(all(out))))


if __name__ == "__main__":
    main()
