#!/usr/bin/env python3
"""Differential check of the RESP parser against a live redis-server 7.0.

Every stream (the protocol edge cases of test_resp.c plus random streams over
the protocol's alphabet) is sent to redis-server on loopback, on its own
connection, and given to resp_outcome. They must agree on how many requests
were complete, and on the ending: Redis still waiting (connection open) vs
AGAIN, or Redis's "-ERR Protocol error: ..." followed by a close vs ERR with
the same text. Streams stay far below the 64 KiB limits, whose verdicts
depend on read timing in Redis.

Usage: redis_diff.py <resp_outcome> [redis-server]   (exit 77 = skipped)
"""
import os
import random
import socket
import subprocess
import sys
import time

PASSWORD = b'pw'


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def skip_reply(buf, i):
    """Index after the RESP reply starting at buf[i], or None if incomplete."""
    if i >= len(buf):
        return None
    end = buf.find(b'\r\n', i)
    if end < 0:
        return None
    t, line = buf[i:i + 1], buf[i + 1:end]
    i = end + 2
    if t in (b'+', b'-', b':', b',', b'_', b'#', b'('):
        return i
    if t in (b'$', b'='):
        n = int(line)
        return i if n < 0 else (i + n + 2 if i + n + 2 <= len(buf) else None)
    if t in (b'*', b'~', b'>', b'%'):
        n = int(line) * (2 if t == b'%' else 1)
        for _ in range(max(n, 0)):
            i = skip_reply(buf, i)
            if i is None:
                return None
        return i
    raise ValueError('bad reply type %r' % t)


def split_replies(buf):
    out, i = [], 0
    while i < len(buf):
        j = skip_reply(buf, i)
        if j is None:
            raise ValueError('truncated reply %r' % buf[i:])
        out.append(buf[i:j])
        i = j
    return out


def redis_outcomes(port, cases):
    socks = []
    for data, auth in cases:
        s = socket.create_connection(('127.0.0.1', port))
        if auth:
            s.sendall(b'AUTH ' + PASSWORD + b'\r\n')
            assert s.recv(5) == b'+OK\r\n'
        s.sendall(data)
        socks.append(s)
    time.sleep(1.0)
    results = []
    for s in socks:
        s.setblocking(False)
        buf, closed = b'', False
        while True:
            try:
                d = s.recv(1 << 16)
            except BlockingIOError:
                break
            if not d:
                closed = True
                break
            buf += d
        s.close()
        replies = split_replies(buf)
        if closed and replies and replies[-1].startswith(b'-ERR Protocol error'):
            end = 'ERR ' + replies[-1][5:-2].decode('latin-1')
            replies = replies[:-1]
        elif closed:
            end = 'CLOSED-WITHOUT-PROTOCOL-ERROR'
        else:
            end = 'AGAIN'
        results.append((len(replies), end))
    return results


def ours(helper, data, auth):
    r = subprocess.run([helper, 'auth' if auth else 'noauth'], input=data,
                       capture_output=True, check=True)
    lines = r.stdout.decode('latin-1').split('\n')
    return int(lines[0]), lines[1]


CASES = [
    (b'*1\r\n$4\r\nPING\r\n', False),
    (b'*1\rX$4\rYPINGab*1\r\n$4\r\nPING\r\n', True),
    (b'*1\r\n$4\r\nPING\r\n*1\r\n$3\r\nabc', True),
    (b'*1\r\n$4\r\nPING\r\n*1\r\n$3\r\nabc\r', True),
    (b'*x\r', True), (b'*1\r', True),
    (b'*0\r\n*1\r\n$4\r\nPING\r\n', True),
    (b'*-1\r\n*-10\r\nPING\r\n', True),
    (b'\r\n\n   \r\n\t\r\nPING\r\n', True),
    (b'*abc\r\n', True), (b'*\r\n', True), (b'*01\r\n', True), (b'*+1\r\n', True),
    (b'*-0\r\n', True), (b'*-\r\n', True), (b'*1 \r\n', True),
    (b'*2147483648\r\n', True), (b'*2147483647\r\n', True),
    (b'*000000000000000000001\r\n', True), (b'*99999999999999999999\r\n', True),
    (b'*-9223372036854775808\r\n*1\r\n$4\r\nPING\r\n', True),
    (b'*-9223372036854775809\r\n', True),
    (b'*11\r\n', False), (b'*10\r\n', False), (b'*11\r\n', True),
    (b'*1\r\nfoo\r\n', True), (b'*1\r\n\n\r\n', True), (b'*1\r\n\r\n', True),
    (b'*1\r\n$-1\r\n', True), (b'*1\r\n$\r\n', True), (b'*1\r\n$3x\r\n', True),
    (b'*1\r\n$16385\r\n', False), (b'*1\r\n$16384\r\n', False), (b'*1\r\n$16385\r\n', True),
    (b'*1\r\n$536870912\r\n', True), (b'*1\r\n$536870913\r\n', True),
    (b'*1\r\n$4\r\nPING\r\n*1\r\n!\r\n', True),
    (b'"a""b"\n', True), (b'"abc"def\r\n', True), (b'SET "abc\r\n', True),
    (b"'abc\n", True), (b'"abc\\"\n', True), (b'PING\r\n"x\n', True),
    (b'PING x\0y\r\nPING\r\n', True), (b'*1\0\r\n$4\r\nPING\r\n', True),
    (b'ECHO "\\x41\\n\\t\\\\\\q\\r\\b\\a"\r\n', True), (b'ECHO ab"cd"\n', True),
    (b'ECHO a\rb\r\r\n', True), (b'ECHO \va\vb\f\n', True),
]

ALPHABET = b'*$\r\n\r\n0123-+ "\'\\xA\tab\0'


def main():
    helper = sys.argv[1]
    server = sys.argv[2] if len(sys.argv) > 2 else 'redis-server'
    try:
        v = subprocess.run([server, '--version'], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        print('redis-server not available: skipped')
        return 77
    if b'v=7.0.' not in v.stdout:
        print('not redis 7.0 (%s): skipped' % v.stdout.decode().strip())
        return 77
    rng = random.Random(int(os.environ.get('SEED', '7')))
    cases = list(CASES)
    for _ in range(300):
        n = rng.randrange(1, 60)
        cases.append((bytes(rng.choice(ALPHABET) for _ in range(n)), rng.random() < 0.5))
    port = free_port()
    proc = subprocess.Popen([server, '--port', str(port), '--bind', '127.0.0.1',
                             '--save', '', '--appendonly', 'no', '--requirepass',
                             PASSWORD.decode(), '--maxclients', '1000'],
                            stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(('127.0.0.1', port)).close()
                break
            except OSError:
                time.sleep(0.05)
        theirs = redis_outcomes(port, cases)
    finally:
        proc.terminate()
        proc.wait()
    bad = 0
    for (data, auth), want in zip(cases, theirs):
        got = ours(helper, data, auth)
        if got != want:
            bad += 1
            print('MISMATCH %r %s: redis %s, sluice %s' %
                  (data, 'auth' if auth else 'noauth', want, got))
    print('%d streams, %d mismatches' % (len(cases), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
