#!/usr/bin/env bash
# tools/bench/curves.sh [--quick] [--full] [--out DIR]
#
# Cost curves, sluice (DPDK, af_xdp) and redis-server 7.0.15 side by side in
# one run (issue 8): server CPU per request
#   - as the keyspace grows (1K, 100K, 1M keys; 10M with --full): GET -P 16;
#   - as values grow (32 B .. 1 MiB): GET of a 100-key set of that size;
#   - as connections grow (10 .. 10K idle; 100K with --full) while 10 others
#     run GETs;
# and memory: per key (used_memory) and per idle connection (the server's
# resident memory, divided by the connections: sluice's connection table,
# connection state and client structures are ordinary memory; an idle
# connection holds no packet buffer from the hugepage pool).
#
# Every server is pinned to CPU 1, the client to CPU 0, in a network namespace
# reaching the servers over veth pairs. sluice's CPU is its worker's busy TSC
# cycles (INFO dataplane); redis-server's is its process CPU time plus the
# softirq time of CPU 1. Writes DIR/curves.json and, with matplotlib
# (python3-matplotlib), DIR/*.png. Figures only; nothing fails on a time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SLUICE_BUILD:-$ROOT/build}
SLUICE=$BUILD/control/sluice
OUTDIR=$ROOT/docs/benchmarks
KEYS=(1000 100000 1000000)
VALUES=(32 1024 16384 262144 1048576)
IDLE=(10 1000 10000)
REQ=100000
while [ $# -gt 0 ]; do
	case $1 in
	--quick) KEYS=(1000 100000); VALUES=(32 16384 1048576); IDLE=(10 2000); REQ=20000; shift ;;
	--full) KEYS=(1000 100000 1000000 10000000); IDLE=(10 1000 10000 100000); shift ;;
	--out) OUTDIR=$2; shift 2 ;;
	*) echo "usage: $0 [--quick] [--full] [--out DIR]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "curves: run as root" >&2; exit 1; }
command -v redis-benchmark >/dev/null || "$ROOT/deploy/install-deps.sh"
[ -x "$SLUICE" ] || { meson setup "$BUILD" "$ROOT" >/dev/null; ninja -C "$BUILD" >/dev/null; }
WORK=$(mktemp -d /tmp/slcurves.XXXXXX)
mkdir -p "$OUTDIR"
NS=slcurves
PIDS=()
SRV_PID=""

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	ip netns del $NS 2>/dev/null || true
	ip link del slcv0 2>/dev/null || true
	ip link del slcv1 2>/dev/null || true
	rm -rf /sys/fs/bpf/sluice/curves "$WORK"
	huge_restore
	rmdir /sys/fs/bpf/sluice 2>/dev/null || true
}
trap cleanup EXIT

# Topology: slcv0 (root, sluice af_xdp, 198.18.224.1 in the dataplane) <-> slcv0c
# 198.18.224.2..5 (client); slcv1 (root, 198.18.225.1, redis-server) <-> slcv1c
# 198.18.225.2..5. Four client addresses per side give room for 100K connections.
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ip netns add $NS
ip link add slcv0 type veth peer name slcv0c netns $NS
ip link add slcv1 type veth peer name slcv1c netns $NS
ip link set slcv0 up
ip link set slcv1 up
ip addr add 198.18.225.1/24 dev slcv1
sysctl -qw net.ipv6.conf.slcv0.disable_ipv6=1
ip netns exec $NS sh -c 'ip link set lo up; ip link set slcv0c up; ip link set slcv1c up
	for i in 2 3 4 5; do ip addr add 198.18.224.$i/24 dev slcv0c; ip addr add 198.18.225.$i/24 dev slcv1c; done
	sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
	ethtool -K slcv0c tx off tso off gso off gro off >/dev/null 2>&1 || true'
ethtool -K slcv0 tx off tso off gso off gro off >/dev/null 2>&1 || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# Each idle connection costs the holder and redis-server a descriptor each.
FDS=$(ulimit -n)
KEEP=()
for n in "${IDLE[@]}"; do
	if [ "$n" -le $((FDS - 1000)) ]; then KEEP+=("$n"); else
		echo "# curves: $n idle connections need more than the $FDS descriptors allowed here: skipped"; fi
done
IDLE=("${KEEP[@]}")

source "$ROOT/tools/bench/lib.sh"
reserve_hugepages
nohuge_args

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
RESULTS=$WORK/results
: >"$RESULTS"

cli() { ip netns exec $NS redis-cli -h "$HOST" "$@"; }

