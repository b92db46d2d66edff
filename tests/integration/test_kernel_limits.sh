#!/usr/bin/env bash
# The kernel-socket transport's client limits, as the DPDK path has them:
# per-source connection caps (maxclients-per-source at start, `sluicectl
# caps` live; sources are 127.0.0.2 and 127.0.0.3, both loopback) and
# maxmemory-clients (Redis's client eviction: the DPDK test's scenario,
# eviction_probe.py kernel).
source "$(dirname "$0")/lib.sh"
PORT=7460
DIR=/tmp/sluice-test-kernel-limits
mkdir -p "$DIR"
LOG=$DIR/sluice.log
PIDS=()
kl_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$DIR"
}
trap kl_cleanup EXIT
PROBE=$ROOT/tests/integration/srccap_probe.py

start_kernel() { # start_kernel PORT [args]: waits until it answers PING
	local port=$1
	shift
	"$SLUICE" --transport kernel --port "$port" --run-dir "$DIR" --instance "k$port" "$@" \
		</dev/null >>"$LOG" 2>&1 &
	KPID=$!
	PIDS+=("$KPID")
	for _ in $(seq 100); do
		redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0
		kill -0 "$KPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
ctl() { "$SLUICECTL" --run-dir "$DIR" --instance "k$PORT" "$@"; }
info_stat() { redis-cli -p "$1" info stats | tr -d '\r' | awk -F: -v k="$2" '$1 == k {print $2}'; }
# Waits until the sluice on PORT has N clients (the probe's connections are
# released when it exits; the count includes the asking redis-cli).
wait_clients() {
	for _ in $(seq 50); do
		[ "$(redis-cli -p "$1" info clients | tr -d '\r' |
			awk -F: '$1 == "connected_clients" {print $2}')" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
probe() { timeout 60 python3 "$PROBE" 127.0.0.1 "$@" | tr '\n' ' ' | sed 's/ $//'; }

# Per-source caps. Two workers: the count of a source is shared by both.
check "sluice starts with transport kernel, maxclients-per-source 2, 2 workers" \
	start_kernel $PORT --maxclients-per-source 2 --workers 2
rej0=$(info_stat $PORT rejected_connections)
out=$(probe $PORT 127.0.0.2:3 127.0.0.3:2)
echo "# maxclients-per-source 2: $out"
check "the 3rd connection from 127.0.0.2 gets Redis's error and is closed; 127.0.0.3 still connects" \
	test "$out" = "127.0.0.2 served=2 rejected=1 other=0 127.0.0.3 served=2 rejected=0 other=0"
rej1=$(info_stat $PORT rejected_connections)
echo "# rejected_connections $rej0 -> $rej1"
check "INFO rejected_connections counts the refusal" test "$rej1" = $((rej0 + 1))
check "caps shows the per-source cap from the start options" \
	bash -c "$(printf '%q ' "$SLUICECTL" --run-dir "$DIR" --instance "k$PORT") caps | tr -d '\r' | tr '\n' ' ' | grep -q 'source_prefix:32 source:2 '"
check "closed connections are released: 127.0.0.2 gets 2 again" wait_clients $PORT 1
out=$(probe $PORT 127.0.0.2:2)
check "2 served from 127.0.0.2 after the first ones closed ($out)" \
	test "$out" = "127.0.0.2 served=2 rejected=0 other=0"

check "sluicectl caps set 127.0.0.3/32 1 (live)" bash -c "$(printf '%q ' "$SLUICECTL" --run-dir "$DIR" --instance "k$PORT") caps set 127.0.0.3/32 1 | grep -qx OK"
check "caps lists the prefix" bash -c "$(printf '%q ' "$SLUICECTL" --run-dir "$DIR" --instance "k$PORT") caps | tr -d '\r' | grep -qx 'prefix:127.0.0.3/32 1'"
wait_clients $PORT 1
out=$(probe $PORT 127.0.0.3:2 127.0.0.2:3)
echo "# prefix cap 127.0.0.3/32 1, source cap 2: $out"
check "the prefix cap holds for 127.0.0.3 (1 served), 127.0.0.2 keeps its 2" \
	test "$out" = "127.0.0.3 served=1 rejected=1 other=0 127.0.0.2 served=2 rejected=1 other=0"
check "sluicectl caps del 127.0.0.3/32" bash -c "$(printf '%q ' "$SLUICECTL" --run-dir "$DIR" --instance "k$PORT") caps del 127.0.0.3/32 | grep -qx OK"
wait_clients $PORT 1
out=$(probe $PORT 127.0.0.3:3)
check "without the prefix, 127.0.0.3 is back to the source cap ($out)" \
	test "$out" = "127.0.0.3 served=2 rejected=1 other=0"
check "sluicectl caps set global 3 (maxclients, live)" \
	bash -c "$(printf '%q ' "$SLUICECTL" --run-dir "$DIR" --instance "k$PORT") caps set global 3 | grep -qx OK"
check "caps and CONFIG GET maxclients show 3" \
	bash -c "$(printf '%q ' "$SLUICECTL" --run-dir "$DIR" --instance "k$PORT") caps | grep -qx 'global:3' &&
		redis-cli -p $PORT config get maxclients | tail -1 | grep -qx 3"
wait_clients $PORT 1
out=$(probe $PORT 127.0.0.4:2 127.0.0.5:2)
check "the global cap holds: 3 served in all, the 4th rejected ($out)" \
	test "$out" = "127.0.0.4 served=2 rejected=0 other=0 127.0.0.5 served=1 rejected=1 other=0"
check "caps set global 0 is refused with Redis's range error" \
	bash -c "$(printf '%q ' "$SLUICECTL" --run-dir "$DIR" --instance "k$PORT") caps set global 0 2>&1 | grep -q 'between 1 and 1000000'"

# maxmemory-clients (8mb; one worker holds the whole share).
check "sluice starts with transport kernel, 1 worker" start_kernel $((PORT + 1)) --workers 1
check "CONFIG SET maxmemory-clients 8mb on the data port" \
	bash -c "redis-cli -p $((PORT + 1)) config set maxmemory-clients 8mb | grep -qx OK"
out=$(timeout 120 python3 "$ROOT/tests/integration/eviction_probe.py" 127.0.0.1 $((PORT + 1)) kernel)
rc=$?
echo "$out"
check "eviction probe: the largest client evicted, NO-EVICT kept, evicted_clients counts (exit 0)" \
	test $rc -eq 0
check "CONFIG SET maxmemory-clients 0: no more evictions" \
	bash -c "redis-cli -p $((PORT + 1)) config set maxmemory-clients 0 | grep -qx OK"
ev0=$(info_stat $((PORT + 1)) evicted_clients)
out=$(timeout 120 python3 "$ROOT/tests/integration/eviction_probe.py" 127.0.0.1 $((PORT + 1)) kernel)
ev1=$(info_stat $((PORT + 1)) evicted_clients)
echo "# without maxmemory-clients, evicted_clients $ev0 -> $ev1"
check "without maxmemory-clients nobody is evicted" test "$ev1" = "$ev0"

kill -TERM "$KPID"
wait "$KPID"
check "SIGTERM: exit status 0" test $? -eq 0
sl_finish
