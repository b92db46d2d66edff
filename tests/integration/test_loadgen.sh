#!/usr/bin/env bash
# sluice-loadgen (issue 8): the DPDK load generator on sluice's own TCP stack.
#
#   sllg1 <-> sllg1-h   198.18.211.0/24: sluice on af_xdp:sllg1 (.1), the
#                       generator on af_xdp:sllg1-h (.2): two DPDK programs
#                       on the two ends of one veth pair
#   sllg0 <-> sllg0-h   198.18.210.0/24: the generator on af_xdp:sllg0 (.1),
#                       redis-server 7.0 and the deliberately wrong Python
#                       server on the kernel end (.2)
#
# Short closed- and open-loop runs against sluice and redis-server must end
# with 0 errors (exit 0) and print figures; against the wrong server (a
# changed value, swapped replies, a reply cut short) the validator must count
# the fault and exit 1. The server under test runs on CPU 1, the generator's
# lcore on CPU 0. Figures are printed, never asserted.
source "$(dirname "$0")/lib.sh"
LG=$BUILD/tools/loadgen/sluice-loadgen
BAD=$ROOT/tests/integration/loadgen/bad_server.py
OUT=$(mktemp -d /tmp/sllg.XXXXXX)
# for sanitizer builds (SLUICE_BUILD=build-asan): a known leak inside DPDK
export LSAN_OPTIONS=suppressions=$ROOT/tests/integration/loadgen/lsan.supp:fast_unwind_on_malloc=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}
LG_PIDS=()

lg_cleanup() {
	local p
	for p in "${LG_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	# a killed generator leaves the PMD's XDP program behind
	ip link set dev sllg1-h xdp off 2>/dev/null
	ip link set dev sllg0 xdp off 2>/dev/null
	SLUICE_IF=sllg0 SLUICE_HOST_IF=sllg0-h SLUICE_RUN_DIR=/run/sluice-test-sllg0 \
		"$ROOT/deploy/testbed.sh" down >/dev/null 2>&1
	rm -rf "$OUT" /run/sluice-test-sllg0
	sl_cleanup
}

[ -x "$LG" ] || { echo "not ok - $LG is not built (ninja -C $BUILD)"; exit 1; }
sl_topology sllg1 211
trap lg_cleanup EXIT
SLUICE_IF=sllg0 SLUICE_HOST_IF=sllg0-h SLUICE_HOST_ADDR=198.18.210.2/24 \
	SLUICE_RUN_DIR=/run/sluice-test-sllg0 "$ROOT/deploy/testbed.sh" up >/dev/null
NOHUGE=()
grep -q '^no-huge yes' "$SLUICE_RUN_DIR/testbed.conf" && NOHUGE=(--no-huge)

# lg NAME ARGS...: runs the generator on CPU 0, output in $OUT/NAME.{txt,json};
# sets RC. Prints its table as TAP comments.
lg() {
	local name=$1
	shift
	# a loaded host can stall either end for seconds: wait long for replies
	timeout 120 "$LG" --cpu 0 "${NOHUGE[@]}" --json "$OUT/$name.json" --label "$name" \
		--drain-timeout 20 "$@" \
		>"$OUT/$name.txt" 2>"$OUT/$name.err"
	RC=$?
	sed 's/^/# /' "$OUT/$name.txt"
	[ $RC -le 1 ] || sed 's/^/# stderr: /' "$OUT/$name.err" | grep -v 'libbpf\|libxdp' | tail -n 5
}
# jget NAME PATH: a field of a run's JSON, e.g. jget x errors.total
jget() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v = v[k]
print(v)' "$OUT/$1.json" "$2" 2>/dev/null || echo -1
}
clean_run() { # NAME: exit 0, 0 errors, some replies, figures present
	check "$1: exit status 0 (got $RC)" test "$RC" -eq 0
	check "$1: 0 errors in the JSON" test "$(jget "$1" errors.total)" = 0
	check "$1: replies were received and timed" \
		test "$(jget "$1" replies)" -gt 0 -a "$(jget "$1" latency_us.p50)" -gt 0
}

# --- against sluice (af_xdp on both ends of sllg1) -------------------------
# hugepages can vanish on a shared host after the topology was set up
SLX=()
grep -q ' hugetlbfs ' /proc/mounts || [[ " ${SL_ARGS[*]} " == *" --no-huge "* ]] ||
	SLX=(--no-huge yes)
if sl_start --lcores 0@1,1@1 --protected-mode no "${SLX[@]}"; then
	ok "sluice starts on af_xdp:sllg1, CPU 1"
