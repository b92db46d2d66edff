#!/usr/bin/env bash
# The tap backend (DPDK creates the interface; the kernel side gets an
# address): ARP, ICMP and RESP over it.
source "$(dirname "$0")/lib.sh"
sl_topology slt3 14
TAP=sltap0
SL_ARGS=(--device "tap:$TAP" --address 198.18.15.1/24 --instance t-tap --run-dir "$SLUICE_RUN_DIR" --no-huge yes)
tap_cleanup() { ip link del "$TAP" 2>/dev/null; sl_cleanup; }
trap tap_cleanup EXIT

check "sluice starts on tap:$TAP" sl_start
check "log reports the tap device" grep -q "on tap:$TAP, 1 queue(s)" "$SL_LOG"
ip addr add 198.18.15.2/24 dev "$TAP" && ip link set "$TAP" up
check "ping over the tap backend: 20 replies" \
	bash -c "ping -c 20 -i 0.05 -W 2 -I $TAP 198.18.15.1 | grep -q '20 received'"
check "arping over the tap backend" bash -c "arping -c 2 -w 4 -I $TAP 198.18.15.1 >/dev/null"
check "RESP over the tap backend" \
	bash -c "redis-cli -h 198.18.15.1 set t v | grep -qx OK && redis-cli -h 198.18.15.1 get t | grep -qx v"
sl_stop TERM
check "clean stop (exit 0)" test $? -eq 0
check "the tap interface is gone with the process" bash -c "! ip link show $TAP >/dev/null 2>&1"
sl_finish
