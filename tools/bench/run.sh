#!/usr/bin/env bash
# tools/bench/run.sh [--quick] [--requests N] [--out FILE.json]
# tools/bench/run.sh --loadgen [--quick] [--duration S] [--out FILE.json]
#
# The same redis-benchmark workloads, side by side in one run, against:
#   redis    redis-server 7.0.15 (Debian), kernel sockets
#   kernel   sluice --transport kernel (same engine and store, kernel sockets)
#   dpdk     sluice on its af_xdp port (userspace TCP, poll mode)
# Every server is pinned to CPU 1 and the client to CPU 0. The client runs in
# its own network namespace and reaches each server over a veth pair, as a
# remote client would. Prints a table (ops/s, p50, p99, server CPU per
# request, and ratios to redis-server) and writes JSON (default
# build/bench/latest.json) and a PNG plot beside it (tools/bench/plot.py).
#
# Server CPU per request: redis and kernel from the process's CPU time plus
# the softirq time of CPU 1 during the run; dpdk from the worker's busy TSC
# cycles (a poll-mode core is always 100% busy, so its idle polling is not
# counted as work). Figures only; nothing fails on a time.
#
# --loadgen: the client is tools/loadgen (sluice-loadgen, DPDK on sluice's
# own TCP stack, one lcore on CPU 0) instead of redis-benchmark, with its own
# topology (no namespace: the generator's interfaces have no kernel address):
#   sllgb0 (sluice af_xdp, 198.18.212.1) <-> sllgb0c (generator, 198.18.212.2)
#   sllgb1 (198.18.213.1, kernel servers) <-> sllgb1c (generator, 198.18.213.2)
# Every reply is validated; a run with any error is reported as such. The
# table gains p99.9 and the JSON holds each run's full loadgen output.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SLUICE_BUILD:-$ROOT/build}
SLUICE=$BUILD/control/sluice
REQ=200000
QUICK=0
OUT=$ROOT/build/bench/latest.json
# plot FILE.json: FILE.png beside it (python3-matplotlib; skipped without it)
plot() {
	/usr/bin/python3 "$ROOT/tools/bench/plot.py" "$1" 2>/dev/null ||
		echo "bench: no plot for $1 (python3-matplotlib missing?)"
}
NS=slbench
LOADGEN=0
DURATION=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; REQ=20000; shift ;;
	--requests) REQ=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--loadgen) LOADGEN=1; shift ;;
	--duration) DURATION=$2; shift 2 ;;
	*) echo "usage: $0 [--quick] [--requests N] [--out FILE.json]" >&2
	   echo "       $0 --loadgen [--quick] [--duration S] [--out FILE.json]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
source "$ROOT/tools/bench/lib.sh"
reserve_hugepages

