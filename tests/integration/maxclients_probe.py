#!/usr/bin/env python3
"""maxclients_probe.py HOST PORT N: holds N connections (each answers PING),
then checks that connection N+1 is told "-ERR max number of clients reached"
and closed, that the held ones still work, and that after one closes a new
connection is served. Exit 0 on success."""
import socket, sys, time

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def conn():
    s = socket.create_connection((host, port), timeout=3)
    s.settimeout(3)
    return s

def ping(s):
    s.sendall(b"PING\r\n")
    return s.recv(64) == b"+PONG\r\n"

held = [conn() for _ in range(n)]
assert all(ping(s) for s in held), "held connections must be served"
extra = conn()
data = b""
while True:
    d = extra.recv(256)
    if not d:
        break
    data += d
assert data == b"-ERR max number of clients reached\r\n", data
assert all(ping(s) for s in held), "held connections must keep being served"
held.pop().close()
time.sleep(0.3)
s = conn()
assert ping(s), "a new connection must be served once one closed"
