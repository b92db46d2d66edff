#!/usr/bin/env bash
# A client that writes a whole pipeline before reading any reply, over the
# DPDK dataplane (af_xdp -> userspace TCP -> engine): the pattern of Redis's
# "PIPELINING stresser" (100,000 x SET + GET in 4 KiB writes on a blocking
# socket, then 200,000 replies read). While the client writes, its receive
# window is shut by replies it does not read yet, so the stack must keep
# acknowledging its requests through that zero window (docs/tcp.md, "Zero
# window while the peer is still sending"). Every reply is checked in
# order by tests/integration/pipeline_client.py; each run is bounded (no
# progress for 30 s fails it) and prints how long it took, never judging it.
#
# Also with the client on the worker's CPU (the interleaving under which the
# stall showed every time), and with 1 MiB and 16 MiB values: GET replies
# far larger than any socket buffer, so the server's output passes its 16 MiB
# pause watermark while the client is still writing and not reading; the
# pause must give way to such a client (dataplane/server.c, OUT_STALL_US).
source "$(dirname "$0")/lib.sh"
sl_topology slpp0 170
CLIENT=$ROOT/tests/integration/pipeline_client.py
# sluice's automatic lcore map puts worker 0 on the second allowed CPU.
WORKER_CPU=$(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[1] if len(c) > 1 else "")')

# run LABEL [taskset-cpu] -- client args: one bounded client run.
run() {
	local label=$1 cpu=$2 out rc
	shift 3
	local wrap=()
	[ -n "$cpu" ] && wrap=(taskset -c "$cpu")
	out=$(timeout 600 "${wrap[@]}" python3 "$CLIENT" "$SL_ADDR" 6379 --stall 30 "$@" 2>&1)
	rc=$?
	echo "$out" | sed "s/^/# $label: /"
	check "$label: every reply, in order" test $rc -eq 0
}

check "sluice starts on af_xdp" sl_start
run "stresser pattern (100000 SET+GET, 4 KiB writes)" "" -- --count 100000
# Sharing the worker's CPU slows the worker whenever the client runs: the
# interleaving under which Redis's Tcl client stalled every time.
if [ -n "$WORKER_CPU" ]; then
	run "stresser pattern, client on the worker's CPU" "$WORKER_CPU" -- --count 100000
fi
run "1 MiB values (48 SET+GET, 64 KiB writes)" "" -- --count 48 --value-size 1048576 --chunk 65536
run "16 MiB values (4 SET+GET, 64 KiB writes)" "" -- --count 4 --value-size 16777216 --chunk 65536
check "sluice still answers after the runs" \
	bash -c "redis-cli -h $SL_ADDR ping | grep -q PONG"
sl_stop TERM
check "clean stop (exit 0)" test $? -eq 0
grep -E 'worker 0 counters' "$SL_LOG" | sed 's/^.*counters:/# tcp counters:/'
sl_finish
