#!/usr/bin/env python3
"""maxmemory-clients over the network (Redis's client eviction).

usage: eviction_probe.py HOST PORT [kernel]

With maxmemory-clients 8mb (set by the test) and three clients: A pipelines
12 GETs of a 1 MiB value, B says CLIENT NO-EVICT on and pipelines 16, and
neither reads; C is idle. The clients then hold about 28 MiB. As in
Redis's evictClients, the largest evictable client goes first (A, not B,
which is larger but exempt), and since B alone keeps the total over the
limit, every other evictable client follows (C). B keeps its connection
and reads its replies intact; INFO evicted_clients counts two. Prints
ok/not ok lines.

kernel: for the kernel transport over loopback. B keeps an ordinary receive
buffer (a connection opened with a 4 KiB one keeps a tiny window once it
reads, and its replies would take minutes) and pipelines 32 GETs, more than
the kernel's socket buffers take (a few MiB each way), so the server still
holds over 8 MiB of them.
"""
import socket
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
KERNEL = len(sys.argv) > 3 and sys.argv[3] == "kernel"
B_GETS = 32 if KERNEL else 16
VALUE = (b"0123456789abcdef" * 65536)[:1 << 20]
fails = 0


def check(cond, what):
    global fails
    print(("ok - " if cond else "not ok - ") + what, flush=True)
    if not cond:
        fails += 1


def conn(small_rcvbuf=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if small_rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect((HOST, PORT))
    return s


def call(s, *args):
    args = [a if isinstance(a, bytes) else a.encode() for a in args]
    s.sendall(b"".join([b"*%d\r\n" % len(args)] + [b"$%d\r\n%s\r\n" % (len(a), a) for a in args]))
    return s.recv(65536)


def info(field):
    s = conn()
    text = call(s, "INFO", "stats").decode()
    s.close()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return int(line.split(":")[1])
    return -1


def closed_by_server(s):
    s.settimeout(10)
    try:
        while True:
            if not s.recv(1 << 20):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


setup = conn()
assert call(setup, "SET", "big", VALUE) == b"+OK\r\n"
setup.close()
before = info("evicted_clients")
a, b, c = conn(), conn(not KERNEL), conn(not KERNEL)
check(call(b, "CLIENT", "NO-EVICT", "on") == b"+OK\r\n", "CLIENT NO-EVICT on")
check(call(c, "PING") == b"+PONG\r\n", "the small client answers before")
a.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 12)
b.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * B_GETS)
time.sleep(1.5)  # the server's client sweep runs every 100 ms
check(closed_by_server(a), "the largest evictable client (A) was evicted")
check(closed_by_server(c), "B (NO-EVICT) alone stays over the limit, so the other evictable client (C) follows, as in Redis")
want = (b"$%d\r\n" % len(VALUE) + VALUE + b"\r\n") * B_GETS
got = bytearray()
b.settimeout(30)
try:
    while len(got) < len(want):
        d = b.recv(1 << 20)
        if not d:
            break
        got += d
except OSError as e:
    print("# B: %s after %d bytes" % (e, len(got)))
if KERNEL:
    check(bytes(got) == want, "the NO-EVICT client keeps its connection and reads its %d replies intact" % B_GETS)
else:
    check(bytes(got) == want, "the NO-EVICT client (the largest) keeps its connection and reads its 16 replies intact")
after = info("evicted_clients")
print("# evicted_clients %d -> %d" % (before, after))
check(after == before + 2, "INFO evicted_clients counts the two evictions")
sys.exit(1 if fails else 0)
