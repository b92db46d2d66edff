#!/usr/bin/env python3
"""run.py: runs the ports of Redis 7.0.15's obuf-limits, limits and
query-buffer tests against one server.

    run.py --host H --port P --target redis|sluice-kernel|sluice-dpdk --profile PROFILE
           [--units U,...]
    run.py --options PROFILE     print the start options of PROFILE, one a line
    run.py --list                list the ports with their unit and profile

The server must have been started with the options of --profile (see
PROFILES in portlib.py; --options prints them as "name value" lines), and
nothing else may use it meanwhile: the ports FLUSHALL and change settings
with CONFIG SET (and set them back).

Output: "ok - unit: name", "not ok - unit: name: why" or "skip - unit: name:
why" per port, then "passed N, failed M, skipped K". --target only selects
the known-gap list (KNOWN_GAPS): ports that fail against sluice (over one
transport or both) because it lacks the behaviour, each with the reason;
they are reported as skipped there and still run against redis-server. Exit status 0 when
nothing failed, 1 otherwise, 2 on a usage error.
"""

import argparse
import os
import signal
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import portlib  # noqa: E402
import limits  # noqa: E402,F401  (registers its ports)
import obuf_limits  # noqa: E402,F401
import querybuf  # noqa: E402,F401

PORT_TIMEOUT = 90  # seconds per port, then it fails

# (unit, port name) -> why it is not run against sluice. Every entry is a
# behaviour Redis users rely on that sluice does not have yet; the report of
# issue 7 names the fix.
SLUICE = ("sluice-kernel", "sluice-dpdk")
KNOWN_GAPS = {
}


class PortTimeout(Exception):
    pass


def on_alarm(signum, frame):
    raise PortTimeout("no result after %d s" % PORT_TIMEOUT)


def main():
    ap = argparse.ArgumentParser(description="Ports of Redis's obuf-limits, limits and query-buffer tests")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--target", choices=["redis"] + list(SLUICE))
    ap.add_argument("--profile", choices=sorted(portlib.PROFILES))
    ap.add_argument("--units", default="", help="comma-separated units (default: all)")
    ap.add_argument("--options", metavar="PROFILE", choices=sorted(portlib.PROFILES))
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()

    if a.options:
        for name, value in portlib.PROFILES[a.options]:
            print("%s %s" % (name, value))
        return 0
    if a.list:
        for unit, name, profile, _ in portlib.PORTS:
            print("%-12s %-11s %s" % (unit, profile, name))
        return 0
    if a.port is None or a.target is None or a.profile is None:
        ap.error("--port, --target and --profile are required")
    if not (a.host.startswith("127.") or a.host.startswith("198.18.") or a.host.startswith("198.19.")):
        ap.error("only loopback or 198.18.0.0/15 servers (the ports FLUSHALL them)")
    units = set(u for u in a.units.split(",") if u)

    ctx = portlib.Ctx(a.host, a.port, a.target)
    passed = failed = skipped = 0
    signal.signal(signal.SIGALRM, on_alarm)
    for unit, name, profile, fn in portlib.PORTS:
        if profile != a.profile or (units and unit not in units):
            continue
        targets, gap = KNOWN_GAPS.get((unit, name), ((), None))
        if a.target in targets:
            print("skip - %s: %s: known gap of %s: %s" % (unit, name, a.target, gap))
            skipped += 1
            continue
        signal.alarm(PORT_TIMEOUT)
        try:
            fn(ctx)
        except portlib.Skip as e:
            print("skip - %s: %s: %s" % (unit, name, e))
            skipped += 1
        except Exception as e:  # any exception fails the port
            why = "%s: %s" % (type(e).__name__, e)
            print("not ok - %s: %s: %s" % (unit, name, why.replace("\n", " ")[:400]))
            tb = traceback.extract_tb(e.__traceback__)
            for fr in tb[-3:]:
                print("#   %s:%d %s" % (os.path.basename(fr.filename), fr.lineno, fr.line))
            failed += 1
        else:
            print("ok - %s: %s" % (unit, name))
            passed += 1
        finally:
            signal.alarm(0)
        sys.stdout.flush()
    print("ports %s (%s:%d, profile %s): passed %d, failed %d, skipped %d" %
          (a.target, a.host, a.port, a.profile, passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