# --- --loadgen: the same servers, driven by sluice-loadgen ------------------
if [ $LOADGEN = 1 ]; then
	LG=$BUILD/tools/loadgen/sluice-loadgen
	command -v redis-server >/dev/null || "$ROOT/deploy/install-deps.sh"
	if [ ! -x "$SLUICE" ] || [ ! -x "$LG" ]; then
		[ -d "$BUILD" ] || meson setup "$BUILD" "$ROOT" >/dev/null
		ninja -C "$BUILD" >/dev/null
	fi
	[ "$OUT" = "$ROOT/build/bench/latest.json" ] && OUT=$ROOT/build/bench/loadgen.json
	WORK=$(mktemp -d /tmp/sllgb.XXXXXX)
	mkdir -p "$(dirname "$OUT")"
	PIDS=()
	lg_cleanup() {
		local p
		for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
		for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
		ip link set dev sllgb0c xdp off 2>/dev/null || true
		ip link set dev sllgb1c xdp off 2>/dev/null || true
		ip link del sllgb0 2>/dev/null || true
		ip link del sllgb1 2>/dev/null || true
		[ -n "${BENCH_KEEP:-}" ] && cp -r "$WORK" /tmp/sllgb-keep
		rm -rf /sys/fs/bpf/sluice/bench-lg "$WORK"
		huge_restore
		rmdir /sys/fs/bpf/sluice 2>/dev/null || true
	}
	trap lg_cleanup EXIT
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	ip link add sllgb0 type veth peer name sllgb0c
	ip link add sllgb1 type veth peer name sllgb1c
	for i in sllgb0 sllgb0c sllgb1 sllgb1c; do
		sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1" 2>/dev/null || true
		ip link set "$i" up
		ethtool -K "$i" tx off tso off gso off gro off >/dev/null 2>&1 || true
	done
	ip addr add 198.18.213.1/24 dev sllgb1
	# hugepages or not, decided before each start (the host's state may change)
	hugepages_ok() {
		[ "$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)" -gt 256 ] &&
			grep -q ' hugetlbfs ' /proc/mounts
	}
	if [ $QUICK = 1 ]; then
		DUR=${DURATION:-2}
		KEYS=100000
		WORKLOADS=("get 1 --workload get" "set 1 --workload set"
			"mix-zipf 1 --workload mix --ratio 9:1 --dist zipf:0.99"
			"get 16 --workload get" "set 16 --workload set")
	else
		DUR=${DURATION:-5}
		KEYS=1000000
		WORKLOADS=()
		for p in 1 16; do
			WORKLOADS+=("get $p --workload get" "set $p --workload set"
				"incr $p --workload incr" "mget $p --workload mget"
				"mix $p --workload mix --ratio 9:1"
				"mix-zipf $p --workload mix --ratio 9:1 --dist zipf:0.99")
		done
		WORKLOADS+=("get-1k 1 --workload get --value 1024"
			"get-16k 1 --workload get --value 16384"
			"get-c1000 1 --workload get --connections 1000")
	fi
	RESULTS=$WORK/results
	: >"$RESULTS"
	# lgrun NAME SERVER_IP PORT_IF ADDR WORKLOAD...: one generator run on CPU 0;
	# prints "ops p50_ms p99_ms p999_ms errors"
	lgrun() {
		local name=$1 ip=$2 ifc=$3 addr=$4 test=$5 pipe=$6
		shift 6
		local preload=(--preload) keys=$KEYS vsize=32 a prev=
		for a in "$@"; do
			[ "$prev" = --value ] && vsize=$a
			prev=$a
		done
		# at most ~1 GiB of values per server: 1M keys of 16 KiB would
		# not fit next to the other servers' data on a small machine
		[ $((keys * (vsize + 64))) -le $((1 << 30)) ] || keys=$(((1 << 30) / (vsize + 64)))
		case $test in set* | incr*) preload=() ;; esac
		local nohuge=()
		hugepages_ok || nohuge=(--no-huge)
		timeout 600 "$LG" --cpu 0 "${nohuge[@]}" --port "af_xdp:$ifc" --address "$addr" \
			--server "$ip" --connections 50 --pipeline "$pipe" --duration "$DUR" \
			--keys "$keys" "${preload[@]}" "$@" --label "$name-$test-$pipe" \
			--json "$WORK/$name-$test-$pipe.json" >"$WORK/$name-$test-$pipe.txt" 2>&1 || true
		python3 -c 'import json, sys
try:
    r = json.load(open(sys.argv[1]))
    l = r["latency_us"]
    print(r["ops"], l["p50"] / 1000, l["p99"] / 1000, l["p99.9"] / 1000, r["errors"]["total"])
