#!/usr/bin/env bash
# Two worker lcores over the real network path (issue 6, acceptance 2).
# The tap port gives each worker its own queue (the kernel keeps each flow
# on one queue), so connections land on both workers while keys are spread
# over both partitions by hash: every write to a key of the other partition
# is shipped to its owner. Checked on every reply: order, read-your-writes,
# per-connection counters (workers_probe.py); both workers served
# connections and shipped commands both ways (INFO); redis-benchmark runs
# without errors; SIGTERM still exits 0.
source "$(dirname "$0")/lib.sh"
sl_topology slt8 220
TAP=slmw0
ADDR=198.18.221.1
SL_ARGS=(--device "tap:$TAP" --address "$ADDR/24" --instance t-workers --run-dir "$SLUICE_RUN_DIR"
	--no-huge yes --workers 2)
tap_cleanup() { ip link del "$TAP" 2>/dev/null; sl_cleanup; }
trap tap_cleanup EXIT

check "sluice starts with 2 workers on tap:$TAP" sl_start
check "log reports 2 queues" grep -q "on tap:$TAP, 2 queue(s)" "$SL_LOG"
ip addr add 198.18.221.2/24 dev "$TAP" && ip link set "$TAP" up
ethtool -K "$TAP" tx off tso off gso off gro off >/dev/null 2>&1
for _ in $(seq 50); do redis-cli -h $ADDR ping 2>/dev/null | grep -q PONG && break; sleep 0.2; done
check "RESP answers over tap with 2 workers" bash -c "redis-cli -h $ADDR ping | grep -qx PONG"

# Which worker serves a connection: INFO's Sluice section says. Open
# connections until both workers have answered one (bounded).
seen=""
for i in $(seq 40); do
	w=$(redis-cli -h $ADDR info sluice | tr -d '\r' | awk -F: '$1 == "worker" {print $2}')
	case " $seen " in *" $w "*) ;; *) seen="$seen $w" ;; esac
	[ "$(echo $seen | wc -w)" -ge 2 ] && break
done
echo "# workers seen serving connections:$seen"
check "connections land on both workers" test "$(echo $seen | wc -w)" -ge 2

out=$(timeout 180 python3 "$ROOT/tests/integration/workers_probe.py" $ADDR 6379 24 40 16 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "pipelined SET/GET/INCR from 24 connections: order and read-your-writes on every reply" \
	bash -c "[ $rc -eq 0 ] && echo '$out' | grep -q 'connections=24 replies=4[67][0-9][0-9][0-9] mismatches=0'"

# Multi-key commands across partitions, from one connection.
mk=$(redis-cli -h $ADDR <<'CMDS' 2>&1 | tr '\n' ' '
FLUSHALL
MSET a 1 b 2 c 3 d 4 e 5 f 6 g 7 h 8
MGET a b c d e f g h
DEL a b c d zz
DBSIZE
RENAME e e2
RENAME f f2
MGET e2 f2 e f
CMDS
)
echo "# $mk"
check "MSET/MGET/DEL/RENAME across partitions" \
	test "$mk" = "OK OK 1 2 3 4 5 6 7 8 4 4 OK OK 5 6   "

bench=$(timeout 120 redis-benchmark -h $ADDR -t set,get,incr -P 16 -c 50 -n 30000 -q 2>&1 | tr '\r' '\n')
echo "$bench" | grep -E "requests per second" | sed 's/^/# /'
check "redis-benchmark -t set,get,incr -P 16 -c 50 completes without errors" \
	bash -c "[ \$(echo '$bench' | grep -c 'requests per second') -eq 3 ] && ! echo '$bench' | grep -qi error"

# "worker:shipped_in" from many connections' INFO: both workers must show work shipped to them.
si=$(for _ in $(seq 16); do
	redis-cli -h $ADDR info sluice | tr -d '\r' |
		awk -F: '$1 == "worker" {w = $2} $1 == "shipped_in" {print w "=" $2}'
done | sort -u | tr '\n' ' ')
echo "# worker=shipped_in: $si"
check "both workers executed commands shipped by the other" \
	bash -c "echo '$si' | grep -Eq '(^| )0=[1-9]' && echo '$si' | grep -Eq '(^| )1=[1-9]'"

dp=$(redis-cli -h $ADDR info dataplane | tr -d '\r')
echo "$dp" | grep -E "^worker[01]:" | cut -c1-110 | sed 's/^/# /'
check "INFO dataplane reports both workers, each with requests" \
	bash -c "echo '$dp' | grep -Eq '^worker0:requests=[1-9]' && echo '$dp' | grep -Eq '^worker1:requests=[1-9]'"

sl_stop TERM
check "SIGTERM with 2 workers: exit 0" test $? -eq 0
grep "worker [01] cycles" "$SL_LOG" | sed 's/^/# /'

# The same over the kernel transport: two threads, a SO_REUSEPORT listener
# each, commands shipped between them (woken through an eventfd).
KPORT=7430
KLOG=$SLUICE_RUN_DIR/kernel.log
"$SLUICE" --transport kernel --port $KPORT --workers 2 --run-dir "$SLUICE_RUN_DIR" \
	--instance t-workers-k </dev/null >"$KLOG" 2>&1 &
KPID=$!
STARTED_PIDS+=("$KPID")
# Ready once it answers and has logged its start line (written after the listeners open).
for _ in $(seq 100); do
	redis-cli -p $KPORT ping 2>/dev/null | grep -q PONG && grep -q "Ready" "$KLOG" && break
	sleep 0.05
done
check "transport kernel starts with 2 workers" grep -q "2 worker(s)" "$KLOG"
out=$(timeout 180 python3 "$ROOT/tests/integration/workers_probe.py" 127.0.0.1 $KPORT 24 40 16 2>&1)
rc=$?
echo "$out" | sed 's/^/# kernel: /'
check "kernel transport, 2 workers: order and read-your-writes on every reply" \
	bash -c "[ $rc -eq 0 ] && echo '$out' | grep -q 'connections=24 replies=4[67][0-9][0-9][0-9] mismatches=0'"
si=$(for _ in $(seq 16); do
	redis-cli -p $KPORT info sluice | tr -d '\r' |
		awk -F: '$1 == "worker" {w = $2} $1 == "shipped_in" {print w "=" $2}'
done | sort -u | tr '\n' ' ')
echo "# kernel worker=shipped_in: $si"
check "kernel transport: both workers executed shipped commands" \
	bash -c "echo '$si' | grep -Eq '(^| )0=[1-9]' && echo '$si' | grep -Eq '(^| )1=[1-9]'"
bench=$(timeout 120 redis-benchmark -p $KPORT -t set,get,incr -P 16 -c 50 -n 30000 -q 2>&1 | tr '\r' '\n')
echo "$bench" | grep -E "requests per second" | sed 's/^/# kernel: /'
check "kernel transport, 2 workers: redis-benchmark completes without errors" \
	bash -c "[ \$(echo '$bench' | grep -c 'requests per second') -eq 3 ] && ! echo '$bench' | grep -qi error"
kill -TERM $KPID
wait $KPID
check "kernel transport, 2 workers: SIGTERM exits 0" test $? -eq 0
sl_finish
