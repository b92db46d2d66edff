#!/usr/bin/env bash
# The ports of Redis 7.0.15's obuf-limits, limits (maxclients) and
# query-buffer tests (tests/compat/ports/, issue 7 acceptance 4), run against
# three targets with the same code: redis-server 7.0.15 (a port that fails
# there is a wrong port), sluice over the kernel transport and sluice over
# the DPDK dataplane (af_xdp on a veth). Each profile of start options
# (run.py --options) gets its own server start. Prints the ports' own lines,
# then passed/failed/skipped per target; "skipped" are sluice's known gaps
# (KNOWN_GAPS in run.py, each with its reason).
#
# Environment: SLUICE_PORTS_TARGETS="redis sluice-kernel sluice-dpdk" (the
# default) chooses the targets; leave out sluice-dpdk without root or XDP.
source "$(dirname "$0")/lib.sh"
RUN=$ROOT/tests/compat/ports/run.py
PROFILES="default hard soft maxclients"
REDIS_PORT=7449
KERNEL_BASE=7440 # one port per profile: 7440..7443
DIR=/tmp/sluice-test-ports
rm -rf "$DIR"
mkdir -p "$DIR"
TARGETS=" ${SLUICE_PORTS_TARGETS:-redis sluice-kernel sluice-dpdk} "
declare -A PASSED FAILED SKIPPED
LOCAL_PIDS=()

ports_cleanup() {
	local p
	for p in "${LOCAL_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${LOCAL_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$DIR"
	[ -n "${SLUICE_IF:-}" ] && sl_cleanup
}
trap ports_cleanup EXIT

# profile_args PROFILE: the profile's start options as --name value words.
profile_args() {
	local name value
	ARGS=()
	while read -r name value; do
		[ -n "$name" ] && ARGS+=("--$name" "$value")
	done < <(python3 "$RUN" --options "$1")
}

wait_ping() { # wait_ping HOST PORT PID
	for _ in $(seq 100); do
		redis-cli -h "$1" -p "$2" ping 2>/dev/null | grep -q PONG && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# run_ports TARGET HOST PORT PROFILE: runs run.py, prefixes its lines with
# the target and adds its counts to the target's totals.
run_ports() {
	local target=$1 host=$2 port=$3 profile=$4 out rc line
	out=$DIR/$target-$profile.out
	python3 "$RUN" --host "$host" --port "$port" --target "$target" --profile "$profile" >"$out" 2>&1
	rc=$?
	sed -E "s/^(ok|not ok|skip) - /\1 - $target: /" "$out" | grep -v '^ports '
	line=$(grep '^ports ' "$out" | tail -1)
	if [[ $line =~ passed\ ([0-9]+),\ failed\ ([0-9]+),\ skipped\ ([0-9]+) ]]; then
		PASSED[$target]=$((${PASSED[$target]:-0} + BASH_REMATCH[1]))
		FAILED[$target]=$((${FAILED[$target]:-0} + BASH_REMATCH[2]))
		SKIPPED[$target]=$((${SKIPPED[$target]:-0} + BASH_REMATCH[3]))
	else
		not_ok "$target, profile $profile: run.py ended without its summary (exit $rc)"
		FAILED[$target]=$((${FAILED[$target]:-0} + 1))
		return
	fi
	[ "$rc" -eq 0 ] || FAILS=$((FAILS + 1)) # its "not ok" lines say which
}

# redis-server 7.0.15: validates the ports.
[[ $TARGETS == *" redis "* ]] && for profile in $PROFILES; do
	profile_args "$profile"
	redis-server --port $REDIS_PORT --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" \
		"${ARGS[@]}" </dev/null >>"$DIR/redis.log" 2>&1 &
	pid=$!
	LOCAL_PIDS+=("$pid")
	if wait_ping 127.0.0.1 $REDIS_PORT $pid; then
		run_ports redis 127.0.0.1 $REDIS_PORT "$profile"
	else
		not_ok "redis-server starts with profile $profile (${ARGS[*]})"
	fi
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done

# sluice, kernel transport.
port=$KERNEL_BASE
[[ $TARGETS == *" sluice-kernel "* ]] && for profile in $PROFILES; do
	profile_args "$profile"
	"$SLUICE" --transport kernel --port $port --run-dir "$DIR" --instance "ports$port" \
		"${ARGS[@]}" </dev/null >>"$DIR/sluice-kernel.log" 2>&1 &
	pid=$!
	LOCAL_PIDS+=("$pid")
	if wait_ping 127.0.0.1 $port $pid; then
		run_ports sluice-kernel 127.0.0.1 $port "$profile"
	else
		not_ok "sluice (kernel transport) starts with profile $profile (${ARGS[*]})"
	fi
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	check "sluice (kernel transport, profile $profile) exits 0 on SIGTERM" test $? -eq 0
	port=$((port + 1))
done

# sluice, DPDK dataplane on af_xdp.
if [[ $TARGETS == *" sluice-dpdk "* ]]; then
	sl_topology slprt0 230
	trap ports_cleanup EXIT # sl_topology set its own; ours calls it
	# Ordinary pages: hugepages free when the testbed came up may be taken
	# by other tests before each of the four starts.
	SL_ARGS+=(--no-huge yes --memory 512)
	for profile in $PROFILES; do
		profile_args "$profile"
		if sl_start "${ARGS[@]}"; then
			run_ports sluice-dpdk "$SL_ADDR" 6379 "$profile"
			sl_stop TERM
			check "sluice (af_xdp, profile $profile) exits 0 on SIGTERM" test $? -eq 0
		else
			not_ok "sluice (af_xdp) starts with profile $profile (${ARGS[*]})"
			tail -n 3 "$SL_LOG" | sed 's/^/#   /'
			kill -0 "$SL_PID" 2>/dev/null && sl_stop KILL
		fi
	done
fi

for target in redis sluice-kernel sluice-dpdk; do
	[ -n "${PASSED[$target]:-}" ] || continue
	echo "# $target: passed ${PASSED[$target]}, failed ${FAILED[$target]}, skipped ${SKIPPED[$target]}"
done
sl_finish
