#!/usr/bin/env bash
# The engine over the kernel-socket transport (transport kernel), driven by
# real Redis clients, and compared reply-for-reply with redis-server 7.0.15.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/resp_checks.sh"
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
resp_client_checks 127.0.0.1 $PORT "$DIR" $REF_PORT
# Clients that write a whole pipeline before reading any reply (Redis's
# PIPELINING stresser, also with 1 MiB values): never deadlocked by the pause.
check "a client writing 48 GETs of 1 MiB before reading gets every reply in order" \
	timeout 120 python3 "$ROOT/tests/integration/pipeline_client.py" 127.0.0.1 $PORT --count 48 \
	--value-size 1048576 --chunk 65536
check "the PIPELINING stresser pattern (100,000 SET/GET pairs written before reading)" \
	timeout 120 python3 "$ROOT/tests/integration/pipeline_client.py" 127.0.0.1 $PORT --count 100000

# requirepass: NOAUTH before AUTH, WRONGPASS on a bad one, then served.
AUTH=s3cret check "sluice starts with requirepass" start_kernel $((PORT + 2)) --requirepass s3cret
R2="redis-cli -p $((PORT + 2))"
check "NOAUTH before AUTH" bash -c "$R2 get x | grep -qx 'NOAUTH Authentication required.'"
check "WRONGPASS on a bad password" \
	bash -c "$R2 auth wrong | grep -qx 'WRONGPASS invalid username-password pair or user is disabled.'"
check "served after AUTH" bash -c "$R2 -a s3cret --no-auth-warning set x 1 | grep -qx OK"

check "sluice starts with maxclients 3" start_kernel $((PORT + 3)) --maxclients 3
check "maxclients 3: the 4th connection gets Redis's error and is closed" \
	python3 "$ROOT/tests/integration/maxclients_probe.py" 127.0.0.1 $((PORT + 3)) 3
check "sluice starts with client-output-buffer-limit normal 1mb 0 0" \
	start_kernel $((PORT + 4)) --client-output-buffer-limit "normal 1mb 0 0"
check "client-output-buffer-limit: the client over the hard limit is closed, others served" \
	python3 "$ROOT/tests/integration/obuf_probe.py" 127.0.0.1 $((PORT + 4))
# rename-command (redis.conf): disable FLUSHALL, rename CONFIG.
printf 'transport kernel\nport %d\nrun-dir %s\ninstance k-rename\nrename-command FLUSHALL ""\nrename-command CONFIG s3cr3t-config\n' \
	$((PORT + 5)) "$DIR" >"$DIR/rename.conf"
"$SLUICE" "$DIR/rename.conf" </dev/null >>"$LOG" 2>&1 &
PIDS+=($!)
check "sluice starts with rename-command lines in its config file" \
	bash -c "for i in \$(seq 100); do redis-cli -p $((PORT + 5)) ping 2>/dev/null | grep -q PONG && exit 0; sleep 0.05; done; exit 1"
R5="redis-cli -p $((PORT + 5))"
check "a disabled command answers the unknown-command error" \
	bash -c "$R5 flushall | grep -q \"^ERR unknown command 'flushall'\""
check "a renamed command answers only to its new name" \
	bash -c "$R5 config get port | grep -q \"^ERR unknown command 'config'\" &&
		$R5 s3cr3t-config get port | tr '\n' ' ' | grep -q 'port $((PORT + 5))'"
kill -TERM "$main_pid"
wait "$main_pid"
check "SIGTERM: exit status 0" test $? -eq 0
sl_finish
