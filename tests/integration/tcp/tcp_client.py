#!/usr/bin/env python3
"""Kernel-socket client for the TCP echo integration tests and benchmark.

Every mode checks what it gets back against what it sent and exits non-zero
on any mismatch, short read or deadline; it prints one "key=value ..." result
line that the shell tests parse.

  stream HOST PORT --conns N (--bytes B | --seconds S) [--deadline D]
      N connections; on each a sender thread streams pseudo-random data
      (SHA-256 of everything sent) while a receiver thread hashes the echo
      concurrently. After B bytes (or S seconds) the sender half-closes; the
      receiver reads to EOF. Passes when, on every connection, the byte counts
      and the two digests are equal.
  many HOST PORT N [--deadline D]
      Opens N non-blocking connections at once, keeps all of them open, sends a
      distinct message on each and checks every echo; then closes them all.
  zerowin HOST PORT [--stall S] [--deadline D]
      Sends without reading until send() has made no progress for S seconds
      (both windows are closed), reports the peer's advertised window from
      TCP_INFO, then reads everything back and checks it.
  hold HOST PORT N --ready FILE --until FILE
      Opens N connections, echoes one byte on each, writes FILE(ready) and
      keeps them idle until FILE(until) exists (bounded by --deadline).
"""
import argparse
import hashlib
import os
import selectors
import socket
import struct
import sys
import threading
import time

CHUNK = 256 * 1024


def pattern(seed):
    """Pseudo-random data distinct per seed; the length (1 MiB + 7) is odd so
    the sender's chunk boundaries drift across the repetitions."""
    return hashlib.shake_256(b"sluice-tcp-%d" % seed).digest((1 << 20) + 7)


class Stream:
    def __init__(self, host, port, seed, nbytes, seconds, timeout):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.settimeout(timeout)
        self.data = pattern(seed)
        self.nbytes, self.seconds = nbytes, seconds
        self.sent = self.recvd = 0
        self.sent_hash, self.recv_hash = hashlib.sha256(), hashlib.sha256()
        self.error = None
        self.t_first = self.t_last = None

    def sender(self):
        try:
            mv = memoryview(self.data)
            off = 0
            end = time.monotonic() + self.seconds if self.seconds else None
            while True:
                if self.nbytes is not None and self.sent >= self.nbytes:
                    break
                if end is not None and time.monotonic() >= end:
                    break
                n = min(CHUNK, len(mv) - off)
                if self.nbytes is not None:
                    n = min(n, self.nbytes - self.sent)
                piece = mv[off:off + n]
                self.sock.sendall(piece)
                self.sent_hash.update(piece)
                self.sent += n
                off = (off + n) % len(mv)
            self.sock.shutdown(socket.SHUT_WR)
        except Exception as e:  # reported by the caller
            self.error = "send: %r after %d bytes" % (e, self.sent)

    def receiver(self):
        buf = bytearray(CHUNK)
        try:
            while True:
                n = self.sock.recv_into(buf)
                if n == 0:
                    break
                now = time.monotonic()
                if self.t_first is None:
                    self.t_first = now
                self.t_last = now
                self.recv_hash.update(memoryview(buf)[:n])
                self.recvd += n
        except Exception as e:
            self.error = self.error or "recv: %r after %d bytes" % (e, self.recvd)


def cmd_stream(a):
    conns = [Stream(a.host, a.port, i, a.bytes, a.seconds, a.deadline) for i in range(a.conns)]
    threads = []
    t0 = time.monotonic()
    for c in conns:
        for fn in (c.sender, c.receiver):
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            threads.append(t)
    for t in threads:
        t.join(max(0.0, a.deadline - (time.monotonic() - t0)))
    elapsed = time.monotonic() - t0
    bad = 0
    for i, c in enumerate(conns):
        why = c.error
        if any(t.is_alive() for t in threads):
            why = why or "deadline %ss passed (sent %d, echoed %d)" % (a.deadline, c.sent, c.recvd)
        elif c.sent != c.recvd:
            why = why or "sent %d bytes, echoed %d" % (c.sent, c.recvd)
        elif c.sent_hash.digest() != c.recv_hash.digest():
            why = "SHA-256 differs"
        if why:
            bad += 1
            print("conn %d: %s" % (i, why), file=sys.stderr)
        c.sock.close()
    total = sum(c.recvd for c in conns)
    mbit = total * 8 / elapsed / 1e6
    digest = conns[0].recv_hash.hexdigest()[:16] if conns else "-"
    print("conns=%d bytes_each_way=%d seconds=%.2f echo_mbit=%.1f bad=%d sha256_0=%s"
          % (a.conns, total, elapsed, mbit, bad, digest))
    return 1 if bad else 0


