#!/usr/bin/env bash
# Egress pacing over the real port (issue 7): a per-connection rate and the
# port's aggregate rate hold replies back to their rate (data waits in the
# connection, nothing is dropped), and every reply arrives intact. A rate is
# a ceiling, so the checks are lower bounds on transfer time, which machine
# load cannot break; the measured rates are printed.
source "$(dirname "$0")/lib.sh"
sl_topology slpc0 222
PROBE=$ROOT/tests/integration/pacing_probe.py

# rate MBIT SECONDS BYTES: achieved Mbit/s
rate() { awk -v s="$1" -v b="$2" 'BEGIN { printf "%.1f", b * 8 / s / 1000000 }'; }
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'; }

check "sluice starts with conn-rate-mbps 16" sl_start --conn-rate-mbps 16
check "the log states the pacing" grep -q "egress pacing: port .* per connection capped" "$SL_LOG"
out=$(timeout 60 python3 "$PROBE" $SL_ADDR 6379 big 4194304 1)
echo "# conn-rate 16 Mbit/s, one GET of 4 MiB: $out ($(rate $(field "$out" seconds) $(field "$out" bytes)) Mbit/s)"
# 4 MiB at 16 Mbit/s takes 2.1 s; the pacer allows about 1 ms of burst.
check "a 4 MiB reply at 16 Mbit/s per connection takes at least 1.8 s, intact" \
	bash -c "[ $(field "$out" intact) = 1 ] && awk 'BEGIN { exit !($(field "$out" seconds) >= 1.8) }'"
out=$(timeout 60 python3 "$PROBE" $SL_ADDR 6379 big 1048576 4)
echo "# conn-rate 16 Mbit/s, four GETs of 1 MiB at once: $out ($(rate $(field "$out" seconds) $(field "$out" bytes)) Mbit/s in all)"
check "four connections each keep their own rate (1 MiB each in at least 0.45 s), intact" \
	bash -c "[ $(field "$out" intact) = 1 ] && awk 'BEGIN { exit !($(field "$out" seconds) >= 0.45) }'"
sl_stop TERM

check "sluice starts with port-rate-mbps 24" sl_start --port-rate-mbps 24
check "the log states the port rate" grep -q "egress pacing: port 24 Mbit/s" "$SL_LOG"
out=$(timeout 60 python3 "$PROBE" $SL_ADDR 6379 big 1048576 4)
echo "# port-rate 24 Mbit/s, four GETs of 1 MiB at once: $out ($(rate $(field "$out" seconds) $(field "$out" bytes)) Mbit/s in all)"
# 4 MiB in all at 24 Mbit/s: 1.4 s.
check "the port rate caps the sum (4 MiB in at least 1.2 s), intact" \
	bash -c "[ $(field "$out" intact) = 1 ] && awk 'BEGIN { exit !($(field "$out" seconds) >= 1.2) }'"
paced=$(redis-cli -h $SL_ADDR info dataplane | tr -d '\r' | tr ',' '\n' | awk -F= '$1 == "tcp_paced" {print $2; exit}')
echo "# tcp_paced=$paced"
check "INFO dataplane counts the sends pacing held back" test "${paced:-0}" -gt 0
sl_stop TERM

