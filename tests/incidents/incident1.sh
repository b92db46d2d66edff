#!/usr/bin/env bash
# Incident 1 replayed (issue 7, acceptance 2): a connection storm.
#
# usage: tests/incidents/incident1.sh [SECONDS]   (default 30: a third idle
# baseline, two thirds storm)
#
# One client namespace with several source addresses reaches sluice (af_xdp,
# maxclients 1000, maxclients-per-source 200, XDP conn-cap 200+50 and
# syn-rate 300/s burst 300 per source) and then redis-server 7.0.15
# (maxclients 1000) through the same router hop. The storm source opens up to
# 3000 connections as fast as it can and keeps the accepted ones; three
# well-behaved sources keep doing SET/GET with checked replies and open a new
# connection every 200 ms. Asserted: functional facts only (the storm gets
# Redis's maxclients error, the well-behaved sources never fail, XDP shed
# SYNs). Latencies are printed with their ratio, never asserted.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/lib.sh"
SECONDS_TOTAL=${1:-30}
BASE=$(python3 -c "print(max(2.0, $SECONDS_TOTAL / 3))")
STORM=$(python3 -c "print(max(3.0, $SECONDS_TOTAL * 2 / 3))")
CAP=200
inc_topology slinc1 190
OUT=$SLUICE_RUN_DIR/incident1
mkdir -p "$OUT"
CTL=("$SLUICECTL" --instance "$SL_INSTANCE" --run-dir "$SLUICE_RUN_DIR")
xdp_stat() { "${CTL[@]}" stats | awk -F': *' -v k="xdp_$1" '$1 == k {print $2}'; }
GOOD="${INC_SOURCES[1]},${INC_SOURCES[2]},${INC_SOURCES[3]}"
replay() { # replay HOST OUT.json
	in_client python3 "$INC_DIR/inc1.py" --host "$1" --storm-src "${INC_SOURCES[0]}" \
		--good "$GOOD" --baseline "$BASE" --storm "$STORM" --attempts 3000 >"$2"
}

echo "# incident 1: ${BASE}s baseline, ${STORM}s storm from ${INC_SOURCES[0]}; well-behaved: $GOOD"
check "sluice starts (maxclients 1000, maxclients-per-source $CAP)" \
	inc_sluice_start --maxclients 1000 --maxclients-per-source $CAP --source-prefix 32
check "sluicectl conn-cap $CAP 50 and syn-rate 300 300" \
	bash -c "$(printf '%q ' "${CTL[@]}") conn-cap $CAP 50 >/dev/null &&
		$(printf '%q ' "${CTL[@]}") syn-rate 300 300 >/dev/null"
syn0=$(xdp_stat drop_syn_rate) cap0=$(xdp_stat drop_conn_cap)
check "sluice: the replay ran" replay "$SL_ADDR" "$OUT/sluice.json"
syn1=$(xdp_stat drop_syn_rate) cap1=$(xdp_stat drop_conn_cap)
XDP_SYN=$((${syn1:-0} - ${syn0:-0})) XDP_CAP=$((${cap1:-0} - ${cap0:-0}))
sl_stop TERM
check "sluice: clean stop (exit 0)" test $? -eq 0
SRC_REJ=$(sed -n 's/.* \([0-9]*\) by maxclients-per-source.*/\1/p' "$SL_LOG" | tail -n 1)

check "redis-server 7.0.15 starts (maxclients 1000)" redis_start --maxclients 1000
check "redis-server: the replay ran" replay "$REDIS_ADDR" "$OUT/redis.json"
REDIS_REJ=$(in_client redis-cli -h "$REDIS_ADDR" info stats | tr -d '\r' |
	sed -n 's/^rejected_connections://p')
redis_stop

python3 "$INC_DIR/report.py" inc1 "$OUT/sluice.json" "$OUT/redis.json" \
	"xdp_syn_shed=$XDP_SYN" "xdp_cap_shed=$XDP_CAP" "sluice_source_rejected=${SRC_REJ:-?}" \
	"redis_rejected_connections=${REDIS_REJ:-?}" | sed 's/^/# /'
S=$OUT/sluice.json R=$OUT/redis.json
storm() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["storm"][sys.argv[2]])' "$1" "$2"; }
check "sluice: the storm source got Redis's maxclients error ($(storm "$S" maxclients_error) times)" \
	test "$(storm "$S" maxclients_error)" -gt 0
check "sluice: the storm source held at most $CAP connections ($(storm "$S" accepted))" \
	test "$(storm "$S" accepted)" -le $CAP
check "sluice: every storm connection it kept answered PING" \
	test "$(storm "$S" held_served)" -eq "$(storm "$S" held_at_end)"
check "sluice: well-behaved sources never failed ($(json_get "$S" good_failures) failures)" \
	test "$(json_get "$S" good_failures)" -eq 0
check "sluice: well-behaved sources kept connecting ($(json_get "$S" good_new_connections_ok) new connections)" \
	test "$(json_get "$S" good_new_connections_ok)" -gt 0
check "sluice: XDP shed SYNs beyond the cap (syn-rate $XDP_SYN, conn-cap $XDP_CAP)" \
	test $((XDP_SYN + XDP_CAP)) -gt 0
check "replay is valid: the storm filled redis-server's maxclients ($(storm "$R" maxclients_error) errors)" \
	test "$(storm "$R" maxclients_error)" -gt 0
sl_finish
