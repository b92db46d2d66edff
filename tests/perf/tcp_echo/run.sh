#!/usr/bin/env bash
# tests/perf/tcp_echo/run.sh [--seconds S] [--runs R]: sluice's TCP echo
# (af_xdp -> userspace TCP stack, one worker) against a kernel-socket echo
# server (echo_server.c: one thread, epoll), with the same Python client
# (tests/integration/tcp/tcp_client.py stream: sender and receiver thread per
# connection, SHA-256 checked) over the same kind of path, a veth pair with
# offloads off on both ends:
#   sluice:  client (root ns, 198.18.110.2) -> veth -> sluice (198.18.110.1)
#   kernel:  client (root ns, 198.18.112.2) -> veth -> echo_server in a
#            namespace (198.18.112.1)
# Prints the median echo throughput (Mbit/s each way) over R runs of S seconds
# for 1 and 50 connections, then the memory per idle connection: sluice's RSS
# growth with 10,000 idle connections / 10,000, next to the kernel server's
# (its RSS growth plus the kernel's slab + TCP socket memory growth beyond
# what the client's own 10,000 sockets cost, as measured in the sluice run).
# Figures only: it fails only if something does not work, never on a time.
source "$(dirname "$0")/../../integration/lib.sh"
source "$(dirname "$0")/../../integration/tcp/tcp_lib.sh"
SECONDS_PER_RUN=5
RUNS=3
IDLE=10000
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_PER_RUN=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	*) echo "usage: $0 [--seconds S] [--runs R]" >&2; exit 2 ;;
	esac
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null

KNS=slpek-ns KIF=slpek KADDR=198.18.112.1
KPID=
bench_cleanup() {
	[ -n "$KPID" ] && kill -TERM "$KPID" 2>/dev/null && wait "$KPID" 2>/dev/null
	tcp_cleanup
	ip netns del "$KNS" 2>/dev/null
}
sl_topology slpe 110
trap bench_cleanup EXIT
CLIENT=(python3 "$TCP_DIR/tcp_client.py")
SCRATCH=$SLUICE_RUN_DIR/bench
mkdir -p "$SCRATCH"

# The kernel server's side: a namespace at the end of its own veth.
ip netns add "$KNS"
ip link add "$KIF" type veth peer name "$KIF-h"
ip link set "$KIF" netns "$KNS"
ip -n "$KNS" addr add "$KADDR/24" dev "$KIF"
ip -n "$KNS" link set "$KIF" up
ip -n "$KNS" link set lo up
ip addr add 198.18.112.2/24 dev "$KIF-h"
ip link set "$KIF-h" up
ip netns exec "$KNS" ethtool -K "$KIF" tx off tso off gso off gro off >/dev/null 2>&1
ethtool -K "$KIF-h" tx off tso off gso off gro off >/dev/null 2>&1
cc -std=c11 -O2 -o "$SCRATCH/echo_server" "$(dirname "$0")/echo_server.c" || exit 1
ip netns exec "$KNS" "$SCRATCH/echo_server" "$KADDR" 7 >"$SCRATCH/echo_server.log" 2>&1 &
KPID=$!

tcp_start --app echo --port 7 --maxclients 20000 || { echo "sluice did not start"; exit 1; }
for _ in $(seq 50); do grep -q listening "$SCRATCH/echo_server.log" && break; sleep 0.1; done

# run_median HOST CONNS: median echo Mbit/s over RUNS runs.
run_median() {
	local host=$1 conns=$2 i out figures=()
	for i in $(seq "$RUNS"); do
		out=$("${CLIENT[@]}" stream "$host" 7 --conns "$conns" --seconds "$SECONDS_PER_RUN" \
			--deadline $((SECONDS_PER_RUN + 60))) || { echo "FAILED: $out" >&2; return 1; }
		figures+=("$(sed -n 's/.*echo_mbit=\([0-9.]*\).*/\1/p' <<<"$out")")
	done
	printf '%s\n' "${figures[@]}" | sort -n | awk '{v[NR]=$1} END {printf "%.1f (runs: ", v[int((NR+1)/2)]}'
	echo "${figures[*]})"
}

