#!/usr/bin/env bash
# tests/compat/selftest.sh: proves that diff.py passes equal servers and
# catches a server that answers wrongly. Starts two redis-server instances
# and corrupt-proxy.py on free 127.0.0.1 ports (free-ports.py), stops them by
# PID on exit.
#
#   0. test_resp.py (the reply reader, table-driven)  must exit 0
#   1. redis vs redis                                 must exit 0
#   2. redis vs proxy --every 0 (transparent) → redis must exit 0
#   3. redis vs proxy corrupting 1 reply in 997        must exit 1, report
#      exactly as many mismatches as the proxy corrupted replies, and report
#      first the first reply the proxy corrupted (the exact altered bytes)
#   4. as 3 over the hash commands only, 1 reply in 97 (the multiset
#      normalisation of HGETALL/HKEYS/HVALS must not hide a corruption)
#   5. as 3 over TTL/PTTL-heavy streams, 1 reply in 31 (the TTL tolerance must
#      not hide a corruption)
#   6. with --suite only: redis-suite.sh on unit/type/incr passes on redis and
#      fails (exit 1, failed tests counted) through the proxy corrupting one
#      reply in 40. It needs Redis's suite (fetched with apt on first use).
#
# Exit status: 0 when every check holds, 1 otherwise (in particular when a
# corruption is NOT detected). Every step is bounded by `timeout`.
# Needs: redis-server (Debian redis-server), python3; with --suite also what
# redis-suite.sh needs.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SUITE=0
[ "${1:-}" = --suite ] && SUITE=1
COUNT=${SELFTEST_COUNT:-20000}
SEED=${SELFTEST_SEED:-$RANDOM}
WORK=$(mktemp -d /tmp/sluice-compat-selftest.XXXXXX)
PIDS=()
FAILED=0

cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

check() { # check NAME CONDITION-RESULT
	if [ "$2" = 0 ]; then
		echo "selftest: ok   $1"
	else
		echo "selftest: FAIL $1"
		FAILED=1
	fi
}

command -v redis-server >/dev/null || { echo "selftest: redis-server not found (Debian package redis-server)"; exit 1; }

# Three free loopback ports below the ephemeral range.
read -r PA PB PP < <(python3 "$HERE/free-ports.py" 3 | tr '\n' ' ')
[ -n "$PP" ] || { echo "selftest: no free ports"; exit 1; }

wait_port() { # wait_port PORT: up to 10 s for a PING answer
	python3 - "$1" <<'EOF'
import socket, sys, time
deadline = time.time() + 10
while time.time() < deadline:
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
        s.sendall(b"PING\r\n")
        if s.recv(16).startswith(b"+PONG"):
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
EOF
}

start_redis() { # start_redis PORT
	redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
		--dir "$WORK" >"$WORK/redis-$1.log" 2>&1 &
	PIDS+=($!)
	wait_port "$1" || { echo "selftest: redis-server on $1 did not start"; cat "$WORK/redis-$1.log"; exit 1; }
}

start_proxy() { # start_proxy EVERY: proxy on PP in front of PB
	python3 "$HERE/corrupt-proxy.py" --listen "$PP" --upstream "127.0.0.1:$PB" --every "$1" \
		--log "$WORK/proxy.log" --lifetime 300 &
	PROXY=$!
	PIDS+=("$PROXY")
	wait_port "$PP" || { echo "selftest: proxy did not start"; exit 1; }
}

stop_proxy() {
	kill "$PROXY" 2>/dev/null
	wait "$PROXY" 2>/dev/null
}

run_diff() { # run_diff B-PORT LOG [diff.py options]: prints the exit status
	local port=$1 log=$2
	shift 2
	timeout 300 python3 "$HERE/diff.py" --a "127.0.0.1:$PA" --b "127.0.0.1:$port" --seed "$SEED" \
		--quiet "$@" >"$log" 2>&1
	echo $?
}

# first_corruption_seen LOG: the first altered reply the proxy logged must be
# reported by diff.py as server b's reply.
first_corruption_seen() {
	local altered
	altered=$(sed -n '1s/^reply #[0-9]*: .* -> //p' "$WORK/proxy.log" | cut -c1-200)
	[ -n "$altered" ] || { echo "  proxy corrupted nothing"; return 1; }
	grep -m1 "^  b 127.0.0.1:$PP: " "$1" | grep -qF -- "$altered" || {
		echo "  first altered reply $altered not reported first"
		return 1
	}
}