wait_up() {
	for _ in $(seq 200); do
		cli ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	echo "curves: server at $HOST did not answer" >&2
	return 1
}

# start_server redis|sluice [extra sluice args]: sets HOST and SRV_PID
start_server() {
	local kind=$1
	shift
	if [ "$kind" = redis ]; then
		HOST=198.18.225.1
		taskset -c 1 redis-server --bind 198.18.225.1 --port 6379 --save '' --appendonly no \
			--protected-mode no --daemonize no --maxclients 110000 >"$WORK/redis.log" 2>&1 &
	else
		HOST=198.18.224.1
		"$SLUICE" --device af_xdp:slcv0 --address 198.18.224.1/24 --instance curves \
			--run-dir "$WORK" --lcores 0@1,1@1 "${NOHUGE[@]}" \
			--maxclients 110000 --protected-mode no "$@" >"$WORK/sluice.log" 2>&1 &
	fi
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	wait_up
}

stop_server() {
	kill -TERM "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
}

# cpu_mark KIND: a reading of the server's work counter (sluice: busy TSC
# cycles and requests; redis: CPU ticks incl. CPU 1's softirq)
cpu_mark() {
	if [ "$1" = redis ]; then
		echo "$(($(proc_ticks "$SRV_PID") + $(cpu1_softirq))) 0"
	else
		cli info dataplane | tr -d '\r' | awk -F'[:,]' '$1 == "worker0" {
			for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			print v["busy_cycles"], v["requests"] }'
	fi
}

tsc_hz() { cli info dataplane | tr -d '\r' | awk -F: '$1 == "tsc_hz" {print $2}'; }

# cpu_ns KIND MARK0 MARK1 REQUESTS: server CPU nanoseconds per request
cpu_ns() {
	local kind=$1 a0 b0 a1 b1 n=$4
	read -r a0 b0 <<<"$2"
	read -r a1 b1 <<<"$3"
	if [ "$kind" = redis ]; then
		awk -v c=$((a1 - a0)) -v t="$TCK" -v n="$n" 'BEGIN {printf "%.0f", c * 1e9 / t / n}'
	else
		awk -v c=$((a1 - a0)) -v r=$((b1 - b0)) -v hz="$HZ" 'BEGIN {printf "%.0f", (r > 0 ? c / hz * 1e9 / r : 0)}'
	fi
}

