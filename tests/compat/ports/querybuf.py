"""Ports of Redis 7.0.15's query-buffer tests: tests/unit/querybuf.tcl, the
client-query-buffer-limit checks of tests/unit/introspection.tcl (CONFIG SET
of it), the limit's enforcement in networking.c readQueryFromClient (a
client whose query buffer passes client-query-buffer-limit is closed with
no reply), and tests/unit/auth.tcl's limits for unauthenticated clients.

What qbuf means. Redis's qbuf is the length of its query buffer: bytes read
and not yet parsed. For a bulk argument of 32 KiB or more (PROTO_MBULK_BIG_ARG)
Redis keeps the whole argument in the query buffer until it is complete, so
while such a request is pending qbuf is the bytes of that argument received
so far. sluice's qbuf is the bytes of the pending request counted from its
first byte, so it adds the request's header (here under 64 bytes). Both drop
to 0 once the request has run. Redis's querybuf.tcl tests are about how its
buffer allocation (qbuf + qbuf-free) shrinks after 2 s idle or after a peak;
sluice has no growable per-client query buffer (qbuf-free is always 0, the
parser keeps only the pending request), so those are ported as: qbuf shows
a pending big request's bytes, and drops back to 0 after it runs.

The limit. Redis checks the query buffer's length after every read, so one
bulk argument bigger than the limit closes the client; sluice checks the
pending request from its first byte. The ports use the case where both
agree (one argument over the limit; a request under it), and one port
checks where they differ: a request made of arguments each under the limit
whose sum passes it (Redis moves complete arguments out of its buffer and
serves it; sluice closes the client), a known gap of sluice (run.py).
"""

from portlib import Conn, client_by_name, drain_until_closed, port, wait_for

UNIT = "querybuf"
MB = 1 << 20
DEFAULT_QBL = b"1073741824"  # Redis's default client-query-buffer-limit, 1gb
PASSWORD = "ports-secret"


def partial_set(key, total, sent):
    """The first bytes of SET key <total bytes>: header and `sent` bytes."""
    return b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n" % (len(key), key, total) + b"A" * sent


@port(UNIT, "CONFIG SET client-query-buffer-limit")
def config_set(ctx):
    r = Conn(ctx)
    old = r.call("CONFIG", "GET", "client-query-buffer-limit")
    assert old == [b"client-query-buffer-limit", DEFAULT_QBL], old
    r.ok("CONFIG", "SET", "client-query-buffer-limit", "1mb")
    assert r.call("CONFIG", "GET", "client-query-buffer-limit")[1] == b"1048576"
    r.ok("CONFIG", "SET", "client-query-buffer-limit", "2097152")
    assert r.call("CONFIG", "GET", "client-query-buffer-limit")[1] == b"2097152"
    # Redis's memory config: 1mb .. LONG_MAX, units b k kb m mb g gb.
    e = r.call("CONFIG", "SET", "client-query-buffer-limit", "1000")
    assert str(e) == ("ERR CONFIG SET failed (possibly related to argument "
                      "'client-query-buffer-limit') - argument must be between 1048576 and "
                      "9223372036854775807 inclusive"), e
    e = r.call("CONFIG", "SET", "client-query-buffer-limit", "invalid")
    assert str(e) == ("ERR CONFIG SET failed (possibly related to argument "
                      "'client-query-buffer-limit') - argument must be a memory value"), e
    assert r.call("CONFIG", "GET", "client-query-buffer-limit")[1] == b"2097152", \
        "a refused CONFIG SET must leave the value as it was"
    r.ok("CONFIG", "SET", "client-query-buffer-limit", old[1])
    r.close()


@port(UNIT, "client-query-buffer-limit closes a client whose request exceeds it")
def limit_closes(ctx):
    r = Conn(ctx)
    r.ok("CONFIG", "SET", "client-query-buffer-limit", "1mb")
    try:
        rd = Conn(ctx, name="bigquery")
        # One 2 MiB argument, sent in pieces; the server closes the client
        # once its query buffer passes 1 MiB, so later sends may fail.
        req = partial_set(b"qbk", 2 * MB, 2 * MB) + b"\r\n"
        try:
            for i in range(0, len(req), 64 * 1024):
                rd.sock.sendall(req[i:i + 64 * 1024])
        except (BrokenPipeError, ConnectionResetError):
            pass
        got, closed = drain_until_closed(rd.sock, 10)
        assert closed, "a client over client-query-buffer-limit was not closed"
        assert got == b"", "a client over client-query-buffer-limit got a reply: %r" % got[:60]
        assert wait_for(lambda: client_by_name(r, "bigquery") is None, 3), "bigquery still listed"
        assert r.call("EXISTS", "qbk") == 0, "the request over the limit must not run"
        assert r.call("PING") == b"PONG", "other clients are served"
    finally:
        r.ok("CONFIG", "SET", "client-query-buffer-limit", DEFAULT_QBL)
    r.close()


@port(UNIT, "a big request under client-query-buffer-limit is served")
def under_limit(ctx):
    r = Conn(ctx)
    r.ok("CONFIG", "SET", "client-query-buffer-limit", "1mb")
    try:
        rd = Conn(ctx)
        value = b"v" * (900 * 1024)
        rd.ok("SET", "qbk", value)
        assert rd.call("GET", "qbk") == value
        # Many such requests in a row: the limit is per request, not per
        # connection.
        for i in range(4):
            rd.send("SET", "qbk%d" % i, value)
        for i in range(4):
            assert rd.read() == b"OK"
        assert r.call("STRLEN", "qbk3") == len(value)
        rd.close()
    finally:
        r.ok("CONFIG", "SET", "client-query-buffer-limit", DEFAULT_QBL)
    r.ok("FLUSHALL")
    r.close()


