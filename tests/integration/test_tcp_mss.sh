#!/usr/bin/env bash
# Segment sizes over the real port:
# 1. SACK blocks never push a frame past the MTU. While sluice holds
#    out-of-order data (1% loss client -> sluice), every ACK carries SACK
#    blocks; on full-sized data segments only the blocks that fit beside the
#    data are sent (RFC 9293 3.7.1). The router's interface towards sluice has
#    MTU 1600 so an oversized frame would arrive and be counted.
# 2. Path MTU discovery (RFC 1191): the router's link towards the client has
#    MTU 1400; sluice's 1500-byte DF frames get ICMP fragmentation-needed,
#    which the IPv4 layer hands to the stack, which lowers its MSS; the
#    transfer completes intact.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcp/tcp_lib.sh"
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

# 2. Path MTU discovery.
ip -n "$TCP_ROUTER" link set dev "$TCP_R_IN" mtu 1500
ip -n "$TCP_ROUTER" link set dev "$TCP_R_OUT" mtu 1400
# The client's link is 1400 too, but it advertises MSS 1460 (advmss), so only
# sluice's direction needs path MTU discovery.
in_client ip link set dev "$TCP_C_IF" mtu 1400
gw=$(in_client ip route show "$SL_ADDR/32" | awk '{for (i = 1; i < NF; i++) if ($i == "via") print $(i + 1)}')
in_client ip route replace "$SL_ADDR/32" via "$gw" advmss 1460
check "sluice restarts in echo mode" tcp_start --app echo --port 7
out=$(in_client python3 "$TCP_DIR/tcp_client.py" stream "$SL_ADDR" 7 --bytes $((8 << 20)) --deadline 60)
echo "# $out"
check "8 MiB echoed intact through a 1400-byte MTU hop" bash -c "echo \"\$1\" | grep -q 'bad=0'" _ "$out"
sl_stop TERM
tcp_counters
check "ICMP frag-needed reached the stack and lowered the MSS (pmtu_updates > 0)" \
	test "$(tcp_counter pmtu_updates)" -gt 0
sl_finish
