#!/usr/bin/env python3
"""Pipelining client that writes every request before reading any reply.

The pattern of Redis's "PIPELINING stresser" (tests/unit/other.tcl): on a
blocking socket, COUNT x ("SET key:$i <value>" + "GET key:$i") written in
CHUNK-byte writes (Tcl's channel buffer is 4 KiB), then every reply read and
checked in order: "+OK" for each SET, the exact value for each GET. While it
writes, its own receive buffer fills with replies it does not read yet, so
the server faces a zero window while the client is still sending.

--value-size 0 uses the stresser's values ("0000<i>0000", inline commands);
a size > 0 sends values of that many bytes as RESP multibulk requests (big
values cannot be inline), each value distinct so that a reply from the wrong
request is caught.

Bounded: no progress (bytes written or read) for --stall seconds ends the
run with exit status 1 and a line saying where it stopped. Prints how long
the writing and the whole run took; never judges a time.
"""
import argparse
import socket
import sys
import time


def value_of(i, size):
    if size == 0:
        return b"0000%d0000" % i
    head = b"v%d:" % i
    return (head * (size // len(head) + 1))[:size]


def requests(count, size):
    """Yields the request bytes for pair i, in order."""
    for i in range(count):
        key = b"key:%d" % i
        val = value_of(i, size)
        if size == 0:
            yield b"SET " + key + b" " + val + b"\r\nGET " + key + b"\r\n"
        else:
            yield (b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n" % (len(key), key, len(val))
                   + val + b"\r\n*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key))


class Stalled(Exception):
    pass


class Reader:
    """Buffered reads with a progress deadline."""

    def __init__(self, sock, stall):
        self.sock = sock
        self.stall = stall
        self.buf = bytearray()
        self.pos = 0
        self.total = 0

    def _fill(self):
        if self.pos > 1 << 20:
            del self.buf[:self.pos]
            self.pos = 0
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            raise Stalled("no reply byte for %d s" % self.stall)
        if not data:
            raise Stalled("connection closed by the server")
        self.total += len(data)
        self.buf += data

    def line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                out = bytes(self.buf[self.pos:end])
                self.pos = end + 2
                return out
            self._fill()

    def exact(self, n):
        while len(self.buf) - self.pos < n:
            self._fill()
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=100000, help="SET+GET pairs [100000]")
    ap.add_argument("--value-size", type=int, default=0,
                    help="bytes per value; 0: the stresser's short values [0]")
    ap.add_argument("--chunk", type=int, default=4096, help="bytes per write [4096]")
    ap.add_argument("--stall", type=float, default=30.0,
                    help="seconds without progress that count as a stall [30]")
    args = ap.parse_args()

    sock = socket.create_connection((args.host, args.port), timeout=args.stall)
    t0 = time.monotonic()
    written = 0
    pending = bytearray()
    rd = Reader(sock, args.stall)
    try:
        for req in requests(args.count, args.value_size):
            pending += req
            while len(pending) >= args.chunk:
                try:
                    sock.sendall(pending[:args.chunk])
                except socket.timeout:
                    raise Stalled("write blocked for %d s after %d bytes"
                                  % (args.stall, written))
                written += args.chunk
                del pending[:args.chunk]
        try:
            sock.sendall(pending)
        except socket.timeout:
            raise Stalled("write blocked for %d s after %d bytes" % (args.stall, written))
        written += len(pending)
        t_written = time.monotonic() - t0

        for i in range(args.count):
            st = rd.line()
            if st != b"+OK":
                print("reply %d (SET key:%d): expected +OK, got %r" % (2 * i, i, st[:80]))
                return 1
            hdr = rd.line()
            want = value_of(i, args.value_size)
            if hdr != b"$%d" % len(want):
                print("reply %d (GET key:%d): expected $%d, got %r"
                      % (2 * i + 1, i, len(want), hdr[:80]))
                return 1
            got = rd.exact(len(want) + 2)
            if got[:-2] != want or got[-2:] != b"\r\n":
                print("reply %d (GET key:%d): wrong value" % (2 * i + 1, i))
                return 1
    except Stalled as e:
        print("STALLED: %s (%d request bytes written, %d reply bytes read)"
              % (e, written, rd.total))
        return 1
    finally:
        sock.close()
    print("%d pairs, %d request bytes, %d reply bytes, all replies in order; "
          "writing took %.2f s, the whole run %.2f s"
          % (args.count, written, rd.total, t_written, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
