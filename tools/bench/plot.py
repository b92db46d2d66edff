#!/usr/bin/python3
"""tools/bench/plot.py RESULTS.json [OUT.png]

Plots a tools/bench/run.sh result file (either mode): for every workload
(test and pipeline depth), ops/s and server CPU per request of each server
side by side, with sluice's ratio to redis-server written above its bars.
Needs matplotlib (python3-matplotlib); writes OUT.png (default: the JSON's
name with .png).
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SERVERS = ("redis", "kernel", "dpdk")
COLORS = {"redis": "#b0b0b0", "kernel": "#6baed6", "dpdk": "#08519c"}


def main():
    src = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.splitext(src)[0] + ".png"
    data = json.load(open(src))
    rows = data["results"]
    keys = sorted({(r["pipeline"], r["test"]) for r in rows})
    by = {(r["pipeline"], r["test"], r["server"]): r for r in rows}
    servers = [s for s in SERVERS if any(k[2] == s for k in by)]
    fig, axes = plt.subplots(2, 1, figsize=(max(6, 1.2 * len(keys)), 7), sharex=True)
    width = 0.8 / len(servers)
    for ax, field, label in ((axes[0], "ops", "ops/s"), (axes[1], "cpu_ns", "server CPU ns per request")):
        for i, srv in enumerate(servers):
            xs, ys = [], []
            for j, k in enumerate(keys):
                r = by.get((k[0], k[1], srv))
                if r is None:
                    continue
                xs.append(j + (i - (len(servers) - 1) / 2) * width)
                ys.append(r[field])
                ref = by.get((k[0], k[1], "redis"))
                if srv != "redis" and ref and ref[field]:
                    ax.annotate("%.2fx" % (r[field] / ref[field]), (xs[-1], ys[-1]),
                                ha="center", va="bottom", fontsize=7)
            ax.bar(xs, ys, width, label=srv, color=COLORS.get(srv))
        ax.set_ylabel(label)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].legend()
    axes[1].set_xticks(range(len(keys)))
    axes[1].set_xticklabels(["%s P%d" % (t, p) for p, t in keys], rotation=30, ha="right")
    meta = data.get("meta", {})
    fig.suptitle("sluice vs redis-server 7.0.15, one run (%s)" % meta.get("client", "redis-benchmark"),
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print("wrote", out)


if __name__ == "__main__":
    main()