except Exception:
    print("0 0 0 0 -1")' "$WORK/$name-$test-$pipe.json"
	}
	wait_port() { # IP: until the server answers PING (from the root namespace)
		for _ in $(seq 100); do
			redis-cli -h "$1" ping 2>/dev/null | grep -q PONG && return 0
			sleep 0.1
		done
		echo "bench: server at $1 did not answer" >&2
		return 1
	}
	lg_kernel_server() { # NAME CMD...
		local name=$1
		shift
		taskset -c 1 "$@" >"$WORK/$name.log" 2>&1 &
		local pid=$!
		PIDS+=("$pid")
		wait_port 198.18.213.1
		for w in "${WORKLOADS[@]}"; do
			set -- $w
			local test=$1 pipe=$2 t0 s0 r
			shift 2
			t0=$(proc_ticks "$pid")
			s0=$(cpu1_softirq)
			r=$(lgrun "$name" 198.18.213.1 sllgb1c 198.18.213.2/24 "$test" "$pipe" "$@")
			set -- $r
			local cpu=$(($(proc_ticks "$pid") - t0 + $(cpu1_softirq) - s0))
			# CPU per request over the replies of the run (ops * seconds)
			local n
			n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["replies"])' \
				"$WORK/$name-$test-$pipe.json" 2>/dev/null || echo 0)
			echo "$name $test $pipe $1 $2 $3 $(awk -v c="$cpu" -v t="$TCK" -v n="$n" \
				'BEGIN {printf "%.0f", (n > 0 ? c * 1e9 / t / n : 0)}') $4 $5" >>"$RESULTS"
		done
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	}
	lg_kernel_server redis redis-server --bind 198.18.213.1 --port 6379 --save '' \
		--appendonly no --protected-mode no --daemonize no
	lg_kernel_server kernel "$SLUICE" --transport kernel --bind 198.18.213.1 --port 6379 \
		--instance bench-lgk --run-dir "$WORK" --protected-mode no
	for w in "${WORKLOADS[@]}"; do
		set -- $w
		test=$1 pipe=$2
		shift 2
		log=$WORK/dpdk-$test-$pipe.log
		NOHUGE=()
		hugepages_ok || NOHUGE=(--no-huge yes)
		"$SLUICE" --device af_xdp:sllgb0 --address 198.18.212.1/24 --instance bench-lg \
			--run-dir "$WORK" --lcores 0@1,1@1 --protected-mode no "${NOHUGE[@]}" \
			>"$log" 2>&1 &
		pid=$!
		PIDS+=("$pid")
		for _ in $(seq 100); do grep -qs Ready "$log" && break; sleep 0.1; done
		r=$(lgrun dpdk 198.18.212.1 sllgb0c 198.18.212.2/24 "$test" "$pipe" "$@")
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		ns=$(awk '/cycles: busy=/ {for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
			if (v["requests"] > 0) printf "%.0f", v["busy"] / v["tsc_hz"] * 1e9 / v["requests"]}' "$log")
		set -- $r
		echo "dpdk $test $pipe $1 $2 $3 ${ns:-0} $4 $5" >>"$RESULTS"
	done
	python3 - "$RESULTS" "$OUT" "$DUR" "$KEYS" "$WORK" <<'PY'
import glob, json, os, platform, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
res = {}
for name, test, pipe, ops, p50, p99, cpu, p999, errs in rows:
    res.setdefault((test, pipe), {})[name] = dict(ops=float(ops), p50=float(p50), p99=float(p99),
        p999=float(p999), cpu_ns=float(cpu), errors=int(errs))
print("%-9s %-3s %-7s %11s %8s %8s %9s %11s %9s %9s %6s" % ("test", "P", "server", "ops/s",
      "p50 ms", "p99 ms", "p99.9 ms", "CPU ns/req", "ops/redis", "CPU/redis", "errors"))
out = []
for (test, pipe), by in sorted(res.items(), key=lambda k: (int(k[0][1]), k[0][0])):
    ref = by.get("redis")
    for name in ("redis", "kernel", "dpdk"):
        r = by.get(name)
        if not r:
            continue
        ro = r["ops"] / ref["ops"] if ref and ref["ops"] else 0
        rc = r["cpu_ns"] / ref["cpu_ns"] if ref and ref["cpu_ns"] else 0
        print("%-9s %-3s %-7s %11.0f %8.3f %8.3f %9.3f %11.0f %9.2f %9.2f %6d" % (test, pipe, name,
              r["ops"], r["p50"], r["p99"], r["p999"], r["cpu_ns"], ro, rc, r["errors"]))
        out.append(dict(test=test, pipeline=int(pipe), server=name, **r, ops_ratio=ro, cpu_ratio=rc))
