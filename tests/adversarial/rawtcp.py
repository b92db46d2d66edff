"""Raw Ethernet/IPv4/TCP frames for the adversarial tests (issue 9).

Runs in the client namespace, on the kernel end of sluice's veth. Frames are
built with scapy and sent through an AF_PACKET socket, so the namespace's
kernel never sees them as its own traffic; sluice answers each frame to the
MAC it came from, so its replies to spoofed sources (inside 198.18.180.0/22,
addresses this namespace does not own) arrive here too, where the kernel drops
them (it does not own them and does not forward) and a reader thread
dispatches them to the connection that the script plays for that source.

Floods send templates built once with scapy whose addresses, ports and
sequence numbers are rewritten per frame (checksums recomputed), because
building every frame with scapy is too slow for a flood.
"""
import queue
import random
import socket
import struct
import threading
import time

from scapy.all import IP, TCP, Ether, Raw  # scapy builds every frame and template

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
# Every frame the script sends carries this TTL, so the reader can tell the
# kernel's own segments (TTL 64) from ours among the outgoing frames.
OUR_TTL = 77


def spoofed_addr(i):
    """The i-th spoofed source address in 198.18.180.0/22 (.1 to .254 of each /24)."""
    i %= 4 * 254
    return "198.18.%d.%d" % (180 + i // 254, 1 + i % 254)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Seg:
    """One TCP segment received from sluice (or sent by a kernel socket here)."""

    __slots__ = ("ttl", "src", "dst", "sport", "dport", "seq", "ack", "flags", "win", "opts", "payload")

    def __repr__(self):
        return "Seg(%s:%d>%s:%d seq=%d ack=%d fl=%#x win=%d len=%d)" % (
            self.src, self.sport, self.dst, self.dport, self.seq, self.ack, self.flags,
            self.win, len(self.payload))

    def mss(self):
        o = self.opts
        i = 0
        while i < len(o):
            if o[i] == 0:
                break
            if o[i] == 1:
                i += 1
                continue
            if i + 1 >= len(o) or o[i + 1] < 2:
                break
            if o[i] == 2 and o[i + 1] == 4:
                return struct.unpack_from("!H", o, i + 2)[0]
            i += o[i + 1]
        return None


def parse(frame):
    """Seg from an Ethernet frame, or None when it is not plain IPv4/TCP."""
    if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 15) * 4
    tot = struct.unpack_from("!H", frame, 16)[0]
    t = 14 + ihl
    if ihl < 20 or len(frame) < t + 20:
        return None
    g = Seg()
    g.ttl = frame[22]
    g.src = socket.inet_ntoa(frame[26:30])
    g.dst = socket.inet_ntoa(frame[30:34])
    g.sport, g.dport, g.seq, g.ack, off, g.flags, g.win = struct.unpack_from("!HHIIBBH", frame, t)
    doff = (off >> 4) * 4
    g.opts = bytes(frame[t + 20:t + doff])
    g.payload = bytes(frame[t + doff:14 + tot])
    return g


class Template:
    """A frame built once with scapy; fields rewritten per copy."""

    def __init__(self, pkt):
        self.b = bytearray(bytes(pkt))
        self.ihl = (self.b[14] & 15) * 4
        self.t = 14 + self.ihl

    def make(self, src=None, sport=None, seq=None, ack=None, win=None):
        b = self.b
        t = self.t
        if src is not None:
            b[26:30] = socket.inet_aton(src)
        if sport is not None:
            struct.pack_into("!H", b, t, sport)
        if seq is not None:
            struct.pack_into("!I", b, t + 4, seq & 0xFFFFFFFF)
        if ack is not None:
            struct.pack_into("!I", b, t + 8, ack & 0xFFFFFFFF)
        if win is not None:
            struct.pack_into("!H", b, t + 14, win)
        b[24:26] = b"\0\0"
        struct.pack_into("!H", b, 24, csum(bytes(b[14:t])))
        tot = struct.unpack_from("!H", b, 16)[0]
        seg = bytes(b[t:14 + tot])
        seg = seg[:16] + b"\0\0" + seg[18:]
        pseudo = bytes(b[26:34]) + struct.pack("!BBH", 0, 6, len(seg))
        struct.pack_into("!H", b, t + 16, csum(pseudo + seg))
        return bytes(b)


