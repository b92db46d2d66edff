# Client-side checks shared by the transport tests: real Redis clients, big
# values, pipelining, protocol errors, and byte-identical replies beside
# redis-server 7.0.15. Source it after lib.sh; call
#   resp_client_checks HOST PORT DIR REF_PORT
# DIR is a scratch directory; REF_PORT a free 127.0.0.1 port for redis-server,
# which this function starts and stops itself (by PID).
resp_client_checks() {
	local HOST=$1 PORT=$2 DIR=$3 REF_PORT=$4 ref_pid out diff_out
	R="redis-cli -h $HOST -p $PORT"
	check "SET/GET" bash -c "$R set greeting hello | grep -qx OK && $R get greeting | grep -qx hello"
	check "INCR" bash -c "$R incr counter | grep -qx 1 && $R incrby counter 41 | grep -qx 42"
	check "EXPIRE/TTL" bash -c "$R expire greeting 100 | grep -qx 1 && $R ttl greeting | grep -qx 100"
	check "HSET/HGETALL" bash -c "$R hset h f v | grep -qx 1 && $R hgetall h | tr '\n' ' ' | grep -qx 'f v '"
	check "unknown command gets Redis's error" \
		bash -c "$R frobnicate x | grep -qx \"ERR unknown command 'frobnicate', with args beginning with: 'x' \""

	out=$(timeout 300 bash "$ROOT/tests/clients/run.sh" "$HOST" "$PORT" 2>&1)
	echo "$out" | sed 's/^/# /'
	check "ioredis scripted session passes" bash -c "echo \"\$1\" | grep -q 'ioredis session: .* passed'" _ "$out"
	check "node-redis scripted session passes" bash -c "echo \"\$1\" | grep -q 'node-redis session: .* passed'" _ "$out"

	out=$(redis-benchmark -h $HOST -p $PORT -t set,get,incr -n 20000 -P 16 -c 50 -q 2>&1)
	echo "$out" | tr '\r' '\n' | grep -E 'requests per second' | sed 's/^/# /'
	check "redis-benchmark -t set,get,incr -P 16 -c 50 completes" \
		bash -c "[ \$(echo \"\$1\" | tr '\r' '\n' | grep -c 'requests per second') -eq 3 ]" _ "$out"
	check "redis-benchmark reports no errors" bash -c "! echo \"\$1\" | grep -qi error" _ "$out"

	# 10 MiB value round trip, byte-identical.
	head -c $((10 * 1024 * 1024)) /dev/urandom >"$DIR/big"
	redis-cli -h $HOST -p $PORT -x set big <"$DIR/big" >/dev/null
	redis-cli -h $HOST -p $PORT --no-raw get big >/dev/null
	check "10 MiB value round-trips intact" \
		bash -c "redis-cli -h $HOST -p $PORT getrange big 0 -1 | head -c $((10 * 1024 * 1024)) | cmp -s - '$DIR/big'"

	# 10,000 pipelined requests in one write, replies in order.
	check "10,000 pipelined INCRs in one write, replies in order" python3 - $HOST $PORT <<-'PY'
	import socket, sys
	s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
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

	check "a protocol error is answered, then the connection closes" python3 - $HOST $PORT <<-'PY'
	import socket, sys
	s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
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
	ref_pid=$!
	for _ in $(seq 100); do redis-cli -p $REF_PORT ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
	diff_out=$(python3 "$ROOT/tests/integration/resp_diff.py" "$ROOT/tests/integration/resp_diff_script.txt" $HOST:$PORT 127.0.0.1:$REF_PORT 2>&1)
	check "scripted commands: replies byte-identical to redis-server 7.0.15 ($(echo "$diff_out" | tail -1))" \
		test $? -eq 0
	echo "$diff_out" | grep -A2 MISMATCH | head -20
	kill -TERM "$ref_pid" 2>/dev/null
	wait "$ref_pid" 2>/dev/null
}
