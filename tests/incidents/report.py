#!/usr/bin/env python3
"""Side-by-side tables of the incident replays (figures only, no verdicts).

  report.py inc1 SLUICE.json REDIS.json [name=value ...]
  report.py inc2 SLUICE-load SLUICE-probe REDIS-load REDIS-probe [name=value ...]
"""
import json
import sys


def pct(vals, p):
    if not vals:
        return None
    v = sorted(vals)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))]


def ms(v):
    return "-" if v is None else "%.2f ms" % v


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else "%.1fx" % (a / b)


def mib(v):
    return "-" if v is None or v < 0 else "%.1f MiB" % (v / 1048576.0)


def table(rows):
    w = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)).rstrip())


def extras(args):
    return dict(a.split("=", 1) for a in args)


def inc1(s, r, ex):
    S, R = json.load(open(s)), json.load(open(r))
    rows = [["incident 1: connection storm", "sluice", "redis-server 7.0.15"]]
    for k, label in (("attempts", "storm: connection attempts"),
                     ("accepted", "storm: accepted (held)"),
                     ("maxclients_error", "storm: '-ERR max number of clients reached'"),
                     ("no_answer", "storm: no answer within 1 s (SYN shed)"),
                     ("refused_or_reset", "storm: refused or reset")):
        rows.append([label, S["storm"][k], R["storm"][k]])
    rows.append(["XDP SYNs shed: syn-rate / conn-cap",
                 "%s / %s" % (ex.get("xdp_syn_shed", "?"), ex.get("xdp_cap_shed", "?")), "n/a"])
    rows.append(["server count of refused connections",
                 "%s (maxclients-per-source)" % ex.get("sluice_source_rejected", "?"),
                 "%s (rejected_connections)" % ex.get("redis_rejected_connections", "?")])
    rows.append(["well-behaved: new connections that worked",
                 S["good_new_connections_ok"], R["good_new_connections_ok"]])
    rows.append(["well-behaved: failures", S["good_failures"], R["good_failures"]])
    for k, label in (("p50", "well-behaved SET+GET p50"), ("p99", "well-behaved SET+GET p99")):
        b, d = "%s_baseline_ms" % k, "%s_storm_ms" % k
        rows.append([label + " idle -> storm (ratio)",
                     "%s -> %s (%s)" % (ms(S[b]), ms(S[d]), ratio(S[d], S[b])),
                     "%s -> %s (%s)" % (ms(R[b]), ms(R[d]), ratio(R[d], R[b]))])
    table(rows)
    for name, x in (("sluice", S), ("redis-server", R)):
        for f in x["good_failure_examples"]:
            print("%s well-behaved failure at %.1fs from %s: %s" % (name, f[0], f[1], f[2]))


def ping_split(probe, load):
    base, during = [], []
    for t, lat in probe["pings"]:
        if t < load["load_start"]:
            base.append(lat * 1000.0)
        elif t <= load["load_end"]:
            during.append(lat * 1000.0)
    return base, during


def inc2(sl, sp, rl, rp, ex):
    SL, SP, RL, RP = (json.load(open(f)) for f in (sl, sp, rl, rp))
    budget = int(ex.get("budget", 0))
    rows = [["incident 2: congested egress", "sluice", "redis-server 7.0.15"]]
    for k, label in (("ok", "replies intact (SHA-256)"), ("bad", "replies wrong"),
                     ("disconnects", "clients disconnected"), ("rounds", "pipeline rounds")):
        rows.append([label, SL[k], RL[k]])
    rows.append(["load seconds (until the last round ended)",
                 "%.1f" % (SL["load_end"] - SL["load_start"]),
                 "%.1f" % (RL["load_end"] - RL["load_start"])])
    pk, rk = SP["peak"], RP["peak"]
    rows.append(["output memory peak (sluice: exact, INFO output_memory peak)",
                 "%s (budget %s)" % (mib(pk.get("sluice_output_peak")), mib(budget)), "-"])
    rows.append(["output memory peak, sampled every 100 ms",
                 mib(pk.get("sluice_output_used")) + " (output_memory used)",
                 mib(rk.get("mem_clients_normal")) + " (mem_clients_normal)"])
    rows.append(["largest client output buffer, sampled", "-",
                 mib(rk.get("client_recent_max_output_buffer"))])
    rows.append(["used_memory peak, sampled", mib(pk.get("used_memory")),
                 mib(rk.get("used_memory"))])
    rows.append(["budget pauses", pk.get("sluice_output_pauses", "-"), "n/a"])
    for p in (50, 99):
        cells = []
        for probe, load in ((SP, SL), (RP, RL)):
            b, d = ping_split(probe, load)
            cells.append("%s -> %s (%s)" % (ms(pct(b, p)), ms(pct(d, p)),
                                            ratio(pct(d, p), pct(b, p))))
        rows.append(["PING p%d baseline -> during (ratio)" % p] + cells)
    table(rows)
    if budget:
        peak = pk.get("sluice_output_peak", 0)
        print("sluice peak %.1f MiB = budget %+.1f MiB (one reply: %.1f MiB)" %
              (peak / 1048576.0, (peak - budget) / 1048576.0,
               int(ex.get("value", 0)) / 1048576.0))
    for name, x in (("sluice", SL), ("redis-server", RL)):
        for e in x["errors"]:
            print("%s client error: %s" % (name, e))
    for name, x in (("sluice", SP), ("redis-server", RP)):
        for e in x["errors"]:
            print("%s prober error: %s" % (name, e))


def main():
    if sys.argv[1] == "inc1":
        inc1(sys.argv[2], sys.argv[3], extras(sys.argv[4:]))
    else:
        inc2(*sys.argv[2:6], extras(sys.argv[6:]))


if __name__ == "__main__":
    main()
