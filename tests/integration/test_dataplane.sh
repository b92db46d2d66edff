#!/usr/bin/env bash
# The dataplane answers ARP and ICMP echo for an address the kernel does not
# hold, through the XDP program and AF_XDP; it stops answering when sluice
# stops, and a clean shutdown leaves no XDP program and no pins behind.
source "$(dirname "$0")/lib.sh"
sl_topology slt0 10

dp_mac=$(cat /sys/class/net/$SLUICE_IF/address)
check "kernel holds no address $SL_ADDR" \
	bash -c "! ip -4 -o addr show | grep -q ' $SL_ADDR/'"
check "no reply for $SL_ADDR before sluice starts" \
	bash -c "! ping -c 1 -W 1 -I $SLUICE_HOST_IF $SL_ADDR >/dev/null 2>&1"

check "sluice starts" sl_start
check "ping -c 3 gets 3 replies" \
	bash -c "ping -c 3 -W 2 -I $SLUICE_HOST_IF $SL_ADDR | grep -q '3 received'"
out=$(arping -c 3 -w 5 -I "$SLUICE_HOST_IF" "$SL_ADDR" 2>&1)
check "arping gets replies" bash -c "echo '$out' | grep -q '3 packets received'"
check "arping replies carry the dataplane port's MAC $dp_mac" \
	bash -c "echo '$out' | grep -qi 'from $dp_mac'"
check "kernel neighbour entry for $SL_ADDR is the dataplane MAC" \
	bash -c "ip neigh show $SL_ADDR dev $SLUICE_HOST_IF | grep -qi '$dp_mac'"
check "1400-byte echo answered" \
	bash -c "ping -c 2 -s 1400 -W 2 -I $SLUICE_HOST_IF $SL_ADDR | grep -q '2 received'"
check "odd-sized echo answered" \
	bash -c "ping -c 2 -s 37 -W 2 -I $SLUICE_HOST_IF $SL_ADDR | grep -q '2 received'"
check "500 echoes at 2 ms intervals, none lost" \
	bash -c "ping -c 500 -i 0.002 -W 1 -q -I $SLUICE_HOST_IF $SL_ADDR | grep -q ' 0% packet loss'"

stats=$("$SLUICECTL" --instance "$SL_INSTANCE" --run-dir "$SLUICE_RUN_DIR" stats)
redir_ip=$(echo "$stats" | awk -F: '/^xdp_redirect_ipv4:/ {print $2}')
redir_arp=$(echo "$stats" | awk -F: '/^xdp_redirect_arp:/ {print $2}')
check "XDP redirected >= 507 IPv4 frames to the dataplane (saw ${redir_ip:-none})" \
	test "${redir_ip:-0}" -ge 507
check "XDP redirected the ARP requests (saw ${redir_arp:-none})" test "${redir_arp:-0}" -ge 3
check "sluicectl status: running, steering active for $SL_ADDR" \
	bash -c "'$SLUICECTL' --instance '$SL_INSTANCE' --run-dir '$SLUICE_RUN_DIR' status |
		grep -q 'service address: $SL_ADDR' &&
		'$SLUICECTL' --instance '$SL_INSTANCE' --run-dir '$SLUICE_RUN_DIR' status |
		grep -q 'xdp steering: active'"

sl_stop TERM
check "SIGTERM: exit status 0" test $? -eq 0
check "SIGTERM: log says goodbye" grep -q "ready to exit" "$SL_LOG"
check "worker counted the echo replies" \
	bash -c "grep -Eq 'worker 0: .* ([5-9][0-9][0-9]|[0-9]{4,}) echo replies' '$SL_LOG'"
check "no reply after sluice stopped (the replies were the dataplane's)" \
	bash -c "! ping -c 2 -W 1 -I $SLUICE_HOST_IF $SL_ADDR >/dev/null 2>&1"
check "XDP program detached" bash -c "! ip link show $SLUICE_IF | grep -q ' xdp'"
check "pins removed" test ! -e "/sys/fs/bpf/sluice/$SL_INSTANCE"
check "pid file removed" test ! -e "$SLUICE_RUN_DIR/$SL_INSTANCE.pid"

check "restart after a clean stop" sl_start
sl_stop INT
check "SIGINT: exit status 0" test $? -eq 0
sl_finish
