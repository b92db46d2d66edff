#!/usr/bin/env bash
# Userspace TCP stack over the real port (issue 3, acceptance 3.1): 1 GiB each
# way through sluice's TCP echo (af_xdp -> sl_tcp, one worker) from a kernel
# client on the other end of the veth, which streams and hashes (SHA-256)
# what it sends and what comes back concurrently.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcp/tcp_lib.sh"
sl_topology sltcb 100
CLIENT=(python3 "$TCP_DIR/tcp_client.py")

check "sluice starts in echo mode" tcp_start --app echo --port 7
check "log says it serves the TCP echo" grep -q "serving TCP echo on $SL_ADDR:7" "$SL_LOG"
out=$("${CLIENT[@]}" stream "$SL_ADDR" 7 --conns 1 --bytes $((1 << 30)) --deadline 150)
rc=$?
echo "# $out"
check "1 GiB each way, SHA-256 of the echo equals SHA-256 of what was sent" test $rc -eq 0
check "all 1073741824 bytes came back" grep -q "bytes_each_way=1073741824 " <<<"$out"
check "clean stop (exit 0)" tcp_stop
tcp_counters
check "the stack counted at least 1 GiB in order" \
	test "$(tcp_counter bytes_in)" -ge $((1 << 30))
sl_finish