timeout 60 python3 "$HERE/test_resp.py" >"$WORK/0.log" 2>&1
rc=$?
check "test_resp.py: $(tail -1 "$WORK/0.log")" "$rc"
[ "$rc" = 0 ] || cat "$WORK/0.log"

start_redis "$PA"
start_redis "$PB"
echo "selftest: redis on $PA and $PB, proxy port $PP, seed $SEED, $COUNT commands"

rc=$(run_diff "$PB" "$WORK/1.log" --count "$COUNT")
check "redis vs redis: no mismatch (rc $rc)" "$([ "$rc" = 0 ]; echo $?)"
[ "$rc" = 0 ] || cat "$WORK/1.log"

start_proxy 0
rc=$(run_diff "$PP" "$WORK/2.log" --count "$COUNT")
stop_proxy
check "redis vs transparent proxy: no mismatch (rc $rc)" "$([ "$rc" = 0 ]; echo $?)"
[ "$rc" = 0 ] || cat "$WORK/2.log"

# corrupted NAME EVERY [diff.py options]: diff.py must exit 1 and report the
# first corrupted reply.
corrupted() {
	local name=$1 every=$2 log=$WORK/$3.log
	shift 3
	: >"$WORK/proxy.log"
	start_proxy "$every"
	rc=$(run_diff "$PP" "$log" "$@")
	stop_proxy
	local n m
	n=$(wc -l <"$WORK/proxy.log")
	m=$(grep -c '^MISMATCH at' "$log")
	[ "$rc" = 1 ] && [ "$n" -gt 0 ] && [ "$m" = "$n" ] && first_corruption_seen "$log"
	check "$name: $n replies corrupted, $m mismatches reported, diff.py rc $rc (must be 1)" $?
	[ "$rc" = 1 ] || tail -5 "$log"
	grep -m2 -A2 '^MISMATCH' "$log" | sed 's/^/    /' | cut -c1-160
}

corrupted "all commands, 1 reply in 997" 997 3 --count "$COUNT" --max-mismatches 1000000
corrupted "hash commands, 1 reply in 97" 97 4 --count 5000 --commands hashes --max-mismatches 1000000
corrupted "TTL commands, 1 reply in 31" 31 5 --count 5000 --max-mismatches 1000000 \
	--commands SET,SETEX,PSETEX,EXPIRE,PEXPIRE,EXPIREAT,PEXPIREAT,TTL,PTTL,EXPIRETIME,PEXPIRETIME

if [ "$SUITE" = 1 ]; then
	timeout 600 "$HERE/redis-suite.sh" --host 127.0.0.1 --port "$PB" --units unit/type/incr \
		--out "$WORK/suite-redis" >"$WORK/6a.log" 2>&1
	rc=$?
	check "redis-suite.sh unit/type/incr on redis: rc $rc (must be 0)" "$([ "$rc" = 0 ]; echo $?)"
	[ "$rc" = 0 ] || tail -5 "$WORK/6a.log"
	: >"$WORK/proxy.log"
	start_proxy 40
	timeout 600 "$HERE/redis-suite.sh" --host 127.0.0.1 --port "$PP" --units unit/type/incr \
		--out "$WORK/suite-proxy" >"$WORK/6b.log" 2>&1
	rc=$?
	stop_proxy
	nfail=$(awk '$1 == "unit/type/incr" { print $3 }' "$WORK/suite-proxy/summary.txt" 2>/dev/null)
	check "redis-suite.sh through the corrupting proxy: rc $rc (must be 1), ${nfail:-?} failed (must be > 0)" \
		"$([ "$rc" = 1 ] && [ "${nfail:-0}" -gt 0 ]; echo $?)"
	[ "$rc" = 1 ] || tail -5 "$WORK/6b.log"
fi

if [ "$FAILED" != 0 ]; then
	echo "selftest: FAILED"
	exit 1
fi
echo "selftest: all checks passed"
exit 0
