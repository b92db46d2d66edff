#!/usr/bin/env bash
# Incident 2 replayed (issue 7, acceptance 3): congested egress.
#
# usage: tests/incidents/incident2.sh [SECONDS]   (default 30 of load per
# server, after a 5 s baseline)
#
# 8 clients in the client namespace each pipeline 8 GETs of 1 MiB values and
# read the replies slowly, through a 50 Mbit/s tbf on the router's egress
# toward them; a prober on the router (an uncongested path) does PING every
# 20 ms and samples INFO every 100 ms. sluice runs with an output budget of
# 32 MiB per worker (output-memory-budget), redis-server 7.0.15 with its
# defaults (normal clients' output buffers unlimited). Asserted: every reply
# intact (SHA-256), no client disconnected, sluice's exact output-memory peak
# (INFO) under the budget plus one reply and the floor per client, the budget
# paused readers. PING latency is printed, never asserted.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/lib.sh"
LOAD=${1:-30}
BASE=5
CLIENTS=8 PIPELINE=8 VALUE=$((1 << 20))
BUDGET_MB=32 RATE_MBIT=50
inc_topology slinc2 194
OUT=$SLUICE_RUN_DIR/incident2
mkdir -p "$OUT"

check "tbf ${RATE_MBIT} Mbit/s on the router's egress toward the clients" \
	ip netns exec "$INC_ROUTER" tc qdisc replace dev "$INC_R_OUT" root tbf \
	rate ${RATE_MBIT}mbit burst 32kb latency 50ms

# replay HOST NAME: values stored, prober on the router for the whole run,
# load from the client namespace after the baseline.
replay() {
	local host=$1 name=$2 ppid rc
	in_client python3 "$INC_DIR/inc2.py" setup "$host" --keys 4 --value-size $VALUE \
		>/dev/null || return 1
	ip netns exec "$INC_ROUTER" python3 "$INC_DIR/inc2.py" probe "$host" \
		--seconds "$((BASE + LOAD + 3))" >"$OUT/$name-probe.json" &
	ppid=$!
	INC_PIDS+=("$ppid")
	sleep "$BASE"
	in_client python3 "$INC_DIR/inc2.py" load "$host" --clients $CLIENTS \
		--pipeline $PIPELINE --keys 4 --value-size $VALUE --seconds "$LOAD" >"$OUT/$name-load.json"
	rc=$?
	wait "$ppid"
	return $rc
}

echo "# incident 2: $CLIENTS clients x $PIPELINE pipelined GETs of $VALUE bytes, ${LOAD}s, tbf ${RATE_MBIT} Mbit/s"
check "sluice starts (output-memory-budget ${BUDGET_MB}mb)" \
	inc_sluice_start --output-memory-budget ${BUDGET_MB}mb
check "sluice: the replay ran" replay "$SL_ADDR" sluice
sl_stop TERM
check "sluice: clean stop (exit 0)" test $? -eq 0

check "redis-server 7.0.15 starts (defaults: normal output buffers unlimited)" redis_start
check "redis-server: the replay ran" replay "$REDIS_ADDR" redis
redis_stop

python3 "$INC_DIR/report.py" inc2 "$OUT/sluice-load.json" "$OUT/sluice-probe.json" \
	"$OUT/redis-load.json" "$OUT/redis-probe.json" "budget=$((BUDGET_MB << 20))" \
	"clients=$CLIENTS" "value=$VALUE" | sed 's/^/# /'
L=$OUT/sluice-load.json P=$OUT/sluice-probe.json
peak() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["peak"].get(sys.argv[2], -1))' "$P" "$1"; }
replies=$(json_get "$L" ok)
check "sluice: replies arrived intact ($replies, SHA-256 checked)" test "${replies:-0}" -gt 0
check "sluice: no wrong reply ($(json_get "$L" bad))" test "$(json_get "$L" bad)" -eq 0
check "sluice: no client disconnected ($(json_get "$L" disconnects))" \
	test "$(json_get "$L" disconnects)" -eq 0
MARGIN=$((VALUE + CLIENTS * (VALUE + 65536)))
PEAK=$(peak sluice_output_peak)
check "sluice: output memory peak $PEAK <= budget $((BUDGET_MB << 20)) + margin $MARGIN" \
	test "$PEAK" -ge 0 -a "$PEAK" -le $(((BUDGET_MB << 20) + MARGIN))
check "sluice: INFO reports the configured budget" \
	test "$(peak sluice_output_budget)" -eq $((BUDGET_MB << 20))
check "sluice: the budget paused readers ($(peak sluice_output_pauses) pauses)" \
	test "$(peak sluice_output_pauses)" -gt 0
check "sluice: the prober's PING and INFO never failed" \
	test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["errors"]))' "$P")" -eq 0
sl_finish