class Port:
    """The namespace's interface: sends frames, and a reader thread that hands
    each TCP segment from sluice to the handler registered for its
    destination (address, port), and each segment a kernel socket here sends
    to sluice to the handlers in `outgoing`."""

    def __init__(self, iface, sl_mac, sl_ip, sl_port):
        self.iface = iface
        with open("/sys/class/net/%s/address" % iface) as f:
            self.mac = f.read().strip()
        self.sl_mac, self.sl_ip, self.sl_port = sl_mac, sl_ip, sl_port
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.tx.bind((iface, 0))
        self.tx.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        self.rx.bind((iface, ETH_P_ALL))
        self.rx.settimeout(0.2)
        self.handlers = {}
        self.incoming = []  # callables(seg) for every segment from sluice
        self.outgoing = []  # callables(seg) for every segment sent to sluice here
        self.sent = 0
        self.from_sluice = 0
        self.stop = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def close(self):
        self.stop = True
        self.thread.join()

    def send(self, frame):
        while True:
            try:
                self.tx.send(frame)
                self.sent += 1
                return
            except BlockingIOError:
                time.sleep(0.001)
            except OSError as e:
                if e.errno != 105:  # ENOBUFS: the veth is busy; retry
                    raise
                time.sleep(0.001)

    def frame(self, src, sport, seq, ack=0, flags="A", win=65535, options=None, payload=b"",
              raw_opts=None, ip=None, tcp=None):
        """A frame from src:sport to sluice, built with scapy. raw_opts: option
        bytes placed verbatim (padded to 4 bytes), for options scapy would fix."""
        ipf = dict(src=src, dst=self.sl_ip, ttl=OUR_TTL)
        ipf.update(ip or {})
        tf = dict(sport=sport, dport=self.sl_port, seq=seq & 0xFFFFFFFF, ack=ack & 0xFFFFFFFF,
                  flags=flags, window=win)
        tf.update(tcp or {})
        if raw_opts is not None:
            raw_opts += b"\0" * (-len(raw_opts) % 4)
            seg = TCP(dataofs=5 + len(raw_opts) // 4, **tf) / Raw(raw_opts + payload)
        else:
            seg = TCP(options=options or [], **tf)
            if payload:
                seg = seg / Raw(payload)
        return bytes(Ether(src=self.mac, dst=self.sl_mac) / IP(**ipf) / seg)

    def _read(self):
        while not self.stop:
            try:
                data, addr = self.rx.recvfrom(65535)
            except socket.timeout:
                continue
            g = parse(data)
            if g is None:
                continue
            if addr[2] == PACKET_OUTGOING:
                if g.dst == self.sl_ip and g.ttl != OUR_TTL:
                    for f in self.outgoing:
                        f(g)
                continue
            if g.src != self.sl_ip or g.sport != self.sl_port:
                continue
            self.from_sluice += 1
            for f in self.incoming:
                f(g)
            h = self.handlers.get((g.dst, g.dport))
            if h is not None:
                h(g)


def seq_lt(a, b):
    return ((a - b) & 0xFFFFFFFF) > 0x7FFFFFFF


class RawConn:
    """A TCP connection the script plays itself from a spoofed source: enough
    of a receiver for short request/reply exchanges in order on a lossless
    veth (it ACKs in-order data and ignores the rest)."""

    def __init__(self, port, src, sport=None, win=65535, syn_options=None, ts=False):
        self.p = port
        self.src = src
        self.sport = sport or random.randint(20000, 60000)
        self.win = win
        self.syn_options = syn_options if syn_options is not None else [("MSS", 1460)]
        self.ts = ts
        self.tsval = random.randint(1 << 20, 1 << 30)
        self.ts_ecr = 0
        self.q = queue.Queue()
        self.iss = random.getrandbits(32)
        self.snd_nxt = self.iss
        self.rcv_nxt = None
        self.peer_seq_max = None
        self.peer_mss = None
        self.on_seg = None  # replaces the queue when set (called in the reader thread)
        self.rsts = 0
        port.handlers[(src, self.sport)] = self._in

    def _in(self, g):
        if g.flags & RST:
            self.rsts += 1
        if self.on_seg is not None:
            self.on_seg(self, g)
        else:
            self.q.put(g)

    def forget(self):
        self.p.handlers.pop((self.src, self.sport), None)

    def opts(self, extra=None):
        o = list(extra or [])
        if self.ts:
            self.tsval += 1
            o.append(("Timestamp", (self.tsval, self.ts_ecr)))
        return o

    def frame(self, seq=None, ack=None, flags="A", payload=b"", win=None, options=None,
              raw_opts=None, ip=None, tcp=None):
        return self.p.frame(self.src, self.sport, self.snd_nxt if seq is None else seq,
                            self.rcv_nxt if ack is None else ack, flags,
                            self.win if win is None else win,
                            self.opts(options) if raw_opts is None else None, payload,
                            raw_opts, ip, tcp)

    def wait(self, pred, timeout):
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            try:
                g = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if pred(g):
                return g

    def connect(self, timeout=3.0, ack_win=None):
        """Three-way handshake; returns the SYN-ACK segment or None."""
        o = list(self.syn_options)
        self.ts_ecr = 0
        if self.ts:
            o.append(("Timestamp", (self.tsval, 0)))
        for _ in range(3):
            self.p.send(self.p.frame(self.src, self.sport, self.iss, 0, "S", self.win, o))
            g = self.wait(lambda g: (g.flags & (SYN | ACK)) == (SYN | ACK) or g.flags & RST,
                          timeout / 3)
            if g is not None:
                break
        if g is None or g.flags & RST:
            return None
        self.snd_nxt = self.iss + 1
        self.rcv_nxt = (g.seq + 1) & 0xFFFFFFFF
        self.peer_seq_max = self.rcv_nxt
        self.peer_mss = g.mss()
        self.ts_ecr = tsval_of(g) or 0
        self.p.send(self.frame(win=ack_win))
        return g

    def send(self, payload, flags="PA", win=None):
        self.p.send(self.frame(flags=flags, payload=payload, win=win))
        self.snd_nxt = (self.snd_nxt + len(payload)) & 0xFFFFFFFF

    def recv(self, nbytes, timeout=3.0, on_data=None):
        """Collects nbytes of in-order data (ACKing it); returns what came."""
        got = b""
        end = time.time() + timeout
        while len(got) < nbytes:
            left = end - time.time()
            if left <= 0:
                break
            try:
                g = self.q.get(timeout=left)
            except queue.Empty:
                break
            if g.flags & RST:
                break
            if not g.payload:
                continue
            if on_data is not None:
                on_data(g)
            t = tsval_of(g)
            if t is not None:
                self.ts_ecr = t
            if g.seq == self.rcv_nxt:
                got += g.payload
                self.rcv_nxt = (self.rcv_nxt + len(g.payload)) & 0xFFFFFFFF
            self.p.send(self.frame())
        return got

    def request(self, payload, nbytes, timeout=3.0):
        self.send(payload)
        return self.recv(nbytes, timeout)

    def rst(self, seq=None):
        self.p.send(self.frame(seq=seq, flags="R", ack=0))


def tsval_of(g):
    o = g.opts
    i = 0
    while i < len(o):
        if o[i] == 0:
            break
        if o[i] == 1:
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            break
        if o[i] == 8 and o[i + 1] == 10:
            return struct.unpack_from("!I", o, i + 2)[0]
        i += o[i + 1]
    return None


class Pacer:
    """Paces a loop at `rate` iterations per second (0: as fast as it goes)."""

    def __init__(self, rate):
        self.rate = rate
        self.t0 = time.time()
        self.n = 0

    def tick(self):
        self.n += 1
        if self.rate > 0:
            ahead = self.n / self.rate - (time.time() - self.t0)
            if ahead > 0.002:
                time.sleep(ahead)
