#!/usr/bin/env bash
# deploy/testbed.sh up/down are idempotent, repair a half-built topology,
# and down removes what up created.
source "$(dirname "$0")/lib.sh"
export SLUICE_IF=sltb0 SLUICE_HOST_IF=sltb0-h SLUICE_HOST_ADDR=198.18.13.2/24
export SLUICE_RUN_DIR=/run/sluice-test-sltb0
TB=$ROOT/deploy/testbed.sh
trap '"$TB" down >/dev/null 2>&1; rm -rf "$SLUICE_RUN_DIR"' EXIT

check "up succeeds" "$TB" up
check "up again succeeds (idempotent)" "$TB" up
check "dataplane end exists and is up" bash -c "ip -br link show $SLUICE_IF | grep -q UP"
check "dataplane end has no IPv4 address" bash -c "! ip -4 -o addr show dev $SLUICE_IF | grep -q inet"
check "kernel end has 198.18.13.2/24" bash -c "ip -4 -o addr show dev $SLUICE_HOST_IF | grep -q '198.18.13.2/24'"
check "kernel end has TX checksum offload off" \
	bash -c "ethtool -k $SLUICE_HOST_IF | grep -q '^tx-checksumming: off'"
check "kernel end has GRO off" \
	bash -c "ethtool -k $SLUICE_HOST_IF | grep -q '^generic-receive-offload: off'"
check "bpffs is mounted" mountpoint -q /sys/fs/bpf
check "hugepages reserved, or no-huge recorded" \
	bash -c "grep -q '^no-huge' $SLUICE_RUN_DIR/testbed.conf"

ip addr del 198.18.13.2/24 dev "$SLUICE_HOST_IF"
ip addr add 198.18.13.1/24 dev "$SLUICE_IF"
check "up repairs a damaged topology" "$TB" up
check "... the kernel address is back" bash -c "ip -4 -o addr show dev $SLUICE_HOST_IF | grep -q '198.18.13.2/24'"
check "... the dataplane end has no address again" \
	bash -c "! ip -4 -o addr show dev $SLUICE_IF | grep -q inet"
check "up --queues 2 recreates the pair with 2 queues" \
	bash -c "'$TB' up --queues 2 >/dev/null && ls -d /sys/class/net/$SLUICE_IF/queues/rx-* | wc -l | grep -qx 2"
check "down succeeds" "$TB" down
check "down removed the veth pair" bash -c "! ip link show $SLUICE_IF >/dev/null 2>&1"
check "down again succeeds (idempotent)" "$TB" down
sl_finish
