#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_tcp (record format: see fuzz_tcp.c)."""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08


def frame(fl, seq=0, ack=0, sport=40000, dport=6379, wnd=65535, opts=b'', data=b''):
    while len(opts) % 4:
        opts += b'\x00'
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, (5 + len(opts) // 4) << 4, fl,
                      wnd, 0, 0) + opts + data
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                     bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1]))
    eth = b'\x02\x00\x00\x00\x00\x01' + b'\x02\x00\x00\x00\x00\x02' + b'\x08\x00'
    return eth + ip + tcp


def rec(op, payload):
    return bytes([op]) + struct.pack('<H', len(payload)) + payload


def ts(val, ecr):
    return b'\x01\x01\x08\x0a' + struct.pack('!II', val, ecr)


SYN_OPTS = b'\x02\x04\x05\xb4' + b'\x01\x03\x03\x07' + b'\x04\x02' + b'\x08\x0a' + \
    struct.pack('!II', 100, 0)


def time(us):
    return rec(2, struct.pack('<I', us))


seeds = {
    'handshake_data_close': rec(0, frame(SYN, 1000, opts=SYN_OPTS)) +
    rec(1, frame(ACK, opts=ts(101, 0))) +
    rec(1, frame(ACK | PSH, opts=ts(102, 0), data=b'*1\r\n$4\r\nPING\r\n')) +
    rec(3, b'\x00' * 64) + time(300000) +
    rec(1, frame(ACK | FIN, opts=ts(103, 0))) + rec(4, b'\x00\x02'),
    'plain_handshake_rst': rec(0, frame(SYN, 5, opts=b'\x02\x04\x02\x18')) +
    rec(1, frame(ACK)) + rec(1, frame(RST)) + time(1000000),
    'syn_flood_cookie': b''.join(rec(0, frame(SYN, 77 + i, sport=1000 + i, opts=SYN_OPTS))
                                 for i in range(4)) + rec(1, frame(ACK, 78, sport=1003)),
    'active_open': rec(5, b'\x10\x27') + rec(1, frame(SYN | ACK, 9000, sport=80, dport=10000,
                                                     opts=SYN_OPTS)) +
    rec(3, b'\x00' * 200) + time(2000000) + rec(1, frame(ACK, sport=80, dport=10000)),
    'ooo_sack': rec(0, frame(SYN, 1, opts=b'\x02\x04\x05\xb4\x04\x02')) +
    rec(1, frame(ACK)) + rec(0, frame(ACK, 500, data=b'x' * 100)) +
    rec(0, frame(ACK, 300, data=b'y' * 100)) + rec(0, frame(ACK, 2, data=b'z' * 400)),
    'bad_options': rec(0, frame(SYN, 1, opts=b'\x02\x00\x00\x00')) +
    rec(0, frame(SYN, 1, opts=b'\x08\x0c' + b'\x00' * 6)) + rec(0, frame(FIN | PSH, 1)),
    'closed_port_and_icmp': rec(0, frame(SYN, 1, dport=81)) + rec(0, frame(SYN, 1)) +
    rec(6, bytes([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]) +
        struct.pack('!HHI', 6379, 40000, 0) + b'\x00\x00\x00\x04'),
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)
sys.exit(0)
