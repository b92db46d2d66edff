#!/usr/bin/env python3
"""Differential check of the RESP parser against a live redis-server 7.0.

Every stream (the protocol edge cases of test_resp.c plus random streams over
the protocol's alphabet) is sent to redis-server on loopback, on its own
connection, and given to resp_outcome. They must agree on how many requests
were complete, and on the ending: Redis still waiting (connection open) vs
AGAIN, or Redis's "-ERR Protocol error: ..." followed by a close vs ERR with
the same text. Streams stay far below the 64 KiB limits, whose verdicts
depend on read timing in Redis.

Second part, the writer's number formatting: random doubles are stored with
ZADD and read back with ZSCORE (addReplyDouble, RESP2 and RESP3), random
decimals with SET + INCRBYFLOAT key 0 (ld2string human mode); the replies must
be byte-identical to what resp_format prints for the same text.

Usage: redis_diff.py <resp_outcome> <resp_format> [redis-server]
(exit 77 = skipped)
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


def outcome_of(buf, closed):
    try:
        replies = split_replies(buf)
    except ValueError:
        return None  # a reply is still arriving
    if closed and replies and replies[-1].startswith(b'-ERR Protocol error'):
        return len(replies) - 1, 'ERR ' + replies[-1][5:-2].decode('latin-1')
    if closed:
        return len(replies), 'CLOSED-WITHOUT-PROTOCOL-ERROR'
    return len(replies), 'AGAIN'


def redis_outcomes(port, cases, expected):
    """Redis's outcome per stream. Instead of a fixed sleep (flaky on a busy
    host), wait until each connection reaches the expected outcome or a
    deadline passes, then give Redis a grace period to prove a stream that
    should wait wrong."""
    conns = []
    for data, auth in cases:
        s = socket.create_connection(('127.0.0.1', port))
        if auth:
            s.sendall(b'AUTH ' + PASSWORD + b'\r\n')
            assert s.recv(5) == b'+OK\r\n'
        s.sendall(data)
        s.setblocking(False)
        conns.append([s, b'', False])

    def poll(c):
        while not c[2]:
            try:
                d = c[0].recv(1 << 16)
            except BlockingIOError:
                return
            if not d:
                c[2] = True
            c[1] += d

    deadline = time.time() + 20
    while time.time() < deadline:
        for c in conns:
            poll(c)
        if all(outcome_of(c[1], c[2]) == want for c, want in zip(conns, expected)):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    results = []
    for c in conns:
        poll(c)
        c[0].close()
        results.append(outcome_of(c[1], c[2]))
    return results


def read_replies(s, count):
    buf = b''
    while True:
        try:
            reps = split_replies(buf)
            if len(reps) >= count:
                return reps
        except ValueError:
            pass
        d = s.recv(1 << 16)
        if not d:
            raise RuntimeError('connection closed')
        buf += d


def number_texts(rng):
    fixed = ['0', '-0', '1', '-1', '0.1', '10.5', '3.0e3', '1e20', '-1e-20', '1.25',
             '123456789', '0.30000000000000004', '1e300', '-2.5e-300', '9007199254740993']
    out = list(fixed)
    for _ in range(150):
        r = rng.random()
        if r < 0.3:
            out.append(repr(rng.uniform(-1e6, 1e6)))
        elif r < 0.6:
            out.append('%de%d' % (rng.randrange(1, 10 ** rng.randrange(1, 18)),
                                  rng.randrange(-250, 250)))
        elif r < 0.8:
            out.append('%d.%0*d' % (rng.randrange(0, 100000), rng.randrange(1, 12),
                                    rng.randrange(0, 10 ** 6)))
        else:
            out.append(repr(rng.random() * 10 ** rng.randrange(-20, 20)))
    return out


def number_checks(port, fmt_helper, rng):
    texts = number_texts(rng)
    # A zset stores an integral score as an integer (double2ll), so ZSCORE of
    # -0 answers 0: a storage rule, not addReplyDouble's; leave -0 out there.
    doubles = [t for t in texts if t != '-0'] + ['inf', '-inf']
    # Redis side
    a = socket.create_connection(('127.0.0.1', port), timeout=30)
    a.sendall(b'AUTH ' + PASSWORD + b'\r\n')
    cmds = []
    for i, t in enumerate(doubles):
        cmds.append('ZADD zdiff %s m%d\r\nZSCORE zdiff m%d\r\n' % (t, i, i))
    for i, t in enumerate(texts):
        cmds.append('SET fdiff%d %s\r\nINCRBYFLOAT fdiff%d 0\r\n' % (i, t, i))
    a.sendall(''.join(cmds).encode())
    reps = read_replies(a, 1 + 2 * len(doubles) + 2 * len(texts))[1:]
    theirs = {}
    for i, t in enumerate(doubles):
        theirs[('D', 2, t)] = reps[2 * i + 1]
    base = 2 * len(doubles)
    for i, t in enumerate(texts):
        theirs[('L', 2, t)] = reps[base + 2 * i + 1]
    b = socket.create_connection(('127.0.0.1', port), timeout=30)
    b.sendall(b'AUTH ' + PASSWORD + b'\r\nHELLO 3\r\n' +
              ''.join('ZSCORE zdiff m%d\r\n' % i for i in range(len(doubles))).encode() +
              ''.join('INCRBYFLOAT fdiff%d 0\r\n' % i for i in range(len(texts))).encode())
    reps = read_replies(b, 2 + len(doubles) + len(texts))[2:]
    for i, t in enumerate(doubles):
        theirs[('D', 3, t)] = reps[i]
    for i, t in enumerate(texts):
        theirs[('L', 3, t)] = reps[len(doubles) + i]
    a.close()
    b.close()
    # our side
    keys = list(theirs)
    inp = ''.join('%s %d %s\n' % k for k in keys).encode()
    r = subprocess.run([fmt_helper], input=inp, capture_output=True, check=True)
    got = [bytes.fromhex(x) for x in r.stdout.decode().split()]
    bad = 0
    for k, g in zip(keys, got):
        if theirs[k] != g:
            bad += 1
            print('MISMATCH %s: redis %r, sluice %r' % (k, theirs[k], g))
    if len(got) != len(keys):
        print('resp_format printed %d lines for %d inputs' % (len(got), len(keys)))
        bad += 1
    print('%d number replies, %d mismatches' % (len(keys), bad))
    return bad


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
    helper, fmt_helper = sys.argv[1], sys.argv[2]
    server = sys.argv[3] if len(sys.argv) > 3 else 'redis-server'
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
        for _ in range(400):
            try:
                socket.create_connection(('127.0.0.1', port)).close()
                break
            except OSError:
                time.sleep(0.05)
        mine = [ours(helper, data, auth) for data, auth in cases]
        theirs = redis_outcomes(port, cases, mine)
        bad_numbers = number_checks(port, fmt_helper, rng)
    finally:
        proc.terminate()
        proc.wait()
    bad = 0
    for (data, auth), want, got in zip(cases, theirs, mine):
        if got != want:
            bad += 1
            print('MISMATCH %r %s: redis %s, sluice %s' %
                  (data, 'auth' if auth else 'noauth', want, got))
    print('%d streams, %d mismatches' % (len(cases), bad))
    return 1 if bad or bad_numbers else 0


if __name__ == '__main__':
    sys.exit(main())
