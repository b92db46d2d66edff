#!/usr/bin/env bash
# KNOWN STACK BUG REPRODUCER (not a test_*.sh: tests/run.sh does not run it;
# it fails until the stack is fixed). Run: bash tests/integration/tcp/repro_sack_oversize.sh
#
# While sluice holds out-of-order data from the client (client -> sluice
# frames lost), every ACK-carrying segment it sends gets SACK blocks
# (dataplane/net/tcp/tcp.c emit(), the SACK branch), including full-sized data
# segments whose length was already capped at c->mss (which only accounts for
# the timestamp option). Such frames are 1514 + 12..28 bytes: beyond the MTU.
# RFC 9293 3.7.1 (and RFC 6691): the data length must shrink by the option
# length so the segment fits Eff.snd.MSS. On a 1500-MTU veth the kernel drops
# them (TX "dropped" on sluice's veth), causing spurious loss, RTOs and
# retransmission storms. Also shows that ICMP frag-needed never reaches the
# stack (see the end).
#
# Setup: router ingress from sluice has MTU 1600 so oversized frames reach it
# and tcpdump counts them; 1% loss only on the client -> sluice direction.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/tcp_lib.sh"
tcp_routed sltco 125
CAP=$SLUICE_RUN_DIR/from_sluice.pcap

check "sluice starts in echo mode" tcp_start --app echo --port 7
ip -n "$TCP_ROUTER" link set dev "$TCP_R_IN" mtu 1600
check "1% loss on the client -> sluice direction only" tcp_loss_attach "$TCP_R_OUT" 10000
ip netns exec "$TCP_ROUTER" tcpdump -i "$TCP_R_IN" -nn -s 128 -w "$CAP" \
	"src host $SL_ADDR and tcp" 2>/dev/null &
TCP_PIDS+=($!)
sleep 1
out=$(in_client python3 "$TCP_DIR/tcp_client.py" stream "$SL_ADDR" 7 --bytes $((8 << 20)) --deadline 60)
echo "# $out"
sleep 0.5
kill -INT "${TCP_PIDS[-1]}" && wait "${TCP_PIDS[-1]}" 2>/dev/null
total=$(tcpdump -nn -r "$CAP" 2>/dev/null | wc -l)
over=$(tcpdump -nn -r "$CAP" 'ip[2:2] > 1500' 2>/dev/null | wc -l)
tcpdump -nn -v -r "$CAP" 'ip[2:2] > 1500' 2>/dev/null | head -n 4 | sed 's/^/# /'
check "no frame from sluice exceeds the 1500-byte MTU ($over of $total do)" test "$over" -eq 0 -a "$total" -gt 1000
sl_stop TERM
tcp_counters
# Second finding, same run: the router answers the oversized DF frames with
# ICMP fragmentation-needed, but dataplane/net/icmp.c drops every ICMP type
# other than echo request (counted drop_icmp_unhandled) and nothing calls
# sl_tcp_icmp_unreach(), so the stack never lowers its MSS (issue 3: "ICMP
# destination unreachable / frag needed handled (PMTU)").
echo "# ICMP dropped as unhandled: $(tcp_counter drop_icmp_unhandled)"
check "ICMP frag-needed reached the stack (pmtu_updates > 0)" test "$(tcp_counter pmtu_updates)" -gt 0
sl_finish
