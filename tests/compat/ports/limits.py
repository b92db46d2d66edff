"""Port of Redis 7.0.15 tests/unit/limits.tcl (maxclients).

Redis's test starts a server with maxclients 10 (external:skip) and opens
connections until one fails with "ERR max*reached"; its own client is one
of the ten, so it accepts 9 or 10. Here the server is started with
maxclients MAXCLIENTS (profile "maxclients") and no other client is open,
so exactly MAXCLIENTS connections are served; the next one gets the error
line and is closed (Redis acceptCommonHandler writes it and frees the
client), rejected_connections counts it, and closing one connection lets a
new one in.

CONFIG SET maxclients: Redis changes it live. sluice takes maxclients at
start only (the kernel transport and the dataplane size their connection
tables from it): CONFIG SET answers Redis's error for an option it does not
know and CONFIG GET matches nothing. The port checks whichever of the two
the server does, and the live change when the server offers it.
"""

import time

from portlib import MAXCLIENTS, Conn, ReplyError, drain_until_closed, info_field, port, wait_for

UNIT = "limits"
MAX_ERR = b"-ERR max number of clients reached\r\n"


def refused(ctx):
    """Opens one connection that must be refused: the error line, then EOF."""
    c = Conn(ctx, timeout=5)
    got, closed = drain_until_closed(c.sock, 5)
    c.close()
    assert got == MAX_ERR, "connection over maxclients read %r" % got
    assert closed, "connection over maxclients was not closed"


def ping(c):
    return c.call("PING") == b"PONG"


@port(UNIT, "Check if maxclients works refusing connections", "maxclients")
def maxclients_start(ctx):
    held = []
    # Redis's loop: connect, PING, read, until a connection fails.
    for i in range(MAXCLIENTS):
        c = Conn(ctx, timeout=5)
        assert ping(c), "connection %d of %d not served" % (i + 1, MAXCLIENTS)
        held.append(c)
    refused(ctx)
    refused(ctx)
    assert all(ping(c) for c in held), "held connections must keep being served"
    held.pop().close()

    # The server notices the close asynchronously: poll with fresh connections.
    def admitted():
        c = Conn(ctx, timeout=5)
        try:
            if ping(c):
                return c
        except (EOFError, ConnectionError, AssertionError):
            pass
        c.close()
        return None

    c = wait_for(admitted, 3, 0.1)
    assert c, "a new connection must be served once one closed"
    held.append(c)
    refused(ctx)
    for c in held:
        c.close()


@port(UNIT, "CONFIG SET maxclients")
def maxclients_config_set(ctx):
    r = Conn(ctx)
    got = r.call("CONFIG", "GET", "maxclients")
    if got == []:
        # A server that takes maxclients at start only: Redis's reply for an
        # option CONFIG does not know.
        e = r.call("CONFIG", "SET", "maxclients", "5")
        assert isinstance(e, ReplyError), e
        assert str(e) == "ERR Unknown option or number of arguments for CONFIG SET - 'maxclients'", str(e)
        print("# CONFIG SET maxclients: not settable live (start option); answered %r" % str(e))
        r.close()
        return
    old = got[1]
    # Live: room for this client and exactly one more.
    n = len(r.call("CLIENT", "LIST").splitlines())
    r.ok("CONFIG", "SET", "maxclients", str(n + 1))
    assert r.call("CONFIG", "GET", "maxclients") == [b"maxclients", b"%d" % (n + 1)]
    extra = Conn(ctx, timeout=5)
    assert ping(extra)
    refused(ctx)
    extra.close()
    time.sleep(0.2)
    r.ok("CONFIG", "SET", "maxclients", old)
    r.close()


@port(UNIT, "INFO rejected_connections counts the connections refused by maxclients", "maxclients")
def maxclients_counted(ctx):
    held = [Conn(ctx, timeout=5) for _ in range(MAXCLIENTS)]
    assert all(ping(c) for c in held)
    before = int(info_field(held[0], "stats", "rejected_connections"))
    refused(ctx)
    refused(ctx)
    after = int(info_field(held[0], "stats", "rejected_connections"))
    assert after == before + 2, "rejected_connections %d -> %d for 2 refusals" % (before, after)
    for c in held:
        c.close()
