#!/usr/bin/env bash
# Connection caps changed live through `sluicectl caps` while a client keeps
# working (issue 7, acceptance 5): the per-source cap, a per-prefix cap, the
# global cap (maxclients), and the XDP half of the per-source cap. Clients
# come from three addresses of the kernel end (.2 runs the load, .3 and .4
# probe the caps); a capped source gets Redis's "max number of clients
# reached", a source at its XDP cap has its SYNs shed (counted).
source "$(dirname "$0")/lib.sh"
sl_topology slcap0 230
CTL=("$SLUICECTL" --instance "$SL_INSTANCE" --run-dir "$SLUICE_RUN_DIR")
PROBE=$ROOT/tests/integration/caps_probe.py
NET=198.18.230
ctl() { "${CTL[@]}" "$@"; }
ctl_says() { # ctl_says PATTERN ARGS...
	local pat=$1
	shift
	ctl "$@" | grep -Eq "$pat"
}
xdp_stat() { ctl stats | awk -F: -v k="xdp_$1" '$1 == k {print $2}'; }
# hold SRC N, once the connections of the previous hold are gone (only the
# load's 4 remain: connected_clients from STATS).
hold() {
	for _ in $(seq 50); do
		ctl stats | grep -qx 'connected_clients:4' && break
		sleep 0.1
	done
	timeout 60 python3 "$PROBE" hold $SL_ADDR "$@"
}

ip addr add $NET.3/24 dev "$SLUICE_HOST_IF"
ip addr add $NET.4/24 dev "$SLUICE_HOST_IF"

check "sluice starts" sl_start
check "caps shows the global cap and no per-source cap" \
	bash -c "$(printf '%q ' "${CTL[@]}") caps | grep -qx 'global:10000' && $(printf '%q ' "${CTL[@]}") caps | grep -qx 'source:0'"
check "caps set $NET.2 0 (the load's source: never capped)" ctl_says '^OK$' caps set $NET.2 0

rm -f "$SLUICE_RUN_DIR/stop"
timeout 150 python3 "$PROBE" load $SL_ADDR $NET.2 "$SLUICE_RUN_DIR/stop" >"$SLUICE_RUN_DIR/load.out" &
load=$!
sleep 0.5

out=$(hold $NET.3 5)
echo "# no cap, 5 connections from .3: $out"
check "without a cap, all 5 are served" test "$out" = "served=5 rejected=0 shed=0 other=0"

check "caps set source 3 2 (live)" ctl_says '^OK$' caps set source 3 2
check "caps shows it, dataplane and XDP" \
	bash -c "$(printf '%q ' "${CTL[@]}") caps | tr '\n' ' ' | grep -q 'source:3 .*xdp_source:3 xdp_slack:2'"
out=$(hold $NET.3 5)
echo "# source cap 3, 5 connections from .3: $out"
check "the source cap holds: 3 served, 2 get Redis's error" \
	test "$out" = "served=3 rejected=2 shed=0 other=0"

check "caps set $NET.4/32 1 (a prefix cap, live)" ctl_says '^OK$' caps set $NET.4/32 1
check "caps lists the prefix" ctl_says "^prefix:$NET.4/32 1$" caps
out=$(hold $NET.4 3)
echo "# prefix cap 1, 3 connections from .4: $out"
check "the prefix cap holds: 1 served, 2 rejected" test "$out" = "served=1 rejected=2 shed=0 other=0"
out=$(hold $NET.3 4)
check "other sources keep the source cap (3 of 4 from .3)" \
	test "$out" = "served=3 rejected=1 shed=0 other=0"
check "caps del $NET.4/32" ctl_says '^OK$' caps del $NET.4/32
out=$(hold $NET.4 4)
check "after del, .4 is back to the source cap (3 of 4)" \
	test "$out" = "served=3 rejected=1 shed=0 other=0"

# Slack 0: the XDP program sheds a source's SYNs once it holds its cap.
check "caps set source 3 0 (XDP sheds at the cap itself)" ctl_says '^OK$' caps set source 3 0
shed0=$(xdp_stat drop_conn_cap)
out=$(hold $NET.3 4)
shed1=$(xdp_stat drop_conn_cap)
echo "# source cap 3 slack 0, 4 connections from .3: $out; xdp_drop_conn_cap $shed0 -> $shed1"
check "XDP sheds the 4th SYN from .3 (3 served, 1 unanswered)" \
	test "$out" = "served=3 rejected=0 shed=1 other=0"
check "the shed SYNs are counted (xdp_drop_conn_cap grew)" test "${shed1:-0}" -gt "${shed0:-0}"

# The global cap: the load's 4 connections count, so maxclients 8 leaves 4.
check "caps set source 5 without a slack: XDP sheds at 5 + 16" ctl_says '^OK$' caps set source 5
check "caps shows the default slack" \
	bash -c "$(printf '%q ' "${CTL[@]}") caps | tr '\n' ' ' | grep -q 'source:5 .*xdp_source:5 xdp_slack:16'"
check "caps set source 0 (no per-source cap)" ctl_says '^OK$' caps set source 0
check "caps set global 8 (live)" ctl_says '^OK$' caps set global 8
check "config get maxclients agrees" ctl_says '^maxclients 8$' config get maxclients
out=$(hold $NET.4 6)
echo "# maxclients 8 with the load's 4 connections, 6 more from .4: $out"
check "the global cap holds: 4 served, 2 get Redis's error" \
	test "$out" = "served=4 rejected=2 shed=0 other=0"
check "caps set global 10000" ctl_says '^OK$' caps set global 10000
check "caps rejects a bad prefix with an error" \
	bash -c "! $(printf '%q ' "${CTL[@]}") caps set 198.18.300.0/24 1 2>&1 | grep -q '^OK'"
check "stats counts the per-source rejections" \
	bash -c "$(printf '%q ' "${CTL[@]}") stats | awk -F: '\$1 == \"rejected_connections_source\" && \$2 >= 6 {ok = 1} END {exit !ok}'"

touch "$SLUICE_RUN_DIR/stop"
wait $load
out=$(cat "$SLUICE_RUN_DIR/load.out")
echo "# the load from .2 through every change: $out"
check "the load ran through every change without an error" \
	bash -c "echo '$out' | grep -Eq '^requests=[1-9][0-9]* errors=0$'"
sl_stop TERM
check "clean stop (exit 0)" test $? -eq 0
sl_finish