echo "tcp_echo benchmark: $(date -u +%FT%TZ), $(nproc) CPUs, ${RUNS} runs of ${SECONDS_PER_RUN} s, median"
echo "client: tcp_client.py stream (Python threads, SHA-256 checked); kernel server: echo_server.c (C, epoll)"
printf '%-28s %-32s %-32s\n' "echo throughput, Mbit/s" "sluice (userspace TCP)" "kernel sockets"
rc=0
for conns in 1 50; do
	s=$(run_median "$SL_ADDR" "$conns") || rc=1
	k=$(run_median "$KADDR" "$conns") || rc=1
	printf '%-28s %-32s %-32s\n' "$conns connection(s)" "$s" "$k"
done

# Memory per idle connection.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }
# idle PID HOST: prints "rss_delta_kb slab_delta_kb tcpmem_delta_pages"
idle() {
	local pid=$1 host=$2 r0 s0 m0 r1 s1 m1 hp
	rm -f "$SCRATCH/ready" "$SCRATCH/until"
	"${CLIENT[@]}" hold "$host" 7 1 --ready "$SCRATCH/ready" --until "$SCRATCH/until" --deadline 30 || return 1
	sleep 1
	r0=$(rss_kb "$pid") s0=$(slab_kb) m0=$(ns_tcp_mem "$host")
	rm -f "$SCRATCH/ready" "$SCRATCH/until"
	"${CLIENT[@]}" hold "$host" 7 "$IDLE" --ready "$SCRATCH/ready" --until "$SCRATCH/until" --deadline 120 &
	hp=$!
	for _ in $(seq 1200); do [ -f "$SCRATCH/ready" ] && break; kill -0 $hp 2>/dev/null || break; sleep 0.1; done
	[ -f "$SCRATCH/ready" ] || { wait $hp; return 1; }
	sleep 2
	r1=$(rss_kb "$pid") s1=$(slab_kb) m1=$(ns_tcp_mem "$host")
	touch "$SCRATCH/until"
	wait $hp
	echo "$((r1 - r0)) $((s1 - s0)) $((m1 - m0))"
}
# TCP socket memory pages: the server's namespace for the kernel server,
# the root namespace (the client's) otherwise.
ns_tcp_mem() {
	if [ "$1" = "$KADDR" ]; then ip netns exec "$KNS" cat /proc/net/sockstat; else cat /proc/net/sockstat; fi |
		awk '/^TCP:/ {for (i = 1; i < NF; i++) if ($i == "mem") print $(i + 1)}'
}
read -r s_rss s_slab s_mem < <(idle "$SL_PID" "$SL_ADDR") || rc=1
read -r k_rss k_slab k_mem < <(idle "$KPID" "$KADDR") || rc=1
echo
echo "memory with $IDLE idle connections (delta against 1 connection):"
printf '  %-40s %s\n' "sluice RSS growth" "${s_rss:-?} KiB = $(( ${s_rss:-0} * 1024 / IDLE )) bytes/connection"
printf '  %-40s %s\n' "kernel echo_server RSS growth" "${k_rss:-?} KiB = $(( ${k_rss:-0} * 1024 / IDLE )) bytes/connection"
printf '  %-40s %s\n' "kernel slab growth, sluice run" "${s_slab:-?} KiB (the client's sockets only)"
printf '  %-40s %s\n' "kernel slab growth, kernel-server run" "${k_slab:-?} KiB (client + server sockets)"
k_server=$(( (${k_slab:-0} - ${s_slab:-0}) * 1024 / IDLE + ${k_rss:-0} * 1024 / IDLE ))
printf '  %-40s %s\n' "kernel server, per connection" "~$k_server bytes (slab difference + RSS; noisy: other processes share the kernel)"
printf '  %-40s %s\n' "server-side TCP mem pages (sockstat)" "sluice n/a, kernel ${k_mem:-?} pages (buffers of idle sockets)"
exit $rc