def cmd_many(a):
    sel = selectors.DefaultSelector()
    deadline = time.monotonic() + a.deadline
    socks = []
    for i in range(a.n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((a.host, a.port))
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE, i)
    pending = a.n
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(0.5):
            s, i = key.fileobj, key.data
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                print("conn %d: connect failed: %s" % (i, os.strerror(err)), file=sys.stderr)
                return 1
            sel.unregister(s)
            pending -= 1
    connected = a.n - pending
    t_conn = a.deadline - (deadline - time.monotonic())
    if pending:
        print("only %d of %d connected before the deadline" % (connected, a.n), file=sys.stderr)
        print("open=%d echoed=0" % connected)
        return 1
    # Everything is open at once now; a distinct message per connection.
    want = [b"echo %d of %d from the kernel client\n" % (i, a.n) for i in range(a.n)]
    got = [bytearray() for _ in range(a.n)]
    for i, s in enumerate(socks):
        s.send(want[i])  # small: fits any empty send buffer
        sel.register(s, selectors.EVENT_READ, i)
    done = 0
    while done < a.n and time.monotonic() < deadline:
        for key, _ in sel.select(0.5):
            s, i = key.fileobj, key.data
            chunk = s.recv(4096)
            if not chunk:
                print("conn %d: closed early" % i, file=sys.stderr)
                return 1
            got[i] += chunk
            if len(got[i]) >= len(want[i]):
                sel.unregister(s)
                done += 1
    wrong = sum(1 for i in range(a.n) if bytes(got[i]) != want[i])
    print("open=%d echoed=%d wrong=%d connect_seconds=%.2f" % (connected, done, wrong, t_conn))
    for s in socks:
        s.close()
    return 0 if done == a.n and wrong == 0 else 1


def tcp_info_snd_wnd(s):
    """tcpi_snd_wnd: the peer's advertised window, scaled (struct tcp_info
    offset 228, Linux >= 5.4), or -1 if the kernel lacks it."""
    raw = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 512)
    if len(raw) < 232:
        return -1
    return struct.unpack_from("I", raw, 228)[0]


def cmd_zerowin(a):
    s = socket.create_connection((a.host, a.port), timeout=10)
    s.setblocking(False)
    data = pattern(7)
    sent_hash = hashlib.sha256()
    sent = 0
    last_progress = time.monotonic()
    deadline = last_progress + a.deadline
    while time.monotonic() - last_progress < a.stall:
        if time.monotonic() > deadline:
            print("send never stalled", file=sys.stderr)
            return 1
        off = sent % len(data)
        try:
            n = s.send(data[off:off + 65536])
        except BlockingIOError:
            time.sleep(0.05)
            continue
        sent_hash.update(data[off:off + n])
        sent += n
        last_progress = time.monotonic()
    wnd = tcp_info_snd_wnd(s)
    # Show the kernel's view of the connection for the log.
    if a.ss:
        os.system("ss -tin dst %s:%d" % (a.host, a.port))
    s.setblocking(True)
    s.settimeout(10)
    s.shutdown(socket.SHUT_WR)
    recv_hash = hashlib.sha256()
    recvd = 0
    while time.monotonic() < deadline:
        chunk = s.recv(CHUNK)
        if not chunk:
            break
        recv_hash.update(chunk)
        recvd += len(chunk)
    same = recvd == sent and recv_hash.digest() == sent_hash.digest()
    print("sent_before_stall=%d peer_wnd_at_stall=%d echoed=%d intact=%d" % (sent, wnd, recvd, same))
    return 0 if same else 1


def cmd_hold(a):
    socks = []
    end = time.monotonic() + a.deadline
    for i in range(a.n):
        if time.monotonic() > end:
            print("deadline passed after %d connections" % i, file=sys.stderr)
            return 1
        s = socket.create_connection((a.host, a.port), timeout=10)
        s.sendall(b"x")
        if s.recv(1) != b"x":
            print("conn %d: no echo" % i, file=sys.stderr)
            return 1
        socks.append(s)
    open(a.ready, "w").close()
    while not os.path.exists(a.until) and time.monotonic() < end:
        time.sleep(0.1)
    for s in socks:
        s.close()
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    for name in ("stream", "many", "zerowin", "hold"):
        q = sub.add_parser(name)
        q.add_argument("host")
        q.add_argument("port", type=int)
        q.add_argument("--deadline", type=float, default=120)
        if name in ("many", "hold"):
            q.add_argument("n", type=int)
    sp = sub.choices["stream"]
    sp.add_argument("--conns", type=int, default=1)
    sp.add_argument("--bytes", type=int)
    sp.add_argument("--seconds", type=float)
    zp = sub.choices["zerowin"]
    zp.add_argument("--stall", type=float, default=2.0)
    zp.add_argument("--ss", action="store_true")
    hp = sub.choices["hold"]
    hp.add_argument("--ready", required=True)
    hp.add_argument("--until", required=True)
    a = p.parse_args()
    if a.mode == "stream" and (a.bytes is None) == (a.seconds is None):
        p.error("stream needs exactly one of --bytes and --seconds")
    return {"stream": cmd_stream, "many": cmd_many, "zerowin": cmd_zerowin,
            "hold": cmd_hold}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
