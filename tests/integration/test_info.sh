#!/usr/bin/env bash
# INFO over the real dataplane (af_xdp on a veth pair) and over the kernel
# transport: the "# Dataplane" section counts redis-benchmark's requests,
# reports cycles per request (printed, never judged), and
# rejected_connections counts a maxclients refusal. Also checks the systemd
# unit with systemd-analyze verify where that tool exists.
source "$(dirname "$0")/lib.sh"
N=2000
KPORT=7410
UNIT=$ROOT/deploy/sluice.service

# --- the systemd unit (no network needed) ---
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants ExecStart's binary to exist: check a copy pointed at the build. It
	# exits 0 on settings it ignores, so any output counts as a failure.
	udir=$(mktemp -d /tmp/sluice-unit.XXXXXX)
	sed "s|/usr/local/bin/sluice|$SLUICE|" "$UNIT" >"$udir/sluice.service"
	vout=$(systemd-analyze verify "$udir/sluice.service" 2>&1)
	vrc=$?
	[ -n "$vout" ] && sed 's/^/# verify: /' <<<"$vout"
	check "deploy/sluice.service passes systemd-analyze verify" test "$vrc" -eq 0 -a -z "$vout"
	rm -rf "$udir"
else
	echo "ok - # SKIP systemd-analyze not installed: deploy/sluice.service not verified"
fi
check "the unit runs sluice with the config file, restarts on failure, no memlock limit" \
	bash -c "grep -qx 'ExecStart=/usr/local/bin/sluice /etc/sluice/sluice.conf' '$UNIT' &&
		grep -qx 'Restart=on-failure' '$UNIT' && grep -qx 'LimitMEMLOCK=infinity' '$UNIT' &&
		grep -qx 'KillSignal=SIGTERM' '$UNIT'"

# --- helpers: one INFO field, one k=v of a dataplane line ---
info() { # info HOST PORT SECTION: INFO text with CR removed
	redis-cli -h "$1" -p "$2" info "$3" | tr -d '\r'
}
field() { # field TEXT NAME: value of "NAME:value"
	awk -F: -v k="$2" '$1 == k {print $2}' <<<"$1"
}
kv() { # kv TEXT LINE KEY: value of KEY=value on line "LINE:..."
	awk -F: -v l="$2" '$1 == l {print $2}' <<<"$1" | tr ',' '\n' | awk -F= -v k="$3" '$1 == k {print $2}'
}
positive() { awk -v v="$1" 'BEGIN {exit !(v + 0 > 0)}'; }

# --- the DPDK path ---
sl_topology slinf0 205
check "sluice starts (maxclients 4)" sl_start --maxclients 4

before=$(info "$SL_ADDR" 6379 dataplane)
echo "# INFO dataplane before:"
sed 's/^/#   /' <<<"$before"
check "INFO dataplane has a worker0 line and a total line" \
	bash -c "grep -q '^worker0:requests=' <<<'$before' && grep -q '^total:requests=' <<<'$before'"
check "INFO dataplane says the cycles are the TSC's, with its rate" \
	bash -c "grep -qx 'cycle_counter:tsc' <<<'$before' && grep -Eqx 'tsc_hz:[1-9][0-9]*' <<<'$before'"
check "worker and total lines carry the same keys" bash -c "
	a=\$(awk -F: '\$1 == \"worker0\" {print \$2}' <<<'$before' | tr ',' '\n' | cut -d= -f1)
	b=\$(awk -F: '\$1 == \"total\" {print \$2}' <<<'$before' | tr ',' '\n' | cut -d= -f1)
	[ -n \"\$a\" ] && [ \"\$a\" = \"\$b\" ]"
documented() { # every key of the total line is in the docs' table
	local k
	for k in requests busy_cycles idle_cycles cycles_per_request loops rx_packets tx_packets \
		connections connections_received rejected_connections; do
		[ -n "$(kv "$before" total "$k")" ] || { echo "# no $k in the total line"; return 1; }
		grep -q "\`$k\`" "$ROOT/docs/operations.md" || { echo "# $k undocumented"; return 1; }
	done
}
check "every dataplane key is in the line and documented in docs/operations.md" documented
req0=$(kv "$before" total requests)

bench_out=$(redis-benchmark -h "$SL_ADDR" -p 6379 -t set -n "$N" -c 2 -P 1 -q 2>&1 | tr '\r' '\n' | awk 'NF' | tail -n 1)
echo "# redis-benchmark -h $SL_ADDR -t set -n $N -c 2 -P 1 -q: $bench_out"
after=$(info "$SL_ADDR" 6379 dataplane)
echo "# INFO dataplane after:"
sed 's/^/#   /' <<<"$after"
req1=$(kv "$after" total requests)
check "requests grew by at least $N ($req0 -> $req1)" test "$((req1 - req0))" -ge "$N"
cpr=$(kv "$after" total cycles_per_request)
hz=$(field "$after" tsc_hz)
check "cycles_per_request is printed and > 0 ($cpr)" positive "$cpr"
check "the worker line's requests grew too" test "$(kv "$after" worker0 requests)" -gt "$(kv "$before" worker0 requests)"
check "rx and tx packets were counted" positive "$(kv "$after" total rx_packets)"
check "TCP counters are in the line" bash -c "grep -q ',tcp_[a-z_]*=[0-9]' <<<'$after'"

# Figures (printed, never judged): busy cycles per request over each run alone.
figure() { # figure BEFORE AFTER LABEL
	local r b
	r=$(($(kv "$2" total requests) - $(kv "$1" total requests)))
	b=$(($(kv "$2" total busy_cycles) - $(kv "$1" total busy_cycles)))
	[ "$r" -gt 0 ] && [ "${hz:-0}" -gt 0 ] &&
		awk -v b="$b" -v r="$r" -v h="$hz" -v l="$3" 'BEGIN {
			printf "# figure: %s: %d requests, %.0f busy cycles per request (%.2f us at tsc_hz %.0f)\n",
				l, r, b / r, b / r / h * 1e6, h }'
}
figure "$before" "$after" "redis-benchmark -t set -n $N -c 2 -P 1"
p16=$(redis-benchmark -h "$SL_ADDR" -p 6379 -t set -n 20000 -c 2 -P 16 -q 2>&1 | tr '\r' '\n' | awk 'NF' | tail -n 1)
after16=$(info "$SL_ADDR" 6379 dataplane)
echo "# redis-benchmark -h $SL_ADDR -t set -n 20000 -c 2 -P 16 -q: $p16"
figure "$after" "$after16" "redis-benchmark -t set -n 20000 -c 2 -P 16"

