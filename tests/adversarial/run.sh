#!/usr/bin/env bash
# tests/adversarial/run.sh [DURATION_S]: adversarial TCP traffic from scapy
# (issue 9). Each attack runs DURATION_S seconds (default 60; the CI version,
# tests/integration/test_adversarial.sh, runs 4).
#
# sluice runs in the root namespace on af_xdp veth $ADV_IF (198.18.$ADV_IDX.1,
# --protected-mode no: the spoofed sources are outside its subnet); the
# kernel end moves into the client namespace $ADV_IF-c (198.18.$ADV_IDX.2).
# Spoofed sources are in 198.18.180.0/22: the namespace does not own them, so
# its kernel drops sluice's answers, which attacks.py reads on an AF_PACKET
# socket. For each attack: a fresh sluice; legit.py's clients (SET/GET with
# checked replies) run a baseline phase, then the attack (attacks.py, its own
# checks), then an after phase; then sluice must be alive, the clients must
# have had no error, and sluice's counters (XDP decisions from sluicectl
# stats while it runs, the TCP stack's and IPv4 layer's from its shutdown
# line "worker 0 counters:") must show the attack. Latencies are printed,
# never judged.
#
# SLUICE_BUILD=build-asan runs the sanitizer build. ADV_RATE (frames/s, 2000),
# ADV_CONNS (zero-window connections, 200), ADV_ONLY (space-separated attack
# names) tune it; ADV_IF / ADV_IDX pick the veth and subnet (sladv1, 185; the
# CI version uses sladv0, 184).
DURATION=${1:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
case ${SLUICE_BUILD:-} in
"" | /*) ;;
*) export SLUICE_BUILD=$ROOT/$SLUICE_BUILD ;;
esac
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/integration/tcp/tcp_lib.sh"
ADV_IF=${ADV_IF:-sladv1}
ADV_IDX=${ADV_IDX:-185}
RATE=${ADV_RATE:-2000}
CONNS=${ADV_CONNS:-200}
ONLY=${ADV_ONLY:-synflood rst ack options zerowin garbage}
NS=$ADV_IF-c
PY=/usr/bin/python3 # Debian's, where python3-scapy is installed
LEGIT_PID=
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

LOGS=${ADV_LOG_DIR:-$BUILD/test-logs}
adv_cleanup() {
	[ -n "$LEGIT_PID" ] && kill "$LEGIT_PID" 2>/dev/null && wait "$LEGIT_PID" 2>/dev/null
	mkdir -p "$LOGS" && cp "$SL_LOG" "$LOGS/adversarial-sluice.log" 2>/dev/null &&
		echo "# sluice log kept in $LOGS/adversarial-sluice.log"
	sl_cleanup
	ip netns del "$NS" 2>/dev/null
}
ip netns del "$NS" 2>/dev/null
sl_topology "$ADV_IF" "$ADV_IDX"
trap adv_cleanup EXIT
SL_ARGS+=(--protected-mode no)
# Ordinary pages, whatever testbed.sh found: the hugepage pool and its mount
# are machine-wide, and other tests may release them while this one restarts
# sluice for each attack. Nothing measured here depends on hugepages.
[[ " ${SL_ARGS[*]} " == *" --no-huge yes "* ]] || SL_ARGS+=(--no-huge yes)
SL_ARGS+=(--memory 512)
DIR=$SLUICE_RUN_DIR/scratch
mkdir -p "$DIR"
inc() { ip netns exec "$NS" "$@"; }
ip netns add "$NS"
ip link set "$SLUICE_HOST_IF" netns "$NS"
inc ip link set lo up
inc ip addr add "198.18.$ADV_IDX.2/24" dev "$SLUICE_HOST_IF"
inc ip link set "$SLUICE_HOST_IF" up
inc ethtool -K "$SLUICE_HOST_IF" tx off tso off gso off gro off rx off >/dev/null 2>&1
SL_MAC=$(cat "/sys/class/net/$SLUICE_IF/address")
CTL=("$SLUICECTL" --instance "$SL_INSTANCE" --run-dir "$SLUICE_RUN_DIR")
xdp() { "${CTL[@]}" stats | awk -F: -v k="xdp_$1" '$1 == k {print $2}'; }
check "python3-scapy is installed" "$PY" -c "import scapy"

# The TCP stack's and the IPv4 layer's counter from the last shutdown line.
counter() { tcp_counter "$1"; }
# expect NAME OP VALUE WHY: one counter check, named.
expect() {
	local v
	v=$(counter "$1")
	check "$ATTACK: counter $1=$v $2 $3 ($4)" test "$v" "-$2" "$3"
}

# begin NAME [sluice args]: fresh sluice, legit clients, baseline phase.
begin() {
	ATTACK=$1
	shift
	echo "# ---- $ATTACK (${DURATION} s at ${RATE} frames/s)"
	if ! sl_start "$@"; then
		not_ok "$ATTACK: sluice starts"
		tail -n 20 "$SL_LOG" | sed 's/^/# sluice: /'
		return 1
	fi
	ok "$ATTACK: sluice starts"
	rm -f "$DIR/legit.json" "$DIR/legit.json.ready"
	ip netns exec "$NS" "$PY" "$HERE/legit.py" "$SL_ADDR" 6379 --clients 4 --interval 0.01 \
		--out "$DIR/legit.json" </dev/null &
	LEGIT_PID=$!
	for _ in $(seq 200); do
		[ -f "$DIR/legit.json.ready" ] && break
		sleep 0.1
	done
	sleep 3 # baseline
	kill -USR1 "$LEGIT_PID"
	SCHED0=$(sched_wait)
}

# attack ARGS...: attacks.py in the namespace; its checks count here.
attack() {
	local out rc
	out=$(inc timeout -k 5 $((${DURATION%.*} * 3 + 120)) "$PY" "$HERE/attacks.py" "$@" \
		--iface "$SLUICE_HOST_IF" --sl-mac "$SL_MAC" --sl-ip "$SL_ADDR" \
		--duration "$DURATION" --rate "$RATE" --sluice-pid "$SL_PID" 2>&1)
	rc=$?
	echo "$out" | sed -E "s/^(ok|not ok) - /\1 - $ATTACK: /; /^(ok|not ok) - |^#/!s/^/# /"
	FAILS=$((FAILS + $(grep -c '^not ok - ' <<<"$out")))
	ATTACK_OUT=$out
	check "$ATTACK: attacks.py $1 finished (exit $rc)" test $rc -eq 0
}

# end: after phase, legit clients' figures and errors, sluice alive, stop,
# shutdown counters.
end() {
	sleep 1
	kill -USR1 "$LEGIT_PID"
	echo "# sluice's threads waited $(($(sched_wait) - SCHED0)) ms for a CPU during the attack"
	sleep 2 # after
	kill -TERM "$LEGIT_PID"
	wait "$LEGIT_PID"
	LEGIT_PID=
	"$PY" - "$DIR/legit.json" <<'PY' | sed 's/^/# legit /'
import json, sys
r = json.load(open(sys.argv[1]))
for p in ("before", "during", "after"):
    x = r[p]
    print("%-6s %6d requests, %d errors, p50 %s ms, p99 %s ms, max %s ms" %
          (p, x["ops"], x["errors"], x["p50_ms"], x["p99_ms"], x["max_ms"]))
if r["first_error"]:
    print("first error:", r["first_error"])
PY
	check "$ATTACK: legitimate clients served before and during the attack, no error in any phase" "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
served = r["before"]["ops"] > 0 and r["during"]["ops"] > 0
sys.exit(0 if served and all(r[p]["errors"] == 0 for p in ("before", "during", "after")) else 1)' "$DIR/legit.json"
	check "$ATTACK: sluice still running" kill -0 "$SL_PID"
	check "$ATTACK: sluice exits 0 on SIGTERM" tcp_stop
	tcp_counters
	check "$ATTACK: no sanitizer report" bash -c "! grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$SL_LOG'"
}

# sched_wait: milliseconds sluice's threads have waited for a CPU so far
# (schedstat run_delay): a figure that tells a starved worker from a stalled
# one when latencies jump.
sched_wait() {
	cat /proc/"$SL_PID"/task/*/schedstat 2>/dev/null | awk '{t += $2} END {printf "%d\n", t / 1e6}'
}