else
	not_ok "sluice starts on af_xdp:sllg1, CPU 1"
	tail -n 5 "$SL_LOG" | sed 's/^/# sluice: /'
fi
LGS=(--port af_xdp:sllg1-h --address 198.18.211.2/24 --server "$SL_ADDR")
lg sluice-closed "${LGS[@]}" --connections 16 --pipeline 8 --duration 2 --workload mix \
	--ratio 9:1 --keys 10000 --dist zipf:0.99 --preload
clean_run sluice-closed
lg sluice-open "${LGS[@]}" --connections 16 --rate 10000 --duration 2 --workload get \
	--keys 10000 --preload
clean_run sluice-open
lg sluice-mget "${LGS[@]}" --connections 4 --pipeline 4 --requests 4000 --workload mget \
	--keys 1000 --value 1024 --preload
clean_run sluice-mget
lg sluice-incr "${LGS[@]}" --connections 4 --pipeline 16 --requests 20000 --workload incr \
	--keys 100
clean_run sluice-incr
check "sluice stops cleanly" sl_stop

# --- against redis-server 7.0 on the kernel end of sllg0 --------------------
LGR=(--port af_xdp:sllg0 --address 198.18.210.1/24)
if command -v redis-server >/dev/null; then
	taskset -c 1 redis-server --bind 198.18.210.2 --port 6379 --save '' --appendonly no \
		--protected-mode no --daemonize no >"$OUT/redis.log" 2>&1 &
	LG_PIDS+=($!)
	for _ in $(seq 50); do
		redis-cli -h 198.18.210.2 ping 2>/dev/null | grep -q PONG && break
		sleep 0.1
	done
	lg redis-closed "${LGR[@]}" --server 198.18.210.2 --connections 16 --pipeline 8 \
		--duration 2 --workload mix --keys 10000 --dist zipf:0.99 --preload --histogram
	clean_run redis-closed
	lg redis-open "${LGR[@]}" --server 198.18.210.2 --connections 16 --rate 10000 \
		--duration 2 --workload get --keys 10000 --preload
	clean_run redis-open
	lg redis-mget "${LGR[@]}" --server 198.18.210.2 --connections 4 --pipeline 4 \
		--requests 4000 --workload mget --keys 1000 --value 1024 --preload
	clean_run redis-mget
else
	echo "ok - # SKIP redis-server is not installed"
fi

# --- the wrong server: the validator must catch it --------------------------
# bad MODE: starts bad_server.py in MODE on 198.18.210.2:6380
bad() {
	python3 "$BAD" 198.18.210.2 6380 "$1" >"$OUT/bad-$1.log" 2>&1 &
	BAD_PID=$!
	LG_PIDS+=("$BAD_PID")
	for _ in $(seq 50); do
		grep -q ready "$OUT/bad-$1.log" && return 0
		sleep 0.1
	done
	return 1
}
unbad() {
	kill -TERM "$BAD_PID" 2>/dev/null
	wait "$BAD_PID" 2>/dev/null
}
BADARGS=("${LGR[@]}" --server 198.18.210.2:6380 --connections 2 --pipeline 4 --workload get
	--keys 100 --preload --drain-timeout 2)

check "control: the Python server in mode ok starts" bad ok
lg bad-ok "${BADARGS[@]}" --requests 2000
clean_run bad-ok
unbad

check "wrong-value server starts" bad wrong
lg bad-wrong "${BADARGS[@]}" --requests 2000
check "wrong value: exit status 1 (got $RC)" test "$RC" -eq 1
check "wrong value: counted as wrong_value (got $(jget bad-wrong errors.wrong_value))" \
	test "$(jget bad-wrong errors.wrong_value)" -gt 0
unbad

check "reply-swapping server starts" bad swap
lg bad-swap "${BADARGS[@]}" --requests 2000
check "swapped replies: exit status 1 (got $RC)" test "$RC" -eq 1
check "swapped replies: counted as out_of_order (got $(jget bad-swap errors.out_of_order))" \
	test "$(jget bad-swap errors.out_of_order)" -gt 0
unbad

check "truncating server starts" bad truncate
lg bad-truncate "${BADARGS[@]}" --requests 2000
check "cut-short reply: exit status 1 (got $RC)" test "$RC" -eq 1
check "cut-short reply: counted as truncated (got $(jget bad-truncate errors.truncated))" \
	test "$(jget bad-truncate errors.truncated)" -gt 0
unbad
sl_finish
