#!/usr/bin/env bash
# Starting twice, starting after kill -9, and clean shutdowns.
source "$(dirname "$0")/lib.sh"
sl_topology slt1 11

check "first instance starts" sl_start
first=$SL_PID

out=$("$SLUICE" "${SL_ARGS[@]}" 2>&1)
rc=$?
check "second start of the same instance fails (exit $rc)" test $rc -eq 1
check "... saying the instance already runs, with its pid" \
	bash -c "echo \"\$1\" | grep -q \"instance '$SL_INSTANCE' is already running (pid $first\"" _ "$out"

args=("${SL_ARGS[@]}")
args[5]=other-$SL_INSTANCE # --instance value
out=$("$SLUICE" "${args[@]}" 2>&1)
rc=$?
check "another instance on the same device fails (exit $rc)" test $rc -eq 1
check "... saying the device is driven by the first pid" \
	bash -c "echo \"\$1\" | grep -q 'device af_xdp:$SLUICE_IF is already driven by sluice pid $first'" _ "$out"
check "the first instance still answers" \
	bash -c "ping -c 2 -W 2 -I $SLUICE_HOST_IF $SL_ADDR | grep -q '2 received'"

sl_stop KILL
check "after kill -9 the XDP program is still attached" \
	bash -c "ip link show $SLUICE_IF | grep -q ' xdp'"
check "after kill -9 the pins remain" test -e "/sys/fs/bpf/sluice/$SL_INSTANCE/prog"

check "start after kill -9 succeeds" sl_start
check "... detaching the stale program" grep -q "detached stale sluice XDP program" "$SL_LOG"
check "... removing the stale pins (program and its 6 maps)" grep -q "removed 7 stale pin(s)" "$SL_LOG"
check "... and answers ping" \
	bash -c "ping -c 3 -W 2 -I $SLUICE_HOST_IF $SL_ADDR | grep -q '3 received'"
check "... and ARP" bash -c "arping -c 1 -w 3 -I $SLUICE_HOST_IF $SL_ADDR >/dev/null"
out=$(python3 "$ROOT/tests/integration/drain_probe.py" "$SL_ADDR" 6379 "$SL_PID" 2>&1)
rc=$?
echo "# drain: $out"
check "SIGTERM mid-pipeline: every acknowledged reply arrives whole and in order" test $rc -eq 0
# The probe sent the SIGTERM itself: wait for sluice to finish draining and exit.
for _ in $(seq 100); do kill -0 "$SL_PID" 2>/dev/null || break; sleep 0.1; done
wait "$SL_PID"
rc=$?
check "clean stop after the drain (exit $rc)" test $rc -eq 0
check "the log says the drain delivered everything" grep -q "drained: every reply in flight was delivered" "$SL_LOG"
check "nothing left attached" bash -c "! ip link show $SLUICE_IF | grep -q ' xdp'"
sl_finish