stats0=$(info "$SL_ADDR" 6379 stats)
rej0=$(field "$stats0" rejected_connections)
check "a fifth connection gets Redis's maxclients error" \
	python3 "$ROOT/tests/integration/maxclients_probe.py" "$SL_ADDR" 6379 4
stats1=$(info "$SL_ADDR" 6379 stats)
rej1=$(field "$stats1" rejected_connections)
check "rejected_connections counted the refusal ($rej0 -> $rej1)" test "$((rej1 - rej0))" -eq 1
check "the dataplane line counts it too" \
	test "$(kv "$(info "$SL_ADDR" 6379 dataplane)" total rejected_connections)" -ge 1
clients=$(info "$SL_ADDR" 6379 clients)
check "connected_clients counts the INFO client itself" test "$(field "$clients" connected_clients)" -ge 1
check "client_recent_max_output_buffer is measured (> 0 after replies)" \
	positive "$(field "$clients" client_recent_max_output_buffer)"
# The INFO client holds one 16 KiB input segment; an accounting slip would show
# as a huge (wrapped) or zero figure.
mem=$(field "$(info "$SL_ADDR" 6379 memory)" mem_clients_normal)
check "mem_clients_normal counts the connected client's buffers ($mem bytes)" \
	bash -c "[ '$mem' -ge 16384 ] && [ '$mem' -lt 1048576 ]"
check "INFO default leaves the dataplane section out; INFO all has it" bash -c "
	! redis-cli -h $SL_ADDR info | grep -q '^# Dataplane' &&
	redis-cli -h $SL_ADDR info all | grep -q '^# Dataplane'"
# A client that stops reading is paused (its input waits), shown live in INFO
# sluice, and resumed once it reads; every reply arrives whole.
out=$(timeout 60 python3 "$ROOT/tests/integration/pause_probe.py" "$SL_ADDR" 6379)
echo "# 40 pipelined GETs of 1 MiB, not read for 0.6 s: $out"
check "INFO sluice shows the non-reading client paused, then not" \
	bash -c "echo '$out' | grep -Eq '^during=1 pauses=[1-9][0-9]* after=0 intact=1 '"
check "INFO sluice counts the value the waiting replies hold by reference (pinned 1, then 0)" \
	bash -c "echo '$out' | grep -Eq ' pinned=1,0$'"
check "INFO sluice shows the XDP program's decisions (SYNs redirected)" \
	bash -c "redis-cli -h $SL_ADDR info sluice | tr -d '\r' | grep -Eq '^xdp:.*redirect_syn=[1-9]'"
check "sluice exits 0 on SIGTERM" sl_stop TERM

# --- the kernel transport: requests and connections only ---
KDIR=$SLUICE_RUN_DIR/kernel
mkdir -p "$KDIR"
"$SLUICE" --transport kernel --bind 127.0.0.1 --port "$KPORT" --run-dir "$KDIR" \
	--instance "k$KPORT" </dev/null >>"$KDIR/sluice.log" 2>&1 &
KPID=$!
STARTED_PIDS+=("$KPID")
for _ in $(seq 100); do
	redis-cli -p "$KPORT" ping 2>/dev/null | grep -q PONG && break
	sleep 0.05
done
k0=$(info 127.0.0.1 "$KPORT" dataplane)
redis-benchmark -p "$KPORT" -t set -n "$N" -c 2 -q >/dev/null 2>&1
k1=$(info 127.0.0.1 "$KPORT" dataplane)
echo "# INFO dataplane over the kernel transport:"
sed 's/^/#   /' <<<"$k1"
check "kernel transport: requests grew by at least $N" \
	test "$(($(kv "$k1" total requests) - $(kv "$k0" total requests)))" -ge "$N"
check "kernel transport: no cycle counters, and it says so" \
	bash -c "grep -qx 'cycle_counter:none' <<<'$k1' && ! grep -q 'cycles_per_request' <<<'$k1'"
kill -TERM "$KPID"
wait "$KPID"
check "kernel transport exits 0 on SIGTERM" test $? -eq 0

sl_finish