@port(UNIT, "client-query-buffer-limit bounds the query buffer, not the whole request")
def limit_is_per_buffer(ctx):
    # Redis moves each complete argument out of its query buffer, so a
    # request whose arguments are each under the limit is served even when
    # together they pass it.
    r = Conn(ctx)
    r.ok("CONFIG", "SET", "client-query-buffer-limit", "1mb")
    try:
        rd = Conn(ctx)
        a, b = b"a" * 600000, b"b" * 600000
        rd.ok("MSET", "qa", a, "qb", b)
        assert r.call("STRLEN", "qa") == len(a) and r.call("STRLEN", "qb") == len(b)
        rd.close()
    finally:
        r.ok("CONFIG", "SET", "client-query-buffer-limit", DEFAULT_QBL)
    r.ok("FLUSHALL")
    r.close()


@port(UNIT, "CLIENT LIST qbuf shows a pending request's bytes and drops back after")
def qbuf_pending(ctx):
    r = Conn(ctx)
    rd = Conn(ctx, name="test_client")
    total, sent = 100000, 50000
    rd.sock.sendall(partial_set(b"qbk", total, sent))

    def pending():
        c = client_by_name(r, "test_client")
        return c if c is not None and int(c["qbuf"]) >= sent else None

    c = wait_for(pending, 5)
    assert c, "qbuf never reached the %d bytes sent: %r" % (sent, client_by_name(r, "test_client"))
    qbuf = int(c["qbuf"])
    # Redis: exactly the argument's bytes so far; sluice: plus the header.
    assert sent <= qbuf <= sent + 64, "qbuf %d for %d pending bytes" % (qbuf, sent)
    rd.sock.sendall(b"A" * (total - sent) + b"\r\n")
    assert rd.read() == b"OK"
    c = client_by_name(r, "test_client")
    assert c is not None and c["qbuf"] == "0", "qbuf after the request ran: %r" % c
    assert r.call("STRLEN", "qbk") == total
    r.ok("FLUSHALL")
    rd.close()
    r.close()


def set_password(r):
    r.ok("CONFIG", "SET", "requirepass", PASSWORD)
    r.ok("AUTH", PASSWORD)


def clear_password(r):
    r.ok("CONFIG", "SET", "requirepass", "")


def protocol_error(ctx, raw, text):
    """An unauthenticated client sends raw; it must get text and be closed."""
    c = Conn(ctx, timeout=5)
    c.sock.sendall(raw)
    got, closed = drain_until_closed(c.sock, 5)
    c.close()
    assert got == b"-" + text + b"\r\n", "read %r" % got[:80]
    assert closed, "not closed after %r" % text


@port(UNIT, "For unauthenticated clients multibulk and bulk length are limited")
def unauth_lengths(ctx):
    r = Conn(ctx)
    set_password(r)
    try:
        protocol_error(ctx, b"*100\r\n", b"ERR Protocol error: unauthenticated multibulk length")
        protocol_error(ctx, b"*1\r\n$100000000\r\n", b"ERR Protocol error: unauthenticated bulk length")
        # The limits' edges (networking.c: ll > 10, ll > 16384): at the edge
        # the request is parsed and answered NOAUTH, and the client stays.
        protocol_error(ctx, b"*11\r\n", b"ERR Protocol error: unauthenticated multibulk length")
        protocol_error(ctx, b"*2\r\n$4\r\nECHO\r\n$16385\r\n",
                       b"ERR Protocol error: unauthenticated bulk length")
        c = Conn(ctx, timeout=5)
        e = c.call("MGET", *["k%d" % i for i in range(9)])  # *10
        assert str(e) == "NOAUTH Authentication required.", e
        e = c.call("ECHO", b"e" * 16384)
        assert str(e) == "NOAUTH Authentication required.", e
        # After AUTH the ordinary limits apply.
        c.ok("AUTH", PASSWORD)
        c.ok("MSET", *["k%d" % i for i in range(100)])
        assert c.call("ECHO", b"e" * 100000) == b"e" * 100000
        c.close()
    finally:
        clear_password(r)
    r.ok("FLUSHALL")
    r.close()


@port(UNIT, "For unauthenticated clients output buffer is limited")
def unauth_output(ctx):
    r = Conn(ctx)
    set_password(r)
    try:
        c = Conn(ctx, timeout=5, rcvbuf=4096)
        e = c.call("SET", "x", "5")
        assert str(e) == "NOAUTH Authentication required.", e
        # Fill the output without reading; the server must close the client
        # long before a million replies (Redis: > 1024 bytes of output
        # pending for a client that must authenticate).
        req = b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n5\r\n"
        chunk = req * 10000
        sent = 0  # bytes the kernel took
        c.sock.settimeout(10)
        try:
            while sent < 100 * len(chunk):
                sent += c.sock.send(chunk)
        except OSError:  # reset, broken pipe, or 10 s without room
            pass
        got, closed = drain_until_closed(c.sock, 10)
        assert closed, "an unauthenticated client that does not read was never closed"
        nreq = sent // len(req)
        noauth = len(b"-NOAUTH Authentication required.\r\n")
        assert len(got) < noauth * nreq, "all %d replies arrived" % nreq
        print("# unauthenticated client closed after %d requests sent, %d reply bytes read" %
              (nreq, len(got)))
    finally:
        clear_password(r)
    r.close()

