#!/usr/bin/env bash
# tests/compat/check.sh: the compatibility checks in one command.
#
#   tests/compat/check.sh [--target HOST:PORT] [--commands LIST] [--units "U ..."]
#                         [--count N] [--seed N] [--out DIR]
#
# Starts a reference redis-server 7.0.15 on a free 127.0.0.1 port and runs:
#   1. selftest.sh --suite         (diff.py and redis-suite.sh pass equal servers
#                                   and catch a corrupting proxy)
#   2. redis-suite.sh on the target (Redis's own suite in external mode)
#   3. diff.py reference vs target (--count commands, default 100000)
# Without --target the target is a second redis-server it starts (this
# validates the harnesses themselves). With --target (e.g. a sluice started
# with the kernel transport) --commands restricts diff.py to what the target
# implements. Both servers are FLUSHALLed: never point it at data you keep.
# Ends with "N passed, M failed"; exit status 0 only when all passed.
# Servers it starts are stopped by PID on exit.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
target=""
commands="strings,keys,hashes,connection,errors"
units=""
count=100000
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
out=$ROOT/build/compat
PIDS=()
PASSED=0
FAILED=0

while [ $# -gt 0 ]; do
	case $1 in
	--target) target=${2:-}; shift 2 ;;
	--commands) commands=${2:-}; shift 2 ;;
	--units) units=${2:-}; shift 2 ;;
	--count) count=${2:-}; shift 2 ;;
	--seed) seed=${2:-}; shift 2 ;;
	--out) out=${2:-}; shift 2 ;;
	*) sed -n '3,6p' "$0" | sed 's/^# //' >&2; exit 2 ;;
	esac
done

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT

step() { # step NAME COMMAND...: runs, times and records one check
	local name=$1 start rc
	shift
	printf '\n=== compat: %s ===\n' "$name"
	start=$(date +%s)
	"$@"
	rc=$?
	if [ "$rc" = 0 ]; then
		PASSED=$((PASSED + 1))
		echo "compat: ok   $name ($(($(date +%s) - start)) s)"
	else
		FAILED=$((FAILED + 1))
		echo "compat: FAIL $name (rc $rc, $(($(date +%s) - start)) s)"
	fi
}


start_redis() { # start_redis PORT
	redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
		--dir "$out" >"$out/redis-$1.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		python3 -c 'import socket, sys; s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)
s.sendall(b"PING\r\n"); sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "compat: redis-server on port $1 did not start"
	exit 1
}

command -v redis-server >/dev/null || { echo "compat: redis-server not found (Debian package redis-server)"; exit 1; }
mkdir -p "$out"
read -r ref tport < <(python3 "$HERE/free-ports.py" 2 | tr '\n' ' ')
[ -n "$tport" ] || { echo "compat: no free ports"; exit 1; }
start_redis "$ref"
if [ -z "$target" ]; then
	start_redis "$tport"
	target=127.0.0.1:$tport
fi
thost=${target%:*}
tport=${target##*:}
echo "compat: reference redis-server on 127.0.0.1:$ref, target $target, seed $seed"

step "self-test of diff.py and redis-suite.sh" timeout 900 "$HERE/selftest.sh" --suite
suite_args=(--host "$thost" --port "$tport" --out "$out/redis-suite")
[ -n "$units" ] && suite_args+=(--units "$units")
step "Redis $(redis-server --version | sed 's/.*v=\([0-9.]*\).*/\1/') suite on $target" \
	timeout 3600 "$HERE/redis-suite.sh" "${suite_args[@]}"
step "diff.py reference vs $target, $count commands" \
	timeout 1800 python3 "$HERE/diff.py" --a "127.0.0.1:$ref" --b "$target" --seed "$seed" \
	--count "$count" --commands "$commands"

echo
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