# preload COUNT SIZE: SET key:%012d (redis-benchmark's -r key names) for 0..COUNT-1
preload() {
	ip netns exec $NS python3 - "$HOST" "$1" "$2" <<'PY'
import socket, sys
host, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, 6379))
val = b"x" * size
batch = max(1, min(1000, (1 << 20) // (size + 64)))
i = 0
while i < n:
    k = min(batch, n - i)
    s.sendall(b"".join(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$%d\r\n%s\r\n" % (j, size, val)
                       for j in range(i, i + k)))
    got = b""
    while got.count(b"\r\n") < k:
        d = s.recv(1 << 20)
        if not d:
            sys.exit("connection closed while preloading")
        got += d
    if got != b"+OK\r\n" * k:
        sys.exit("preload: unexpected reply %r" % got[:80])
    i += k
PY
}

# bench_get KIND KEYS PIPELINE CONNS REQUESTS: "ops cpu_ns"
bench_get() {
	local kind=$1 keys=$2 p=$3 c=$4 n=$5 m0 m1 ops
	m0=$(cpu_mark "$kind")
	ops=$(ip netns exec $NS taskset -c 0 redis-benchmark -h "$HOST" -p 6379 -t get -P "$p" -c "$c" \
		-n "$n" -r "$keys" --csv -q 2>/dev/null | awk -F'","' 'NR > 1 {print $2; exit}')
	m1=$(cpu_mark "$kind")
	echo "${ops:-0} $(cpu_ns "$kind" "$m0" "$m1" "$n")"
}

used_memory() { cli info memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}'; }

for kind in redis sluice; do
	# --- keyspace ---
	for k in "${KEYS[@]}"; do
		start_server $kind
		[ $kind = sluice ] && HZ=$(tsc_hz)
		m0=$(used_memory)
		preload "$k" 32
		m1=$(used_memory)
		r=$(bench_get $kind "$k" 16 50 "$REQ")
		echo "keys $kind $k $r $(((m1 - m0) / k))" >>"$RESULTS"
		echo "# keys=$k $kind: ops cpu_ns bytes/key = $r $(((m1 - m0) / k))"
		stop_server
	done
	# --- value size ---
	start_server $kind
	[ $kind = sluice ] && HZ=$(tsc_hz)
	for v in "${VALUES[@]}"; do
		n=$((200000000 / v))
		[ $n -gt "$REQ" ] && n=$REQ
		[ $n -lt 200 ] && n=200
		preload 100 "$v"
		r=$(bench_get $kind 100 4 10 "$n")
		echo "value $kind $v $r 0" >>"$RESULTS"
		echo "# value=$v $kind: ops cpu_ns = $r"
	done
	stop_server
	# --- idle connections ---
	start_server $kind
	[ $kind = sluice ] && HZ=$(tsc_hz)
	preload 1000 32
	for idle in "${IDLE[@]}"; do
		rss0=$(rss_kb "$SRV_PID")
		ip netns exec $NS python3 - "$HOST" "$idle" "$WORK/hold.ready" <<'PY' &
import os, socket, sys, time
host, n, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = host.rsplit(".", 1)[0]
socks = []
for i in range(n):
    s = socket.socket()
    s.bind(("%s.%d" % (base, 2 + i % 4), 0))
    s.connect((host, 6379))
    s.sendall(b"PING\r\n")
    socks.append(s)
for s in socks:
    assert s.recv(16) == b"+PONG\r\n"
open(ready, "w").close()
time.sleep(600)
PY
		hold=$!
		PIDS+=("$hold")
		for _ in $(seq 1200); do [ -e "$WORK/hold.ready" ] && break; sleep 0.1; done
		sleep 1
		rss1=$(rss_kb "$SRV_PID")
		r=$(bench_get $kind 1000 1 10 "$REQ")
		per=$(((rss1 - rss0) * 1024 / idle))
		echo "idle $kind $idle $r $per" >>"$RESULTS"
		echo "# idle=$idle $kind: ops cpu_ns bytes/conn = $r $per"
		kill "$hold" 2>/dev/null || true
		wait "$hold" 2>/dev/null || true
		rm -f "$WORK/hold.ready"
		sleep 2
	done
	stop_server
done

/usr/bin/python3 - "$RESULTS" "$OUTDIR" "$REQ" <<'PY'
import json, os, platform, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
out = {"meta": dict(requests=int(sys.argv[3]), cpus=os.cpu_count(), kernel=platform.release(),
                    client="redis-benchmark in a network namespace on CPU 0",
                    servers="CPU 1; sluice: af_xdp, one worker"),
       "curves": []}
for curve, server, x, ops, cpu, mem in rows:
    out["curves"].append(dict(curve=curve, server=server, x=int(x), ops=float(ops),
                              cpu_ns=float(cpu), bytes=int(mem)))
json.dump(out, open(os.path.join(sys.argv[2], "curves.json"), "w"), indent=1)
label = {"keys": ("keys", "GET -P 16, 50 connections"), "value": ("value bytes", "GET -P 4, 10 connections"),
         "idle": ("idle connections", "GET -P 1, 10 active connections")}
print("%-6s %-7s %10s %11s %12s %14s" % ("curve", "server", "x", "ops/s", "CPU ns/req", "bytes/unit"))
for r in out["curves"]:
    print("%-6s %-7s %10d %11.0f %12.0f %14d" % (r["curve"], r["server"], r["x"], r["ops"], r["cpu_ns"], r["bytes"]))
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed: no plots")
    sys.exit(0)
for curve, (xl, what) in label.items():
    fig, ax = plt.subplots(figsize=(6, 4))
    for server in ("redis", "sluice"):
        pts = sorted((r["x"], r["cpu_ns"]) for r in out["curves"] if r["curve"] == curve and r["server"] == server)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=server)
    ax.set_xscale("log")
    ax.set_xlabel(xl)
    ax.set_ylabel("server CPU ns per request")
    ax.set_title("CPU per request vs %s (%s)" % (xl, what), fontsize=9)
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(sys.argv[2], "cpu_vs_%s.png" % curve), dpi=100)
fig, ax = plt.subplots(figsize=(6, 4))
for server in ("redis", "sluice"):
    pts = sorted((r["x"], r["bytes"]) for r in out["curves"] if r["curve"] == "idle" and r["server"] == server and r["x"] >= 1000)
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=server)
ax.set_xscale("log")
ax.set_xlabel("idle connections")
ax.set_ylabel("resident bytes per idle connection")
ax.legend()
ax.grid(True, which="both", alpha=0.3)
fig.tight_layout()
fig.savefig(os.path.join(sys.argv[2], "memory_per_idle_connection.png"), dpi=100)
print("wrote", sys.argv[2])
PY
