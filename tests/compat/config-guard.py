#!/usr/bin/env python3
"""Saves and restores server settings around the units of Redis's suite.

Some tests of Redis's suite change a setting with CONFIG SET and do not put
it back (harmless when every unit gets a fresh server, wrong in external
mode where units share one server: e.g. unit/type/hash leaves
hash-max-listpack-entries at 2 and unit/scan then sees a hashtable where it
expects a listpack). redis-suite.sh saves the settings the selected units
touch before the first unit and restores them before each later one.

  config-guard.py save HOST PORT FILE PARAM...   CONFIG GET each PARAM into FILE
  config-guard.py restore HOST PORT FILE         CONFIG SET each saved PARAM

A parameter the server does not know (CONFIG GET gives an empty reply or an
error) is left out and named on stderr. Exit status: 0 on success, 1 when the
server cannot be reached or a CONFIG SET of a saved value fails.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import resp  # noqa: E402


def config_get(sock, reader, name):
    raw = resp.call(sock, reader, [b"CONFIG", b"GET", name.encode()])
    node, _ = resp.parse(raw)
    if node[0] not in "*%" or not node[1]:
        return None
    items = node[1]
    for k, v in zip(items[0::2], items[1::2]):
        if k[1] == name.encode() and v[0] in "$+":
            return v[1].decode("latin-1")
    return None


def main(argv):
    if len(argv) < 5 or argv[1] not in ("save", "restore"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, host, port, path = argv[1], argv[2], int(argv[3]), argv[4]
    try:
        sock = resp.connect(host, port, 10)
    except OSError as e:
        print("config-guard: cannot connect to %s:%d: %s" % (host, port, e), file=sys.stderr)
        return 1
    reader = resp.Reader(sock)
    if mode == "save":
        saved = {}
        for name in argv[5:]:
            value = config_get(sock, reader, name)
            if value is None:
                print("config-guard: %s: not known to the server, not guarded" % name, file=sys.stderr)
            else:
                saved[name] = value
        with open(path, "w") as f:
            json.dump(saved, f, indent=1, sort_keys=True)
        return 0
    with open(path) as f:
        saved = json.load(f)
    status = 0
    for name, value in sorted(saved.items()):
        raw = resp.call(sock, reader, [b"CONFIG", b"SET", name.encode(), value.encode("latin-1")])
        if raw != b"+OK\r\n":
            print("config-guard: CONFIG SET %s %r: %r" % (name, value, raw), file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
