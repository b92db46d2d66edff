#!/usr/bin/env python3
"""Sends one scripted command stream to two servers (sluice and redis-server)
and compares every reply byte for byte.

usage: resp_diff.py SCRIPT HOST_A:PORT_A HOST_B:PORT_B

SCRIPT has one command per line, arguments split on spaces. FLUSHALL is sent
first. Prints each mismatch and a final "compared N mismatches M" line; exits
1 on any mismatch. The broader randomised differential tester lives in
tests/compat/.
"""
import socket, sys
def enc(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
def run(addr, cmds):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)))
    s.sendall(b"".join(enc(c) for c in cmds) + enc(["PING", "__end__"]))
    buf = b""
    while not buf.endswith(b"$7\r\n__end__\r\n"):
        d = s.recv(65536)
        if not d: break
        buf += d
    s.close()
    return buf
cmds = [l.split() for l in open(sys.argv[1]).read().splitlines() if l.strip()]
a = run(sys.argv[2], [["FLUSHALL"]] + cmds); b = run(sys.argv[3], [["FLUSHALL"]] + cmds)
# split replies roughly per command using a RESP reader
def replies(buf):
    out=[]; i=0
    def one(i):
        t=buf[i:i+1]; j=buf.index(b"\r\n", i)
        line=buf[i+1:j]; i=j+2
        if t in b"+-:_#,(": return i
        if t in b"$=":
            n=int(line); return i if n<0 else i+n+2
        if t in b"*%~>":
            n=int(line); k = n*2 if t==b"%" else n
            for _ in range(max(k,0)): i=one(i)
            return i
        raise Exception("bad type %r" % t)
    while i < len(buf):
        j=one(i); out.append(buf[i:j]); i=j
    return out
ra, rb = replies(a), replies(b)
cmds2 = [["FLUSHALL"]] + cmds + [["PING","__end__"]]
bad=0
for c, x, y in zip(cmds2, ra, rb):
    if x != y:
        bad+=1; print("MISMATCH", " ".join(c)); print("  sluice:", x); print("  redis: ", y)
print("compared", len(cmds2), "mismatches", bad)
sys.exit(1 if bad or len(ra) != len(rb) else 0)
