#!/usr/bin/env bash
# Differential test (issue 5): randomized, pipelined RESP2/RESP3 command
# streams sent to redis-server 7.0.15 and to sluice (kernel transport), reply
# bytes compared (tests/compat/diff.py; its normalisation rules are in
# docs/compatibility-testing.md). The harness's self-test first proves that
# it catches a corrupted reply.
source "$(dirname "$0")/lib.sh"
DIR=/tmp/sluice-test-compat
mkdir -p "$DIR"
PIDS=()
cd_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$DIR"
}
trap cd_cleanup EXIT
PORTS=($(python3 "$ROOT/tests/compat/free-ports.py" 2))
REF=${PORTS[0]}
SUT=${PORTS[1]}

check "diff.py self-test: equal servers pass, every corrupted reply is caught" \
	bash "$ROOT/tests/compat/selftest.sh"

redis-server --port "$REF" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
	</dev/null >"$DIR/redis.log" 2>&1 &
PIDS+=($!)
"$SLUICE" --transport kernel --port "$SUT" --run-dir "$DIR" --instance compat </dev/null \
	>"$DIR/sluice.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
	redis-cli -p "$REF" ping >/dev/null 2>&1 && redis-cli -p "$SUT" ping >/dev/null 2>&1 && break
	sleep 0.05
done
for seed in 101 202 303; do
	out=$(timeout 300 python3 "$ROOT/tests/compat/diff.py" --a "127.0.0.1:$REF" --b "127.0.0.1:$SUT" \
		--count 30000 --seed $seed --quiet 2>&1)
	rc=$?
	echo "$out" | grep -A2 MISMATCH | head -9 | sed 's/^/# /'
	check "30,000 random commands (seed $seed): replies identical to redis-server ($(echo "$out" | tail -1))" \
		test $rc -eq 0
done
sl_finish
