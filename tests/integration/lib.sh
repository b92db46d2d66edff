# Shared helpers for the integration tests. Source it, then call sl_topology.
#
# Every test gets its own veth pair, subnet inside 198.18.0.0/15, run-dir and
# instance name, so it never touches a quickstart instance on sluice0. An
# EXIT trap stops the sluice processes this test started (by PID) and removes
# the topology, whether the test passed or not.
#
# Output is TAP-like: "ok - what" / "not ok - what"; tests/run.sh counts them.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${SLUICE_BUILD:-$ROOT/build}
SLUICE=$BUILD/control/sluice
SLUICECTL=$BUILD/tools/sluicectl
FAILS=0
STARTED_PIDS=()

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
check() { # check "description" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# sl_topology NAME SUBNET_INDEX: veth NAME <-> NAME-h, 198.18.<idx>.1 (sluice)
# and 198.18.<idx>.2 (kernel end).
sl_topology() {
	export SLUICE_IF=$1 SLUICE_HOST_IF=$1-h
	export SLUICE_HOST_ADDR=198.18.$2.2/24 SLUICE_RUN_DIR=/run/sluice-test-$1
	SL_ADDR=198.18.$2.1
	SL_INSTANCE=t-$1
	SL_LOG=$SLUICE_RUN_DIR/sluice.log
	shift 2
	trap sl_cleanup EXIT
	"$ROOT/deploy/testbed.sh" up "$@" >/dev/null
	SL_ARGS=(--device "af_xdp:$SLUICE_IF" --address "$SL_ADDR/24" --instance "$SL_INSTANCE"
		--run-dir "$SLUICE_RUN_DIR")
	grep -q '^no-huge yes' "$SLUICE_RUN_DIR/testbed.conf" && SL_ARGS+=(--no-huge yes)
	: >"$SL_LOG"
}

# sl_start [extra args]: starts sluice in the background and waits for
# "Ready" in its log. Sets SL_PID. Returns non-zero if it exits instead.
sl_start() {
	local from
	from=$(wc -l <"$SL_LOG")
	"$SLUICE" "${SL_ARGS[@]}" "$@" </dev/null >>"$SL_LOG" 2>&1 &
	SL_PID=$!
	STARTED_PIDS+=("$SL_PID")
	for _ in $(seq 200); do
		tail -n +"$((from + 1))" "$SL_LOG" | grep -q "Ready" && return 0
		kill -0 "$SL_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# sl_stop [signal]: signals SL_PID and waits up to 10 s for it to exit.
# Returns the exit status.
sl_stop() {
	local sig=${1:-TERM} rc
	kill -"$sig" "$SL_PID" 2>/dev/null || return 1
	for _ in $(seq 100); do
		kill -0 "$SL_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$SL_PID" 2>/dev/null
	rc=$?
	return $rc
}

sl_cleanup() {
	local pid
	for pid in "${STARTED_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	# A killed instance leaves its XDP program and pins: remove ours.
	ip link set dev "$SLUICE_IF" xdp off 2>/dev/null
	rm -rf "/sys/fs/bpf/sluice/$SL_INSTANCE"
	rmdir /sys/fs/bpf/sluice 2>/dev/null
	"$ROOT/deploy/testbed.sh" down >/dev/null 2>&1
	rm -rf "$SLUICE_RUN_DIR"
}

# sl_finish: exit status for tests/run.sh.
sl_finish() {
	[ "$FAILS" -eq 0 ]
	exit $?
}
