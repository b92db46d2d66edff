#!/usr/bin/env python3
"""Cross-partition semantics through the network with several workers.

usage: workers_probe.py HOST PORT CONNS ROUNDS DEPTH

CONNS connections each send ROUNDS pipelines of DEPTH request groups before
reading anything; a group is SET key value, GET key, INCR counter, with keys
and values that name connection, round and
group, on keys of this connection's own (so no other client's write can come
between its SET and GET; the keys hash to every partition). Checked on every
reply: the reply count and order (one per request), read-your-writes (the
GET right after the SET returns exactly what it set), and the connection's
counter going 1, 2, 3... At the end one connection reads every key with MGET
and checks it holds the last value its writer set (writes made on any worker
are visible from this one). Prints one summary line; exit status 1 on any
mismatch.
"""
import random
import socket
import sys


def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Reader:
    def __init__(self, sock):
        self.s, self.buf = sock, b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        i = self.buf.index(b"\r\n")
        ln, self.buf = self.buf[:i], self.buf[i + 2:]
        return ln

    def reply(self):
        ln = self.line()
        if ln[:1] == b"$":
            n = int(ln[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                d = self.s.recv(65536)
                if not d:
                    raise EOFError("connection closed")
                self.buf += d
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        return ln


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    conns, rounds, depth = (int(x) for x in sys.argv[3:6])
    rnd = random.Random(7)
    socks = []
    for _ in range(conns):
        s = socket.create_connection((host, port), timeout=20)
        socks.append((s, Reader(s)))
    errors, replies = 0, 0
    counters = [0] * conns
    last = {}
    for r in range(rounds):
        plans = []
        for c, (s, _) in enumerate(socks):
            reqs, plan = [], []
            for g in range(depth):
                key = "key:%d:%d" % (c, rnd.randrange(50))
                val = "c%d.r%d.g%d" % (c, r, g)
                reqs += [enc("SET", key, val), enc("GET", key), enc("INCR", "ctr:%d" % c)]
                plan.append(val)
                last[key] = val
            s.sendall(b"".join(reqs))
            plans.append(plan)
        for c, (s, rd) in enumerate(socks):
            for val in plans[c]:
                got = [rd.reply(), rd.reply(), rd.reply()]
                replies += 3
                counters[c] += 1
                want = [b"+OK", val.encode(), b":%d" % counters[c]]
                if got != want:
                    errors += 1
                    if errors <= 5:
                        print("mismatch on connection %d: got %r want %r" % (c, got, want))
    keys = sorted(last)
    s, rd = socks[0]
    for i in range(0, len(keys), 100):
        part = keys[i:i + 100]
        s.sendall(enc("MGET", *part))
        head = rd.line()
        if head != b"*%d" % len(part):
            errors += 1
            print("MGET header %r" % head)
            break
        for k in part:
            v = rd.reply()
            replies += 1
            if v != last[k].encode():
                errors += 1
                if errors <= 5:
                    print("final %s: got %r want %r" % (k, v, last[k]))
    for s, _ in socks:
        s.close()
    print("connections=%d replies=%d mismatches=%d" % (conns, replies, errors))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