want() { [[ " $ONLY " == *" $1 "* ]]; }

if want synflood; then
	begin synflood && {
		syn0=$(xdp redirect_syn)
		attack synflood
		uncapped=$(sed -n 's/^SYNFLOOD sent=\([0-9]*\) synacks=\([0-9]*\)$/\1 \2/p' <<<"$ATTACK_OUT")
		syn1=$(xdp redirect_syn)
		check "synflood: XDP passed the SYNs to the dataplane (xdp_redirect_syn +$((syn1 - syn0)))" \
			test $((syn1 - syn0)) -gt 0
		"${CTL[@]}" syn-rate 1 1 >/dev/null
		shed0=$(xdp drop_syn_rate)
		attack synflood --no-synack
		capped=$(sed -n 's/^SYNFLOOD sent=\([0-9]*\) synacks=\([0-9]*\)$/\1 \2/p' <<<"$ATTACK_OUT")
		shed1=$(xdp drop_syn_rate)
		"${CTL[@]}" syn-rate 0 >/dev/null
		"${CTL[@]}" conn-cap 4 0 >/dev/null
		cap0=$(xdp drop_conn_cap)
		attack connflood --cap 4 --extra 4
		cap1=$(xdp drop_conn_cap)
		"${CTL[@]}" conn-cap 0 >/dev/null
		check "synflood: with conn-cap 4, XDP shed the source's SYNs over the cap (xdp_drop_conn_cap +$((cap1 - cap0)))" \
			test $((cap1 - cap0)) -gt 0
		echo "# synflood: uncapped sent/SYN-ACKs: ${uncapped:-?}; with syn-rate 1/s burst 1: ${capped:-?}; xdp_drop_syn_rate +$((shed1 - shed0))"
		check "synflood: with syn-rate 1 burst 1, XDP shed SYNs (xdp_drop_syn_rate +$((shed1 - shed0)))" \
			test $((shed1 - shed0)) -gt 0
		check "synflood: with the cap fewer SYNs were answered than sent (${capped:-?})" \
			bash -c 'set -- $1; [ "$2" -lt "$1" ]' _ "${capped:-0 0}"
		end
		expect syn_cookies_sent gt 0 "the backlog filled and SYN cookies answered"
		expect drop_nomem eq 0 "the flood never filled the connection table"
		expect backlog_drops eq 0 "no SYN dropped for a full backlog: cookies instead"
	}
