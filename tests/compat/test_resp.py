#!/usr/bin/env python3
"""Table-driven tests of resp.py (the reply reader diff.py relies on).

Every case is a reply written out by hand from the RESP2/RESP3 specification
(https://github.com/redis/redis-specifications, protocol/RESP3.md) and the
tree parse() must give for it. For each case the reader must return exactly
the reply's bytes when they arrive in one piece, one byte at a time, and split
at every position; parse() must give the expected tree and encode() the
original bytes. Malformed replies must raise ProtocolError.

  python3 tests/compat/test_resp.py     exit status 0 when every case passes
"""

import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import resp  # noqa: E402

CASES = [
    (b"+OK\r\n", ("+", b"OK")),
    (b"-ERR unknown command 'x'\r\n", ("-", b"ERR unknown command 'x'")),
    (b":0\r\n", (":", b"0")),
    (b":-9223372036854775808\r\n", (":", b"-9223372036854775808")),
    (b"$0\r\n\r\n", ("$", b"")),
    (b"$-1\r\n", ("$", None)),
    (b"$4\r\na\r\nb\r\n", ("$", b"a\r\nb")),
    (b"*-1\r\n", ("*", None)),
    (b"*0\r\n", ("*", [])),
    (b"*2\r\n$1\r\na\r\n:1\r\n", ("*", [("$", b"a"), (":", b"1")])),
    (b"*2\r\n*1\r\n+x\r\n*0\r\n", ("*", [("*", [("+", b"x")]), ("*", [])])),
    (b"_\r\n", ("_", b"")),
    (b",1.5\r\n", (",", b"1.5")),
    (b",inf\r\n", (",", b"inf")),
    (b"#t\r\n", ("#", b"t")),
    (b"(3492890328409238509324850943850943825024385\r\n",
     ("(", b"3492890328409238509324850943850943825024385")),
    (b"!21\r\nSYNTAX invalid syntax\r\n", ("!", b"SYNTAX invalid syntax")),
    (b"=15\r\ntxt:Some string\r\n", ("=", b"txt:Some string")),
    (b"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
     ("%", [("+", b"first"), (":", b"1"), ("+", b"second"), (":", b"2")])),
    (b"%0\r\n", ("%", [])),
    (b"~2\r\n+a\r\n+b\r\n", ("~", [("+", b"a"), ("+", b"b")])),
    (b">2\r\n+message\r\n$2\r\nhi\r\n", (">", [("+", b"message"), ("$", b"hi")])),
    (b"|1\r\n+ttl\r\n:3600\r\n*1\r\n:2\r\n",
     ("|", [("+", b"ttl"), (":", b"3600")], ("*", [(":", b"2")]))),
]

MALFORMED = [
    b"?what\r\n",        # unknown type byte
    b"$abc\r\n",         # length not a number
    b"$3\r\nabcde\r\n",  # blob longer than its length
    b"*-2\r\n",          # negative aggregate length other than -1
    b"$-2\r\n",
    b"%-1\r\n",
    b"\r\n",             # empty line
]


def reader_over(chunks):
    """A Reader whose peer sends chunks one send() at a time."""
    a, b = socket.socketpair()
    b.settimeout(5)

    def feed():
        for c in chunks:
            a.sendall(c)
        a.close()

    t = threading.Thread(target=feed)
    t.start()
    return resp.Reader(b), t, b


def read_all(chunks, n):
    r, t, s = reader_over(chunks)
    try:
        return [r.read_reply() for _ in range(n)]
    finally:
        t.join()
        s.close()


def main():
    failures = 0
    checks = 0

    def expect(cond, what):
        nonlocal failures, checks
        checks += 1
        if not cond:
            failures += 1
            print("FAIL: %s" % what)

    for raw, tree in CASES:
        expect(resp.parse(raw) == (tree, len(raw)), "parse %r" % raw)
        expect(resp.encode(tree) == raw, "encode %r" % raw)
        expect(read_all([raw], 1) == [raw], "whole %r" % raw)
        expect(read_all([raw[i:i + 1] for i in range(len(raw))], 1) == [raw], "bytewise %r" % raw)
        for cut in range(1, len(raw)):
            got = read_all([raw[:cut], raw[cut:]], 1)
            expect(got == [raw], "split at %d %r: %r" % (cut, raw, got))
    stream = b"".join(raw for raw, _ in CASES)
    expect(read_all([stream], len(CASES)) == [raw for raw, _ in CASES], "all replies in one stream")
    for raw in MALFORMED:
        try:
            read_all([raw + b"+OK\r\n"], 1)
            expect(False, "malformed %r accepted" % raw)
        except resp.ProtocolError:
            expect(True, "")
    try:
        read_all([b"$5\r\nab"], 1)
        expect(False, "EOF inside a reply not reported")
    except EOFError:
        expect(True, "")
    expect(resp.command([b"SET", "k", b""]) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", "command()")
    print("test_resp: %d checks, %d failed" % (checks, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
