#!/usr/bin/env python3
"""Incident 2 replay (congested egress): one run against one server.

  inc2.py setup HOST --keys K --value-size S
      stores K values of S random bytes (seeded) under inc2:<i>.
  inc2.py load HOST --clients N --pipeline P --seconds L ...
      N processes, each on its own connection: send P GETs at once, read the
      P replies slowly (--read-chunk bytes, then --read-pause seconds), check
      each against the SHA-256 of the value stored; repeat until L seconds
      have passed (the round in progress is finished). Prints JSON: replies
      intact / wrong, disconnections, bytes, the load window (wall clock).
  inc2.py probe HOST --seconds T
      PING every --ping-every seconds on one connection and INFO every
      --info-every seconds on another; prints JSON with every PING's wall
      clock time and latency, and the peak of the output-memory figures
      (sluice: "output_memory:" of INFO's Sluice section; redis-server:
      mem_clients_normal, client_recent_max_output_buffer, used_memory).
"""
import argparse
import hashlib
import json
import multiprocessing
import random
import socket
import threading
import time


def values(keys, size):
    rnd = random.Random(7)
    return [rnd.randbytes(size) for _ in range(keys)]


def conn(host, port, timeout=30.0):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_line(s, buf):
    while b"\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise ConnectionError("closed by server")
        buf += d
    i = buf.index(b"\r\n")
    return buf[:i], buf[i + 2:]


def setup(a):
    s = conn(a.host, a.port)
    for i, v in enumerate(values(a.keys, a.value_size)):
        k = b"inc2:%d" % i
        s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n" % (len(k), k, len(v)) + v + b"\r\n")
        line, rest = read_line(s, b"")
        if line != b"+OK" or rest:
            raise SystemExit("SET inc2:%d: %r" % (i, line))
    s.close()
    print(json.dumps({"keys": a.keys, "value_size": a.value_size}))


def reader(a, idx, deadline, q):
    digests = [hashlib.sha256(v).digest() for v in values(a.keys, a.value_size)]
    res = {"ok": 0, "bad": 0, "disconnects": 0, "bytes": 0, "rounds": 0, "errors": []}
    try:
        s = conn(a.host, a.port, timeout=120.0)
    except OSError as e:
        res["disconnects"] += 1
        res["errors"].append("connect: %s" % e)
        q.put(res)
        return
    n = idx
    try:
        while time.time() < deadline:
            want = []
            req = b""
            for _ in range(a.pipeline):
                k = b"inc2:%d" % (n % a.keys)
                want.append(n % a.keys)
                n += 1
                req += b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k)
            s.sendall(req)
            buf = b""
            for w in want:
                line, buf = read_line(s, buf)
                if not line.startswith(b"$"):
                    res["bad"] += 1
                    res["errors"].append("reply %r" % line[:60])
                    raise ConnectionError("unexpected reply")
                size = int(line[1:])
                h = hashlib.sha256()
                got = 0
                while got < size + 2:
                    if not buf:
                        buf = s.recv(a.read_chunk)
                        if not buf:
                            raise ConnectionError("closed by server")
                        res["bytes"] += len(buf)
                        time.sleep(a.read_pause)
                    take = buf[:size + 2 - got]
                    buf = buf[len(take):]
                    h.update(take[:max(0, size - got)])
                    got += len(take)
                if size == a.value_size and h.digest() == digests[w]:
                    res["ok"] += 1
                else:
                    res["bad"] += 1
            res["rounds"] += 1
    except (OSError, ConnectionError, ValueError) as e:
        res["disconnects"] += 1
        res["errors"].append(str(e))
    s.close()
    q.put(res)


def load(a):
    q = multiprocessing.Queue()
    start = time.time()
    deadline = start + a.seconds
    ps = [multiprocessing.Process(target=reader, args=(a, i, deadline, q))
          for i in range(a.clients)]
    for p in ps:
        p.start()
    rs = [q.get() for _ in ps]
    for p in ps:
        p.join()
    out = {"load_start": start, "load_end": time.time(), "clients": a.clients,
           "pipeline": a.pipeline}
    for k in ("ok", "bad", "disconnects", "bytes", "rounds"):
        out[k] = sum(r[k] for r in rs)
    out["errors"] = [e for r in rs for e in r["errors"]][:5]
    print(json.dumps(out))


def info_fields(text):
    f = {}
    for line in text.split("\r\n"):
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            f[k] = v
    return f


def probe(a):
    stop = time.time() + a.seconds
    pings, peak = [], {}
    errors = []

    def ping_loop():
        try:
            s = conn(a.host, a.port)
            while time.time() < stop:
                t = time.time()
                s.sendall(b"PING\r\n")
                line, rest = read_line(s, b"")
                if line != b"+PONG" or rest:
                    errors.append("PING: %r" % line[:40])
                    break
                pings.append([t, time.time() - t])
                time.sleep(a.ping_every)
            s.close()
        except (OSError, ConnectionError) as e:
            errors.append("PING connection: %s" % e)

    def info_loop():
        try:
            s = conn(a.host, a.port)
            while time.time() < stop:
                s.sendall(b"INFO\r\n")
                line, buf = read_line(s, b"")
                size = int(line[1:])
                while len(buf) < size + 2:
                    d = s.recv(65536)
                    if not d:
                        raise ConnectionError("closed by server")
                    buf += d
                f = info_fields(buf[:size].decode())
                vals = {}
                if "output_memory" in f:
                    for kv in f["output_memory"].split(","):
                        k, v = kv.split("=")
                        vals["sluice_output_" + k] = int(v)
                for k in ("mem_clients_normal", "client_recent_max_output_buffer",
                          "used_memory"):
                    if k in f:
                        vals[k] = int(f[k])
                for k, v in vals.items():
                    peak[k] = max(peak.get(k, 0), v)
                peak["samples"] = peak.get("samples", 0) + 1
                time.sleep(a.info_every)
            s.close()
        except (OSError, ConnectionError, ValueError) as e:
            errors.append("INFO connection: %s" % e)

    th = [threading.Thread(target=ping_loop), threading.Thread(target=info_loop)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    print(json.dumps({"pings": pings, "peak": peak, "errors": errors}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["setup", "load", "probe"])
    ap.add_argument("host")
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--keys", type=int, default=4)
    ap.add_argument("--value-size", type=int, default=1 << 20)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--pipeline", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--read-chunk", type=int, default=16384)
    ap.add_argument("--read-pause", type=float, default=0.01)
    ap.add_argument("--ping-every", type=float, default=0.02)
    ap.add_argument("--info-every", type=float, default=0.1)
    a = ap.parse_args()
    {"setup": setup, "load": load, "probe": probe}[a.mode](a)


if __name__ == "__main__":
    main()
