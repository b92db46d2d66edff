#!/usr/bin/env bash
# Memory limits (issue 9): maxmemory under noeviction, allkeys-lru and
# volatile-lru, CONFIG SET maxmemory live, eviction in a sparse table, and
# values of 1, 16 and 64 MiB. The checks live in memory_probe.py (expected
# texts and semantics are Redis 7.0's); this script runs them against the
# DPDK dataplane (af_xdp on a veth pair) and then, as a cheap second run,
# against the kernel transport. Every probe loop is bounded in count and time.
#
#   bash tests/integration/test_memory.sh            # all phases, both paths
#   MEM_PHASES="lru large" bash tests/integration/test_memory.sh
#   SLUICE_BUILD=$PWD/build-asan ASAN_OPTIONS=detect_leaks=0 bash tests/integration/test_memory.sh
#     (LeakSanitizer reports a known exit-time leak of EAL strings and UMEM)
source "$(dirname "$0")/lib.sh"
PROBE=$ROOT/tests/integration/memory_probe.py
PHASES=${MEM_PHASES:-startup noeviction lru volatile large sparse live}
KPORT=7400
KDIR=/tmp/sluice-test-memory-kernel
LIMITS=(--maxmemory 32mb --maxmemory-policy noeviction)

# run_probe LABEL HOST PORT: prints the probe's lines; each "not ok" counts.
run_probe() {
	local out rc bad
	out=$(timeout -k 5 600 python3 "$PROBE" "$2" "$3" "$1" $PHASES 2>&1)
	rc=$?
	echo "$out"
	bad=$(grep -c '^not ok - ' <<<"$out")
	FAILS=$((FAILS + bad))
	[ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && not_ok "$1: memory_probe.py exited $rc without a failed check"
	return 0
}

sl_topology slmm0 175
mem_cleanup() {
	sl_cleanup
	rm -rf "$KDIR"
}
trap mem_cleanup EXIT

check "sluice starts on af_xdp with maxmemory 32mb, noeviction" sl_start "${LIMITS[@]}"
run_probe dpdk "$SL_ADDR" 6379
check "dpdk: sluice still running and answering PING after the probe" \
	bash -c "kill -0 $SL_PID && redis-cli -h $SL_ADDR ping | grep -qx PONG"
sl_stop TERM
check "dpdk: SIGTERM: exit status 0" test $? -eq 0
check "dpdk: no sanitizer report in sluice's log" \
	bash -c "! grep -Eq 'ERROR: AddressSanitizer|runtime error:' '$SL_LOG'"

mkdir -p "$KDIR"
"$SLUICE" --transport kernel --port $KPORT --run-dir "$KDIR" --instance "mem$KPORT" "${LIMITS[@]}" \
	</dev/null >>"$KDIR/sluice.log" 2>&1 &
KPID=$!
STARTED_PIDS+=("$KPID")
check "sluice starts with transport kernel on 127.0.0.1:$KPORT" \
	bash -c "for i in \$(seq 100); do redis-cli -p $KPORT ping 2>/dev/null | grep -q PONG && exit 0; kill -0 $KPID || exit 1; sleep 0.05; done; exit 1"
run_probe kernel 127.0.0.1 $KPORT
kill -TERM "$KPID"
wait "$KPID"
check "kernel: SIGTERM: exit status 0" test $? -eq 0
check "kernel: no sanitizer report in sluice's log" \
	bash -c "! grep -Eq 'ERROR: AddressSanitizer|runtime error:' '$KDIR/sluice.log'"
sl_finish
