"""RESP2/RESP3 helpers for the compatibility harnesses (standard library only).

Reader pulls complete replies off a socket and returns each reply's exact
bytes, so that two servers can be compared byte for byte. parse() turns those
bytes into a small tree (type byte, payload) for the few comparisons that
need structure, and encode() writes a tree back to bytes (used by the
corrupting proxy of the self-test).

Tree nodes: (t, v) where t is the RESP type byte as a one-character str.
  scalars  '+' '-' ':' ',' '#' '(' '_'   v = bytes of the line after the type
  blobs    '$' '!' '='                    v = bytes, or None for '$-1'
  arrays   '*' '~' '>'                    v = list of nodes, or None for '*-1'
  maps     '%' '|'                        v = list of nodes (key, value, ...)
An attribute ('|') is returned as its own node followed by the reply it
annotates: parse() gives ('|', [...], reply) in that case.
"""

import socket

SCALARS = "+-:,#(_"
BLOBS = "$!="
ARRAYS = "*~>"
MAPS = "%|"


class ProtocolError(Exception):
    """The peer sent bytes that are not RESP."""


class Reader:
    """Buffered reply reader over a connected socket.

    read_reply() blocks (up to the socket's timeout; socket.timeout is
    raised past it) until one whole reply is buffered and returns its bytes.
    EOFError means the peer closed the connection.
    """

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0

    def _fill(self):
        data = self.sock.recv(262144)
        if not data:
            raise EOFError("connection closed by peer")
        self.buf += data

    def _line_end(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                return i
            self._fill()

    def _need(self, n):
        while len(self.buf) < self.pos + n:
            self._fill()

    def _skip_one(self):
        i = self._line_end()
        if i == self.pos:
            raise ProtocolError("empty reply line")
        t = chr(self.buf[self.pos])
        head = bytes(self.buf[self.pos + 1:i])
        self.pos = i + 2
        if t in SCALARS:
            return
        try:
            n = int(head)
        except ValueError:
            raise ProtocolError("bad length %r after %r" % (head, t)) from None
        if t in BLOBS:
            if n < 0:
                if t != "$" or n != -1:
                    raise ProtocolError("bad blob length %d" % n)
                return
            self._need(n + 2)
            if self.buf[self.pos + n:self.pos + n + 2] != b"\r\n":
                raise ProtocolError("blob not terminated by CRLF")
            self.pos += n + 2
        elif t in ARRAYS:
            if n < 0:
                if t != "*" or n != -1:
                    raise ProtocolError("bad array length %d" % n)
                return
            for _ in range(n):
                self._skip_one()
        elif t in MAPS:
            if n < 0:
                raise ProtocolError("bad map length %d" % n)
            for _ in range(2 * n):
                self._skip_one()
            if t == "|":
                self._skip_one()
        else:
            raise ProtocolError("unknown reply type %r" % t)

    def read_reply(self):
        """Returns the exact bytes of the next complete reply."""
        start = self.pos
        try:
            self._skip_one()
        except BaseException:
            self.pos = start
            raise
        raw = bytes(self.buf[start:self.pos])
        del self.buf[:self.pos]
        self.pos = 0
        return raw

    def pending(self):
        """Bytes received but not yet returned as a reply."""
        return bytes(self.buf[self.pos:])


def parse(raw, pos=0):
    """Parses one reply from raw[pos:]; returns (node, next_pos)."""
    i = raw.index(b"\r\n", pos)
    t = chr(raw[pos])
    head = raw[pos + 1:i]
    pos = i + 2
    if t in SCALARS:
        return (t, head), pos
    n = int(head)
    if t in BLOBS:
        if n < 0:
            return (t, None), pos
        return (t, raw[pos:pos + n]), pos + n + 2
    if n < 0:
        return (t, None), pos
    count = 2 * n if t in MAPS else n
    items = []
    for _ in range(count):
        node, pos = parse(raw, pos)
        items.append(node)
    if t == "|":
        reply, pos = parse(raw, pos)
        return (t, items, reply), pos
    return (t, items), pos


def encode(node):
    """Writes a tree from parse() back to RESP bytes."""
    t, v = node[0], node[1]
    tb = t.encode()
    if t in SCALARS:
        return tb + v + b"\r\n"
    if t in BLOBS:
        if v is None:
            return b"$-1\r\n"
        return tb + str(len(v)).encode() + b"\r\n" + v + b"\r\n"
    if v is None:
        return b"*-1\r\n"
    n = len(v) // 2 if t in MAPS else len(v)
    out = tb + str(n).encode() + b"\r\n" + b"".join(encode(x) for x in v)
    if t == "|":
        out += encode(node[2])
    return out


def command(args):
    """Encodes one command (a list of bytes/str) as a RESP multibulk."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def connect(host, port, timeout):
    """A TCP connection with TCP_NODELAY and the given I/O timeout."""
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def call(sock, reader, args):
    """Sends one command and returns its reply bytes."""
    sock.sendall(command(args))
    return reader.read_reply()
