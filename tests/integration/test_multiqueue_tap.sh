#!/usr/bin/env bash
# The tap backend, with one worker lcore per queue: two workers on a two-queue
# TAP device (DPDK creates the interface; the kernel side gets an address).
# af_xdp on a veth is single-queue (test_errors checks the message saying so).
source "$(dirname "$0")/lib.sh"
sl_topology slt3 14
TAP=sltap0
SL_ARGS=(--device "tap:$TAP" --address 198.18.15.1/24 --instance t-tap --run-dir "$SLUICE_RUN_DIR" --no-huge yes)
tap_cleanup() { ip link del "$TAP" 2>/dev/null; sl_cleanup; }
trap tap_cleanup EXIT

check "sluice starts on tap:$TAP with 2 workers" sl_start --workers 2
check "log reports 2 queues" grep -q "on tap:$TAP, 2 queue(s)" "$SL_LOG"
ip addr add 198.18.15.2/24 dev "$TAP" && ip link set "$TAP" up
check "ping over the tap backend: 20 replies" \
	bash -c "ping -c 20 -i 0.05 -W 2 -I $TAP 198.18.15.1 | grep -q '20 received'"
check "arping over the tap backend" bash -c "arping -c 2 -w 4 -I $TAP 198.18.15.1 >/dev/null"
sl_stop TERM
check "clean stop with 2 workers (exit 0)" test $? -eq 0
check "both workers reported" bash -c "grep -q 'worker 0:' '$SL_LOG' && grep -q 'worker 1:' '$SL_LOG'"
check "the tap interface is gone with the process" bash -c "! ip link show $TAP >/dev/null 2>&1"
sl_finish
