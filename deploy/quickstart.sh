#!/usr/bin/env bash
# deploy/quickstart.sh [stop]
#
# From a fresh Debian bookworm machine (as root) to a running sluice: installs
# the dependencies, builds, brings up the embedded test topology (a veth pair,
# deploy/testbed.sh), starts sluice in the background on its af_xdp port, and
# waits until the dataplane answers. `quickstart.sh stop` stops it and removes
# the topology.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SLUICE_BUILD:-$ROOT/build}
RUN_DIR=/run/sluice
LOG=$RUN_DIR/sluice.log
PIDFILE=$RUN_DIR/default.pid
ADDR=198.18.0.1

stop() {
	if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
		local pid
		pid=$(cat "$PIDFILE")
		kill -TERM "$pid"
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		echo "quickstart: sluice (pid $pid) stopped"
	fi
	"$ROOT/deploy/testbed.sh" down
}

if [ "${1:-}" = stop ]; then
	stop
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "quickstart: run as root (it installs packages and drives a NIC)" >&2; exit 1; }

"$ROOT/deploy/install-deps.sh"
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$ROOT" --buildtype=release -Dwerror=false -Dtests=false
fi
ninja -C "$BUILD"
"$ROOT/deploy/testbed.sh" up

if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
	echo "quickstart: sluice already running (pid $(cat "$PIDFILE"))"
else
	extra=()
	grep -q '^no-huge yes' "$RUN_DIR/testbed.conf" 2>/dev/null && extra+=(--no-huge yes)
	# sluice logs to stderr in Redis's format; EAL messages land in the same file.
	setsid "$BUILD/control/sluice" "$ROOT/deploy/sluice.conf" "${extra[@]}" \
		</dev/null >>"$LOG" 2>&1 &
	started=$!
	for _ in $(seq 150); do
		grep -q "Ready" "$LOG" 2>/dev/null && break
		if ! kill -0 "$started" 2>/dev/null; then
			echo "quickstart: sluice failed to start; its log ($LOG) says:" >&2
			tail -n 20 "$LOG" >&2
			exit 1
		fi
		sleep 0.2
	done
fi
if ! ping -c 3 -W 1 -q "$ADDR" >/dev/null; then
	echo "quickstart: sluice runs but $ADDR does not answer ping; log: $LOG" >&2
	exit 1
fi
for _ in $(seq 50); do
	redis-cli -h "$ADDR" ping 2>/dev/null | grep -q PONG && break
	sleep 0.1
done
echo
echo "An example session:"
for cmd in "SET greeting hello" "GET greeting" "INCR visits" "EXPIRE greeting 60" "TTL greeting"; do
	# shellcheck disable=SC2086
	printf '  redis-cli -h %s %-20s -> %s\n' "$ADDR" "$cmd" "$(redis-cli -h "$ADDR" $cmd)"
done
cat <<MSG

sluice is running (pid $(cat "$PIDFILE")) on af_xdp:sluice0 at $ADDR.
  Connect:       redis-cli -h $ADDR
  It answers:    ping $ADDR   arping -I sluice0-host $ADDR
  XDP counters:  $BUILD/tools/sluicectl stats
  Log:           $LOG
  Stop:          $ROOT/deploy/quickstart.sh stop
                 (or: kill \$(cat $PIDFILE); deploy/testbed.sh down)
MSG
