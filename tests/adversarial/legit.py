"""Legitimate clients that must keep being served during an attack.

legit.py HOST PORT [--clients N] [--interval S] [--out FILE]

N client threads (ordinary kernel sockets) each keep one connection and loop
SET key value / GET key with a fresh value each time, checking every reply
byte for byte (+OK, then the bulk string just written). Runs until SIGTERM.
SIGUSR1 moves to the next phase ("before" -> "during" -> "after"); per phase
it records requests, errors and round-trip latencies. At exit it writes one
JSON object (per phase: ops, errors, p50_ms, p99_ms, max_ms; first_error) to
--out or stdout. A failed connection counts an error and is reopened. No time
is ever a failure: latencies are figures. With --out, FILE.ready appears once
the signal handlers are installed.
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
import time

PHASES = ["before", "during", "after"]


class State:
    def __init__(self):
        self.phase = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.lat = {p: [] for p in PHASES}
        self.ops = {p: 0 for p in PHASES}
        self.errors = {p: 0 for p in PHASES}
        self.first_error = None

    def record(self, ms, err=None):
        with self.lock:
            p = PHASES[self.phase]
            if err is None:
                self.ops[p] += 1
                self.lat[p].append(ms)
            else:
                self.errors[p] += 1
                if self.first_error is None:
                    self.first_error = "%s: %s" % (p, err)


def read_exact(sock, buf, n):
    while len(buf) < n:
        d = sock.recv(65536)
        if not d:
            raise ConnectionError("connection closed by sluice")
        buf += d
    return buf


def client(st, host, port, idx, interval):
    key = b"adv:legit:%d" % idx
    sock = None
    seq = 0
    while not st.stop.is_set():
        try:
            if sock is None:
                sock = socket.create_connection((host, port), timeout=10)
                # Generous: on a loaded machine a lost frame can cost seconds
                # of retransmission backoff; a wrong reply fails, not a slow one.
                sock.settimeout(20)
            seq += 1
            val = b"v%d-%d-" % (idx, seq) + b"x" * (seq % 97)
            t0 = time.perf_counter()
            sock.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" %
                         (len(key), key, len(val), val))
            got = read_exact(sock, b"", 5)
            if got != b"+OK\r\n":
                raise ValueError("SET replied %r" % got)
            sock.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key))
            want = b"$%d\r\n%s\r\n" % (len(val), val)
            got = read_exact(sock, b"", len(want))
            if got != want:
                raise ValueError("GET replied %r, want %r" % (got[:80], want[:80]))
            st.record((time.perf_counter() - t0) * 1000.0)
        except (OSError, ValueError, ConnectionError) as e:
            st.record(0, "client %d: %s" % (idx, e))
            if sock is not None:
                sock.close()
            sock = None
            time.sleep(0.2)
        st.stop.wait(interval)
    if sock is not None:
        sock.close()


def pct(v, q):
    if not v:
        return None
    v = sorted(v)
    return round(v[min(len(v) - 1, int(q * len(v)))], 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--out")
    a = ap.parse_args()
    st = State()

    def next_phase(*_):
        with st.lock:
            st.phase = min(st.phase + 1, len(PHASES) - 1)

    signal.signal(signal.SIGUSR1, next_phase)
    signal.signal(signal.SIGTERM, lambda *_: st.stop.set())
    threads = [threading.Thread(target=client, args=(st, a.host, a.port, i, a.interval))
               for i in range(a.clients)]
    for t in threads:
        t.start()
    if a.out:
        open(a.out + ".ready", "w").close()  # the signal handlers are in place
    while not st.stop.wait(0.2):
        pass
    for t in threads:
        t.join()
    res = {p: {"ops": st.ops[p], "errors": st.errors[p], "p50_ms": pct(st.lat[p], 0.5),
               "p99_ms": pct(st.lat[p], 0.99), "max_ms": pct(st.lat[p], 1.0)} for p in PHASES}
    res["first_error"] = st.first_error
    out = json.dumps(res)
    if a.out:
        with open(a.out + ".tmp", "w") as f:
            f.write(out + "\n")
        os.rename(a.out + ".tmp", a.out)
    else:
        print(out)
    sys.exit(0)


if __name__ == "__main__":
    main()
