#!/usr/bin/env bash
# Userspace TCP stack over the real port (issue 3, acceptance 3.3): a client
# that writes without reading. Its own receive buffer fills, sluice's echo
# cannot send, stops consuming, and sluice's advertised window must close to
# zero (the kernel's send() stalls; TCP_INFO's snd_wnd reads 0). sluice probes
# the client's zero window meanwhile. When the client then reads, everything
# flows again and every byte comes back intact.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcp/tcp_lib.sh"
sl_topology sltcz 102

check "sluice starts in echo mode" tcp_start --app echo --port 7
out=$(python3 "$TCP_DIR/tcp_client.py" zerowin "$SL_ADDR" 7 --stall 3 --ss --deadline 60)
rc=$?
echo "$out" | sed 's/^/# /'
res=$(tail -n 1 <<<"$out")
check "the client's send() stalled, then all bytes came back intact after reading" \
	test $rc -eq 0
check "sluice advertised a zero window (kernel snd_wnd 0 at the stall)" \
	grep -q "peer_wnd_at_stall=0 " <<<"$res"
sent=$(sed -n 's/.*sent_before_stall=\([0-9]*\).*/\1/p' <<<"$res")
check "more was sent before the stall than sluice's 64 KiB receive buffer (${sent:-?} bytes)" \
	test "${sent:-0}" -gt 65536
check "ss -ti showed the connection" grep -q "$SL_ADDR:7" <<<"$out"
check "clean stop (exit 0)" tcp_stop
tcp_counters
check "sluice sent zero-window probes to the non-reading client" \
	test "$(tcp_counter persist_probes)" -gt 0
sl_finish
