#!/usr/bin/env python3
"""Incident 1 replay (connection storm): one run against one server.

Well-behaved sources (one thread each, in a child process) keep a
connection doing SET/GET with checked replies and open a new connection
every --new-every seconds (PING on it, checked); one storm source opens
connections as fast as it can (bounded by --attempts and --storm seconds)
and keeps those that are accepted until the storm ends. Prints one JSON
object: the storm's outcomes (accepted, Redis's maxclients error, no answer
within --connect-timeout, refused/reset), the well-behaved sources' failures
and their request latencies before (baseline) and during the storm.
"""
import argparse
import json
import multiprocessing
import os
import resource
import selectors
import socket
import threading
import time

MAXCLIENTS_ERR = b"-ERR max number of clients reached\r\n"


def pct(vals, p):
    if not vals:
        return None
    v = sorted(vals)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))]


def recv_exact_line(s):
    buf = b""
    while not buf.endswith(b"\r\n"):
        d = s.recv(4096)
        if not d:
            raise ConnectionError("closed by server")
        buf += d
    return buf


def connect(host, port, src, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def good_source(args, src, idx, stop_at, out):
    """SET/GET on a kept connection; a new connection every new_every s."""
    ops, news, fails = [], [], []
    key = b"inc1:%d" % idx
    val = b"v" * 100
    setreq = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(val), val)
    getreq = b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key)
    getrep = b"$%d\r\n%s\r\n" % (len(val), val)
    kept = None
    next_new = time.monotonic()
    while time.monotonic() < stop_at:
        now = time.monotonic()
        try:
            if kept is None:
                kept = connect(args.host, args.port, src, 5.0)
            t = time.monotonic()
            kept.sendall(setreq)
            r1 = recv_exact_line(kept)
            kept.sendall(getreq)
            r2 = b""
            while len(r2) < len(getrep):
                d = kept.recv(4096)
                if not d:
                    raise ConnectionError("closed by server")
                r2 += d
            lat = time.monotonic() - t
            if r1 != b"+OK\r\n" or r2 != getrep:
                fails.append([t, "kept connection: wrong reply %r %r" % (r1[:40], r2[:40])])
            else:
                ops.append([t, lat])
        except (OSError, ConnectionError) as e:
            fails.append([now, "kept connection: %s" % e])
            if kept is not None:
                kept.close()
            kept = None
        if now >= next_new:
            next_new += args.new_every
            t = time.monotonic()
            try:
                s = connect(args.host, args.port, src, args.good_timeout)
                s.sendall(b"PING\r\n")
                r = recv_exact_line(s)
                s.close()
                if r != b"+PONG\r\n":
                    fails.append([t, "new connection: %r" % r[:60]])
                else:
                    news.append([t, time.monotonic() - t])
            except (OSError, ConnectionError) as e:
                fails.append([t, "new connection: %s" % e])
        time.sleep(args.interval)
    if kept is not None:
        kept.close()
    out[src] = {"ops": ops, "news": news, "fails": fails}


def good_process(args, stop_at, conn):
    out = {}
    th = [threading.Thread(target=good_source, args=(args, src, i, stop_at, out))
          for i, src in enumerate(args.good)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    conn.send(out)
    conn.close()


def storm(args, deadline):
    """Opens connections from args.storm_src as fast as it can."""
    sel = selectors.DefaultSelector()
    pending = {}  # connecting: sock -> start time
    live = {}     # connected, no byte received yet: sock -> time connected
    res = {"attempts": 0, "accepted": 0, "maxclients_error": 0, "other_reply": 0,
           "no_answer": 0, "refused_or_reset": 0, "closed_silently": 0, "held_served": 0,
           "held_at_end": 0}
    stop_opening = time.monotonic() + args.storm
    while time.monotonic() < deadline:
        now = time.monotonic()
        while (len(pending) < args.concurrency and res["attempts"] < args.attempts
               and now < stop_opening):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.bind((args.storm_src, 0))
                s.connect_ex((args.host, args.port))
            except OSError:
                s.close()
                res["refused_or_reset"] += 1
                res["attempts"] += 1
                continue
            pending[s] = now
            sel.register(s, selectors.EVENT_WRITE)
            res["attempts"] += 1
        for key, ev in sel.select(timeout=0.01):
            s = key.fileobj
            if s in pending:
                del pending[s]
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err != 0:
                    sel.unregister(s)
                    s.close()
                    res["refused_or_reset"] += 1
                    continue
                live[s] = time.monotonic()
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                d = s.recv(256)
            except OSError:
                d = None
            sel.unregister(s)
            live.pop(s, None)
            if d is None:
                res["refused_or_reset"] += 1
            elif d.startswith(b"-ERR max number of clients reached"):
                res["maxclients_error"] += 1
            elif d == b"":
                res["closed_silently"] += 1
            else:
                res["other_reply"] += 1
            s.close()
        now = time.monotonic()
        for s, t in list(pending.items()):
            if now - t > args.connect_timeout:
                del pending[s]
                sel.unregister(s)
                s.close()
                res["no_answer"] += 1
        if res["attempts"] >= args.attempts and not pending and now >= stop_opening:
            # Everything was tried; hold what was accepted until the deadline.
            time.sleep(min(0.05, max(0.0, deadline - now)))
    for s in pending:
        sel.unregister(s)
        s.close()
        res["no_answer"] += 1
    # Whatever is still connected and silent was accepted: is it served?
    res["held_at_end"] = len(live)
    for s in list(live):
        sel.unregister(s)
        try:
            s.setblocking(True)
            s.settimeout(2.0)
            s.sendall(b"PING\r\n")
            if s.recv(64) == b"+PONG\r\n":
                res["held_served"] += 1
        except OSError:
            pass
        s.close()
    res["accepted"] = res["held_at_end"] + res["closed_silently"]
    sel.close()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--storm-src", required=True)
    ap.add_argument("--good", required=True, help="comma-separated source addresses")
    ap.add_argument("--baseline", type=float, default=5.0, help="seconds before the storm")
    ap.add_argument("--storm", type=float, default=10.0, help="seconds of storm")
    ap.add_argument("--attempts", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=200, help="connects in flight")
    ap.add_argument("--connect-timeout", type=float, default=1.0)
    ap.add_argument("--good-timeout", type=float, default=3.0)
    ap.add_argument("--interval", type=float, default=0.01, help="pause between SET/GETs")
    ap.add_argument("--new-every", type=float, default=0.2)
    args = ap.parse_args()
    args.good = args.good.split(",")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    t0 = time.monotonic()
    storm_at = t0 + args.baseline
    end = storm_at + args.storm
    rx, tx = multiprocessing.Pipe(duplex=False)
    p = multiprocessing.Process(target=good_process, args=(args, end, tx))
    p.start()
    time.sleep(max(0.0, storm_at - time.monotonic()))
    st = storm(args, end)
    good = rx.recv()
    p.join()

    base, during, fails, news = [], [], [], 0
    for src, g in good.items():
        for t, lat in g["ops"]:
            (base if t < storm_at else during).append(lat * 1000.0)
        news += len(g["news"])
        fails += [[round(t - t0, 3), src, why] for t, why in g["fails"]]
    out = {
        "storm": st,
        "good_ops_baseline": len(base),
        "good_ops_storm": len(during),
        "good_new_connections_ok": news,
        "good_failures": len(fails),
        "good_failure_examples": fails[:5],
        "p50_baseline_ms": pct(base, 50),
        "p99_baseline_ms": pct(base, 99),
        "p50_storm_ms": pct(during, 50),
        "p99_storm_ms": pct(during, 99),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
