#!/usr/bin/env python3
"""drain_probe.py HOST PORT PID: pipelines INCRs on one connection, sends
SIGTERM to PID while replies are in flight, then stops sending and reads to
the end. Passes when every reply that arrived is complete and they are
exactly :1, :2, ... :N in order (N > 0): no truncated, lost or reordered
acknowledged reply. Prints N and how the connection ended."""
import os, signal, socket, sys, threading, time

host, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port), timeout=10)
s.sendall(b"DEL drainctr\r\n")
if s.recv(16) not in (b":0\r\n", b":1\r\n"):
    sys.exit("DEL did not answer an integer")
stop = threading.Event()
req = b"INCR drainctr\r\n" * 200

def sender():
    try:
        while not stop.is_set():
            s.sendall(req)
    except OSError:
        pass

t = threading.Thread(target=sender)
t.start()
time.sleep(0.5)
os.kill(pid, signal.SIGTERM)
time.sleep(0.05)
stop.set()
buf, ended = b"", "eof"
try:
    while True:
        d = s.recv(1 << 16)
        if not d:
            break
        buf += d
except ConnectionResetError:
    ended = "reset"
t.join()
lines = buf.split(b"\r\n")
tail = lines.pop()  # bytes after the last CRLF: must be empty
n = 0
for l in lines:
    n += 1
    if l != b":%d" % n:
        sys.exit("reply %d is %r, expected :%d" % (n, l, n))
if tail:
    sys.exit("truncated reply at the end: %r" % tail)
if n == 0:
    sys.exit("no replies arrived")
print("%d replies, in order, connection ended by %s" % (n, ended))