fi

if want rst; then
	begin rst && {
		attack rst
		end
		expect rst_ignored gt 0 "blind RSTs out of the window were ignored"
		expect challenge_acks gt 0 "in-window RSTs and SYNs got challenge ACKs (RFC 5961)"
		expect oow_acks_limited gt 0 "ACKs to invalid segments beyond one per connection per 500 ms were suppressed"
		expect rst_in eq 1 "only the control connection's exact RST was accepted"
		expect estab_resets eq 1 "exactly one established connection was reset"
	}
fi

if want ack; then
	begin ack && {
		attack ack
		end
		expect drop_outwin gt 0 "random, beyond-window and old segments were dropped"
		expect challenge_acks gt 0 "ACKs older than SND.UNA - MAX.SND.WND got challenge ACKs"
		expect estab_resets eq 0 "no connection was reset"
	}
fi

if want options; then
	begin options && {
		attack options
		end
		expect drop_opt gt 0 "malformed option lists were dropped"
		expect drop_paws gt 0 "segments with an old TSval were dropped by PAWS"
	}
fi

if want zerowin; then
	begin zerowin && {
		rss=()
		# ASan keeps freed memory in quarantine: its RSS says nothing of sluice's.
		ldd "$SLUICE" | grep -q libasan && rss=(--no-rss-bound)
		attack zerowin --conns "$CONNS" "${rss[@]}"
		end
		expect persist_probes gt 0 "sluice probed the zero windows"
		expect timeout_drops eq 0 "no connection given up while its peer answered probes"
	}
fi

if want garbage; then
	begin garbage && {
		attack garbage
		end
		expect drop_ip_fragment gt 0 "IPv4 fragments were dropped"
		expect drop_ip_malformed gt 0 "bad IHL, total length and version were dropped"
		expect drop_ip_cksum gt 0 "bad IPv4 header checksums were dropped"
		expect drop_cksum gt 0 "bad TCP checksums were dropped"
		expect drop_hdr gt 0 "bad TCP data offsets were dropped"
	}
fi
sl_finish
