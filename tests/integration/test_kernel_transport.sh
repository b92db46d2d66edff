#!/usr/bin/env bash
# The engine over the kernel-socket transport (transport kernel), driven by
# real Redis clients, and compared reply-for-reply with redis-server 7.0.15.
source "$(dirname "$0")/lib.sh"
PORT=7790
REF_PORT=7791
DIR=/tmp/sluice-test-kernel
mkdir -p "$DIR"
LOG=$DIR/sluice.log
PIDS=()
kt_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$DIR"
}
trap kt_cleanup EXIT

start_kernel() { # start_kernel PORT [args]: waits until it answers PING
	local port=$1
	shift
	"$SLUICE" --transport kernel --port "$port" --run-dir "$DIR" --instance "k$port" "$@" \
		</dev/null >>"$LOG" 2>&1 &
	KPID=$!
	PIDS+=("$KPID")
	for _ in $(seq 100); do
		redis-cli -p "$port" ${AUTH:+-a "$AUTH" --no-auth-warning} ping 2>/dev/null | grep -q PONG && return 0
		kill -0 "$KPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

check "sluice starts with transport kernel" start_kernel $PORT
main_pid=$KPID
R="redis-cli -p $PORT"
check "SET/GET" bash -c "$R set greeting hello | grep -qx OK && $R get greeting | grep -qx hello"
check "INCR" bash -c "$R incr counter | grep -qx 1 && $R incrby counter 41 | grep -qx 42"
check "EXPIRE/TTL" bash -c "$R expire greeting 100 | grep -qx 1 && $R ttl greeting | grep -qx 100"
check "HSET/HGETALL" bash -c "$R hset h f v | grep -qx 1 && $R hgetall h | tr '\n' ' ' | grep -qx 'f v '"
check "unknown command gets Redis's error" \
	bash -c "$R frobnicate x | grep -qx \"ERR unknown command 'frobnicate', with args beginning with: 'x' \""

out=$(redis-benchmark -p $PORT -t set,get,incr -n 20000 -P 16 -c 50 -q 2>&1)
echo "$out" | tr '\r' '\n' | grep -E 'requests per second' | sed 's/^/# /'
check "redis-benchmark -t set,get,incr -P 16 -c 50 completes" \
	bash -c "[ \$(echo \"\$1\" | tr '\r' '\n' | grep -c 'requests per second') -eq 3 ]" _ "$out"
check "redis-benchmark reports no errors" bash -c "! echo \"\$1\" | grep -qi error" _ "$out"

# 10 MiB value round trip, byte-identical.
head -c $((10 * 1024 * 1024)) /dev/urandom >"$DIR/big"
redis-cli -p $PORT -x set big <"$DIR/big" >/dev/null
redis-cli -p $PORT --no-raw get big >/dev/null
check "10 MiB value round-trips intact" \
	bash -c "redis-cli -p $PORT getrange big 0 -1 | head -c $((10 * 1024 * 1024)) | cmp -s - '$DIR/big'"

# 10,000 pipelined requests in one write, replies in order.
check "10,000 pipelined INCRs in one write, replies in order" python3 - $PORT <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"*2\r\n$3\r\nDEL\r\n$2\r\npc\r\n" + b"*2\r\n$4\r\nINCR\r\n$2\r\npc\r\n" * 10000)
want = b":0\r\n" + b"".join(b":%d\r\n" % i for i in range(1, 10001))
buf = b""
while len(buf) < len(want):
    d = s.recv(1 << 16)
    if not d:
        break
    buf += d
sys.exit(0 if buf == want else 1)
PY

check "a protocol error is answered, then the connection closes" python3 - $PORT <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"*1\r\n$abc\r\n")
buf = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    buf += d
sys.exit(0 if buf == b"-ERR Protocol error: invalid bulk length\r\n" else 1)
PY

# Side by side with redis-server 7.0.15: the same script, byte-identical replies.
redis-server --port $REF_PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
	</dev/null >"$DIR/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do redis-cli -p $REF_PORT ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
diff_out=$(python3 "$ROOT/tests/integration/resp_diff.py" "$ROOT/tests/integration/resp_diff_script.txt" $PORT $REF_PORT 2>&1)
check "scripted commands: replies byte-identical to redis-server 7.0.15 ($(echo "$diff_out" | tail -1))" \
	test $? -eq 0
echo "$diff_out" | grep -A2 MISMATCH | head -20

# requirepass: NOAUTH before AUTH, WRONGPASS on a bad one, then served.
AUTH=s3cret check "sluice starts with requirepass" start_kernel $((PORT + 2)) --requirepass s3cret
R2="redis-cli -p $((PORT + 2))"
check "NOAUTH before AUTH" bash -c "$R2 get x | grep -qx 'NOAUTH Authentication required.'"
check "WRONGPASS on a bad password" \
	bash -c "$R2 auth wrong | grep -qx 'WRONGPASS invalid username-password pair or user is disabled.'"
check "served after AUTH" bash -c "$R2 -a s3cret --no-auth-warning set x 1 | grep -qx OK"

kill -TERM "$main_pid"
wait "$main_pid"
check "SIGTERM: exit status 0" test $? -eq 0
sl_finish
