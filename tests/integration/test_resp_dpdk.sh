#!/usr/bin/env bash
# RESP over the DPDK dataplane (af_xdp -> userspace TCP -> engine -> store),
# driven from the kernel side of the veth by real Redis clients and compared
# reply-for-reply with redis-server 7.0.15.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/resp_checks.sh"
sl_topology slt4 16
DIR=$SLUICE_RUN_DIR/scratch
mkdir -p "$DIR"

check "sluice starts on af_xdp" sl_start
check "log says it serves RESP on $SL_ADDR:6379" grep -q "serving RESP on $SL_ADDR:6379" "$SL_LOG"
resp_client_checks "$SL_ADDR" 6379 "$DIR" 7792
check "INFO answers with the keyspace" \
	bash -c "redis-cli -h $SL_ADDR info keyspace | grep -q '^db0:keys='"
redis-cli -h "$SL_ADDR" mset scan:a 1 scan:b 2 >/dev/null
scanned=$(redis-cli -h "$SL_ADDR" --scan --pattern 'scan:*' | sort | tr '\n' ' ')
check "SCAN walks the keyspace (got: $scanned)" test "$scanned" = "scan:a scan:b "
# A client still connected at SIGTERM (it just got its reply and keeps the
# connection open).
python3 -c "
import socket, time
s = socket.create_connection(('$SL_ADDR', 6379), timeout=3)
s.sendall(b'PING\r\n')
assert s.recv(16) == b'+PONG\r\n'
time.sleep(5)
" &
holder=$!
sleep 1
sl_stop TERM
check "SIGTERM with a client still connected: exit status 0" test $? -eq 0
wait $holder
check "shutdown log reports accepted connections" \
	bash -c "grep -Eq 'worker 0: .* [1-9][0-9]* connections accepted' '$SL_LOG'"
sl_finish
