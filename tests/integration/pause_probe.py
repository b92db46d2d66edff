#!/usr/bin/env python3
"""A client that stops reading, seen through INFO sluice.

usage: pause_probe.py HOST PORT

Sets a 1 MiB value, sends 40 GETs of it on one connection without reading,
waits 0.6 s and reads INFO sluice on a second connection (the reader is
paused: its replies pass the output high watermark), then reads all 40
replies, checks every byte, waits 0.5 s and reads INFO again. Prints
"during=<paused_connections> pauses=<backpressure_pauses> after=<paused_connections>
intact=<0|1> pinned=<pinned_values during>,<after>" (the unsent replies hold the
1 MiB value by reference: one pinned item while they wait, none after).
"""
import socket
import sys
import time

SIZE = 1 << 20
N = 40


def field(text, name):
    for line in text.split("\r\n"):
        if line.startswith(name + ":"):
            return int(line.split(":", 1)[1])
    return -1


def info(host, port):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"*2\r\n$4\r\nINFO\r\n$6\r\nsluice\r\n")
    buf = b""
    while b"\r\n" not in buf or len(buf) < int(buf[1:buf.index(b"\r\n")]) + buf.index(b"\r\n") + 4:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return buf.decode()


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    v = (b"0123456789abcdef" * (SIZE // 16))[:SIZE]
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(b"*3\r\n$3\r\nSET\r\n$5\r\npause\r\n$%d\r\n%s\r\n" % (SIZE, v))
    assert s.recv(16) == b"+OK\r\n"
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b"*2\r\n$3\r\nGET\r\n$5\r\npause\r\n" * N)
    time.sleep(0.6)
    during = info(host, port)
    want = b"$%d\r\n%s\r\n" % (SIZE, v)
    got = bytearray()
    while len(got) < N * len(want):
        d = s.recv(1 << 20)
        if not d:
            break
        got += d
    s.close()
    intact = bytes(got) == want * N
    time.sleep(0.5)
    after = info(host, port)
    print("during=%d pauses=%d after=%d intact=%d pinned=%d,%d" % (
        field(during, "paused_connections"), field(during, "backpressure_pauses"),
        field(after, "paused_connections"), int(intact),
        field(during, "pinned_values"), field(after, "pinned_values")))


if __name__ == "__main__":
    main()