runs = {}
for f in glob.glob(os.path.join(sys.argv[5], "*.json")):
    try:
        runs[os.path.basename(f)[:-5]] = json.load(open(f))
    except ValueError:
        pass
meta = dict(client="sluice-loadgen (DPDK, af_xdp, one lcore on CPU 0)", servers="CPU 1",
            duration_s=float(sys.argv[3]), keyspace=int(sys.argv[4]), connections=50,
            value_bytes=32, cpus=os.cpu_count(), kernel=platform.release())
json.dump(dict(meta=meta, results=out, runs=runs), open(sys.argv[2], "w"), indent=1)
print("wrote", sys.argv[2])
PY
	plot "$OUT"
	exit 0
fi
command -v redis-benchmark >/dev/null || "$ROOT/deploy/install-deps.sh"
[ -x "$SLUICE" ] || { meson setup "$BUILD" "$ROOT" >/dev/null; ninja -C "$BUILD" >/dev/null; }
WORK=$(mktemp -d /tmp/slbench.XXXXXX)
mkdir -p "$(dirname "$OUT")"
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	ip netns del $NS 2>/dev/null || true
	ip link del slb0 2>/dev/null || true
	ip link del slb1 2>/dev/null || true
	rm -rf /sys/fs/bpf/sluice/bench "$WORK"
	huge_restore
	rmdir /sys/fs/bpf/sluice 2>/dev/null || true
}
trap cleanup EXIT
[ -n "${BENCH_KEEP:-}" ] && trap "cp \"\$WORK/results\" /tmp/bench-results.txt; cleanup" EXIT

# Topology: client namespace with two veth pairs into the root namespace.
#   slb0 (root, sluice af_xdp, 198.18.60.1 in the dataplane) <-> slb0c 198.18.60.2 (client)
#   slb1 (root, 198.18.61.1, kernel servers)                  <-> slb1c 198.18.61.2 (client)
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ip netns add $NS
ip link add slb0 type veth peer name slb0c netns $NS
ip link add slb1 type veth peer name slb1c netns $NS
ip link set slb0 up
ip link set slb1 up
ip addr add 198.18.61.1/24 dev slb1
sysctl -qw net.ipv6.conf.slb0.disable_ipv6=1
ip netns exec $NS sh -c 'ip link set lo up; ip link set slb0c up; ip link set slb1c up;
	ip addr add 198.18.60.2/24 dev slb0c; ip addr add 198.18.61.2/24 dev slb1c;
	ethtool -K slb0c tx off tso off gso off gro off >/dev/null 2>&1 || true'
ethtool -K slb0 tx off tso off gso off gro off >/dev/null 2>&1 || true

nohuge_args

if [ $QUICK = 1 ]; then
	WORKLOADS=("get 1" "set 1" "get 16" "set 16")
else
	WORKLOADS=("get 1" "set 1" "incr 1" "mset 1" "get 16" "set 16" "incr 16" "mset 16")
fi

# bench HOST TEST PIPELINE: runs redis-benchmark in the client namespace on CPU 0;
# prints "ops p50 p99".
bench() {
	ip netns exec $NS taskset -c 0 redis-benchmark -h "$1" -p 6379 -t "$2" -P "$3" -c 50 \
		-n "$REQ" -d 32 -r 1000000 --csv -q 2>/dev/null |
		awk -F'","' 'NR > 1 {print $2, $5, $7; exit}'
}

# wait_redis HOST: until PING answers (from the client namespace)
wait_redis() {
	for _ in $(seq 100); do
		ip netns exec $NS redis-cli -h "$1" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	echo "bench: server at $1 did not answer" >&2
	return 1
}