# Live changes through sluicectl (the admin socket), under load: a transfer
# in flight at 16 Mbit/s speeds up when the cap is lifted, and a new cap holds
# the next transfer back.
ctl() { "$SLUICECTL" --instance "$SL_INSTANCE" --run-dir "$SLUICE_RUN_DIR" "$@"; }
ctl_says() { # ctl_says PATTERN ARGS...: sluicectl ARGS prints a line matching PATTERN
	local pat=$1
	shift
	ctl "$@" | grep -Eq "$pat"
}
# change_in_flight SECONDS "SLUICECTL ARGS" KEY SIZE CONNS: runs the probe,
# and SECONDS after its GETs went out runs sluicectl ARGS; prints its result.
change_in_flight() {
	local after=$1 change=$2 probe
	shift 2
	rm -f "$SLUICE_RUN_DIR/started"
	timeout 60 python3 "$PROBE" $SL_ADDR 6379 "$@" "$SLUICE_RUN_DIR/started" \
		>"$SLUICE_RUN_DIR/inflight.out" &
	probe=$!
	for _ in $(seq 300); do [ -e "$SLUICE_RUN_DIR/started" ] && break; sleep 0.1; done
	sleep "$after"
	ctl $change >/dev/null
	wait $probe
	cat "$SLUICE_RUN_DIR/inflight.out"
}
check "sluice starts unpaced per connection" sl_start
check "sluicectl pacing conn 16" ctl_says OK pacing conn 16
check "sluicectl pacing shows it" ctl_says "^conn_rate_mbps:16$" pacing
check "sluicectl config get shows it too" ctl_says "(^|[^0-9])16$" config get conn-rate-mbps
check "sluicectl pacing conn rejects a negative rate" \
	bash -c "! $(printf '%q ' "$SLUICECTL") --instance $SL_INSTANCE --run-dir $SLUICE_RUN_DIR pacing conn -5 2>&1 | grep -q OK"
check "INFO sluice shows the pacing state" \
	bash -c "redis-cli -h $SL_ADDR info sluice | tr -d '\r' | grep -q '^pacing:port_rate_mbps=[0-9]*,conn_rate_mbps=16,link_mbps='"
out=$(timeout 60 python3 "$PROBE" $SL_ADDR 6379 big 4194304 1)
echo "# after a live set to 16 Mbit/s, one GET of 4 MiB: $out"
check "the live cap holds the next transfer back (at least 1.8 s), intact" \
	bash -c "[ $(field "$out" intact) = 1 ] && awk 'BEGIN { exit !($(field "$out" seconds) >= 1.8) }'"
ctl pacing conn 16 >/dev/null
out=$(change_in_flight 1 "pacing conn off" big2 8388608 1)
echo "# 8 MiB at 16 Mbit/s (4.2 s paced), cap lifted 1 s into the transfer: $out"
check "lifting the cap speeds up the transfer in flight (done well before 4.2 s), intact" \
	bash -c "[ $(field "$out" intact) = 1 ] && awk 'BEGIN { s = $(field "$out" seconds); exit !(s >= 0.9 && s < 3.5) }'"
# The port rate, live: four parallel 1 MiB replies held to 8 Mbit/s together
# (4 MiB: 4.2 s) finish early once the default (95% of the link) is back.
check "sluicectl pacing port 8" ctl_says OK pacing port 8
check "sluicectl pacing shows the port rate in effect" ctl_says "^port_rate_effective_mbps:8$" pacing
out=$(change_in_flight 0.5 "pacing port default" big 1048576 4)
echo "# four GETs of 1 MiB at port rate 8 Mbit/s (4.2 s paced), default back 0.5 s in: $out"
check "lifting the port rate speeds up the transfers in flight (done well before 4.2 s), intact" \
	bash -c "[ $(field "$out" intact) = 1 ] && awk 'BEGIN { s = $(field "$out" seconds); exit !(s >= 0.4 && s < 3.5) }'"
check "sluicectl pacing shows the default port rate" ctl_says "^port_rate_mbps:0$" pacing
check "sluicectl pacing counts sends held back" \
	bash -c "$(printf '%q ' "$SLUICECTL") --instance $SL_INSTANCE --run-dir $SLUICE_RUN_DIR pacing | awk -F: '/_paced_sends:/ && \$2 > 0 {ok = 1} END {exit !ok}'"
sl_stop TERM

check "sluice starts with port-rate-mbps -1 (no pacing)" sl_start --port-rate-mbps -1
check "the log says the port is unpaced" grep -q "egress pacing: port unpaced" "$SL_LOG"
out=$(timeout 60 python3 "$PROBE" $SL_ADDR 6379 big 4194304 1)
echo "# unpaced, one GET of 4 MiB: $out ($(rate $(field "$out" seconds) $(field "$out" bytes)) Mbit/s)"
check "unpaced, the reply arrives intact" test "$(field "$out" intact)" = 1
sl_stop TERM
check "clean stop (exit 0)" test $? -eq 0
sl_finish
