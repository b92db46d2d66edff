#!/usr/bin/env bash
# Userspace TCP stack over the real port (issue 3, acceptance 3.2): 10,000
# kernel connections open at once against sluice's TCP echo; every one echoes
# its own message while all are open.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcp/tcp_lib.sh"
sl_topology sltcm 101
N=10000
# The client holds N sockets: raise the soft limit as far as the hard one allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
check "open-files limit allows $N sockets" test "$(ulimit -n)" = unlimited -o "$(ulimit -n)" -gt $((N + 64))

check "sluice starts in echo mode with maxclients 20000" \
	tcp_start --app echo --port 7 --maxclients 20000
out=$(python3 "$TCP_DIR/tcp_client.py" many "$SL_ADDR" 7 $N --deadline 90)
rc=$?
echo "# $out"
check "$N connections open at once, each echoes its own message" test $rc -eq 0
check "all $N open and echoed, none wrong" grep -q "open=$N echoed=$N wrong=0 " <<<"$out"
check "clean stop (exit 0)" tcp_stop
tcp_counters
accepted=$(grep -Eo '[0-9]+ connections accepted' "$SL_LOG" | tail -n 1 | cut -d' ' -f1)
check "sluice accepted $N connections (got ${accepted:-none})" test "${accepted:-0}" -eq $N
echo "# resets sent: $(tcp_counter rst_out) (late segments after teardown also get one)"
check "no SYN was dropped for a full backlog" test "$(tcp_counter backlog_drops)" -eq 0
sl_finish
