#!/usr/bin/env python3
"""Prints N free TCP ports on 127.0.0.1, one per line: free-ports.py [N].

Ports are drawn at random from below the kernel's ephemeral range (read from
/proc/sys/net/ipv4/ip_local_port_range), so that a server started on one
cannot collide with the source port of some outgoing connection, and each is
checked by binding it. Exit status 1 when N ports cannot be found.
"""

import random
import socket
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    lo, hi = 20000, max(20001 + n, min(low, 32768))
    found = []
    for port in random.sample(range(lo, hi), min(hi - lo, 500)):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        found.append(port)
        if len(found) == n:
            print("\n".join(str(p) for p in found))
            return 0
    print("free-ports: no %d free ports in %d-%d" % (n, lo, hi), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