RESULTS=$WORK/results
: >"$RESULTS"

# Kernel-socket servers: one process for all workloads, CPU from /proc.
run_kernel_server() { # NAME CMD...
	local name=$1
	shift
	taskset -c 1 "$@" >"$WORK/$name.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	wait_redis 198.18.61.1
	for w in "${WORKLOADS[@]}"; do
		set -- $w
		local t0 s0 r
		t0=$(proc_ticks "$pid")
		s0=$(cpu1_softirq)
		r=$(bench 198.18.61.1 "$1" "$2")
		[ -n "$r" ] || r="0 0 0"
		local cpu=$(($(proc_ticks "$pid") - t0 + $(cpu1_softirq) - s0))
		echo "$name $1 $2 $r $(awk -v c="$cpu" -v t="$TCK" -v n="$REQ" 'BEGIN {printf "%.0f", c * 1e9 / t / n}')" >>"$RESULTS"
	done
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
}

run_kernel_server redis redis-server --bind 198.18.61.1 --port 6379 --save '' --appendonly no \
	--protected-mode no --daemonize no
run_kernel_server kernel "$SLUICE" --transport kernel --bind 198.18.61.1 --port 6379 \
	--instance bench-k --run-dir "$WORK" --protected-mode no

# dpdk: one sluice start per workload, busy cycles from its shutdown log.
for w in "${WORKLOADS[@]}"; do
	set -- $w
	log=$WORK/dpdk-$1-$2.log
	"$SLUICE" --device af_xdp:slb0 --address 198.18.60.1/24 --instance bench --run-dir "$WORK" \
		--lcores 0@1,1@1 "${NOHUGE[@]}" >"$log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_redis 198.18.60.1
	r=$(bench 198.18.60.1 "$1" "$2")
	[ -n "$r" ] || r="0 0 0"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	ns=$(awk '/cycles: busy=/ {for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
		if (v["requests"] > 0) printf "%.0f", v["busy"] / v["tsc_hz"] * 1e9 / v["requests"]}' "$log")
	echo "dpdk $1 $2 $r ${ns:-0}" >>"$RESULTS"
done

python3 - "$RESULTS" "$OUT" "$REQ" <<'PY'
import json, sys, platform, os
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
res = {}
for name, test, pipe, ops, p50, p99, cpu in rows:
    res.setdefault((test, pipe), {})[name] = dict(ops=float(ops), p50=float(p50), p99=float(p99), cpu_ns=float(cpu))
print("%-6s %-3s %-7s %11s %8s %8s %12s %9s %9s" % ("test", "P", "server", "ops/s", "p50 ms", "p99 ms", "CPU ns/req", "ops/redis", "CPU/redis"))
out = []
for (test, pipe), by in sorted(res.items(), key=lambda k: (int(k[0][1]), k[0][0])):
    ref = by.get("redis")
    for name in ("redis", "kernel", "dpdk"):
        r = by.get(name)
        if not r:
            continue
        ro = r["ops"] / ref["ops"] if ref and ref["ops"] else 0
        rc = r["cpu_ns"] / ref["cpu_ns"] if ref and ref["cpu_ns"] else 0
        print("%-6s %-3s %-7s %11.0f %8.3f %8.3f %12.0f %9.2f %9.2f" % (test, pipe, name, r["ops"], r["p50"], r["p99"], r["cpu_ns"], ro, rc))
        out.append(dict(test=test, pipeline=int(pipe), server=name, **r, ops_ratio=ro, cpu_ratio=rc))
meta = dict(requests=int(sys.argv[3]), connections=50, value_bytes=32, keyspace=1000000,
            cpus=os.cpu_count(), kernel=platform.release(),
            client="redis-benchmark in a network namespace, CPU 0", servers="CPU 1")
json.dump(dict(meta=meta, results=out), open(sys.argv[2], "w"), indent=1)
print("wrote", sys.argv[2])
PY
plot "$OUT"
