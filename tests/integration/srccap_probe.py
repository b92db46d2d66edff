#!/usr/bin/env python3
"""Per-source connection caps seen from clients, on any port
(tests/integration/test_kernel_limits.sh).

usage: srccap_probe.py HOST PORT SRC:N [SRC:N ...]

For each SRC:N in order, opens N connections from address SRC one after
another, each sending PING (unless refused at once), and holds those that were served until every
group is done (so a later group sees the earlier ones still open). Prints
one line per group: "SRC served=<+PONG> rejected=<Redis's max clients
error, then closed> other=<anything else>". Exits 0 once all are printed.
"""
import socket
import sys

MAXCLIENTS = b"-ERR max number of clients reached\r\n"


def reply(s):
    buf = b""
    while not buf.endswith(b"\r\n"):
        d = s.recv(4096)
        if not d:
            break
        buf += d
    return buf


def closed_after(s):
    """True if the server closes s after its error line."""
    try:
        return s.recv(4096) == b""
    except ConnectionResetError:
        return True
    except OSError:
        return False


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    held = []
    for group in sys.argv[3:]:
        src, n = group.rsplit(":", 1)
        counts = {"served": 0, "rejected": 0, "other": 0}
        for _ in range(int(n)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(5)
            try:
                s.bind((src, 0))
                s.connect((host, port))
                # A refusal comes unasked at once; PING only when none came,
                # so the server's close never meets unread input (a reset).
                s.settimeout(0.3)
                try:
                    first = s.recv(4096)
                except socket.timeout:
                    first = None
                s.settimeout(5)
                if first is None:
                    s.sendall(b"PING\r\n")
                    r = reply(s)
                else:
                    r = first if first.endswith(b"\r\n") or not first else first + reply(s)
            except OSError:
                r = b""
            if r == b"+PONG\r\n":
                counts["served"] += 1
                held.append(s)
            elif r == MAXCLIENTS and closed_after(s):
                counts["rejected"] += 1
                s.close()
            else:
                counts["other"] += 1
                s.close()
        print("%s served=%d rejected=%d other=%d" %
              (src, counts["served"], counts["rejected"], counts["other"]), flush=True)
    for s in held:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
