#!/usr/bin/env bash
# Redis 7.0.15's own test suite (obtained at test time with apt-get source,
# never committed) in external mode against sluice, for the units of issue 5
# (unit/type/string, unit/type/incr, unit/type/hash, unit/keyspace,
# unit/expire, unit/protocol, unit/info-command, unit/quit, unit/scan and the
# PIPELINING stresser), over the kernel transport and over the DPDK
# dataplane. tests/compat/skiplist.txt gives the reason for every skipped
# test. Counts are printed; any failure fails the check.
source "$(dirname "$0")/lib.sh"
sl_topology slt7 19
DIR=$SLUICE_RUN_DIR/suite
mkdir -p "$DIR"
KPORT=$(python3 "$ROOT/tests/compat/free-ports.py" 1)

suite() { # suite LABEL HOST PORT [--units "..."]
	local out rc label=$1 host=$2 port=$3
	shift 3
	out=$(timeout 1500 bash "$ROOT/tests/compat/redis-suite.sh" --host "$host" --port "$port" \
		--out "$DIR/$label" --stall-timeout 60 --unit-timeout 300 "$@" 2>&1)
	rc=$?
	echo "$out" | grep -E '^(unit|pipelining|total)' | sed "s/^/# $label: /"
	echo "$out" | grep -E -A3 '^--- failures' | head -20 | sed 's/^/# /'
	check "Redis's own suite over $label: no failure ($(echo "$out" | awk '/^total/ {print $2" passed, "$3" failed, "$4" skipped"}'))" \
		test $rc -eq 0
}

"$SLUICE" --transport kernel --port "$KPORT" --run-dir "$DIR" --instance suite-k \
	</dev/null >"$DIR/kernel.log" 2>&1 &
kpid=$!
STARTED_PIDS+=("$kpid")
for _ in $(seq 100); do redis-cli -p "$KPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
suite kernel 127.0.0.1 "$KPORT"
kill -TERM "$kpid"
wait "$kpid"

check "sluice starts on af_xdp" sl_start
# Every unit, the PIPELINING stresser included (it stalled over the dataplane
# until the TCP stack kept its ACKs acceptable to a client whose window is
# shut; docs/tcp.md, tests/integration/test_pipeline.sh).
suite dpdk "$SL_ADDR" 6379
sl_stop TERM
check "clean stop after the suite (exit 0)" test $? -eq 0
sl_finish
