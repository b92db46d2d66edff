#!/usr/bin/env bash
# deploy/testbed.sh up|down|status [--queues N]
#
# The default embedded topology for a host without a DPDK NIC:
#   sluice0        dataplane end of a veth pair: no kernel address; sluice
#                  drives it through AF_XDP with its own XDP program
#   sluice0-host   kernel end: 198.18.0.2/24, checksum offload and
#                  segmentation/coalescing turned off (AF_XDP sees raw frames)
# plus what DPDK and the XDP program need: bpffs mounted, hugepages reserved
# (falls back to --no-huge when the kernel cannot give any).
#
# Idempotent and safe after a crash: `up` repairs a half-built topology,
# `down` removes only what `up` created (recorded in $STATE).
set -euo pipefail

DP_IF=${SLUICE_IF:-sluice0}
HOST_IF=${SLUICE_HOST_IF:-${DP_IF}-host}
HOST_ADDR=${SLUICE_HOST_ADDR:-198.18.0.2/24}
RUN_DIR=${SLUICE_RUN_DIR:-/run/sluice}
STATE=$RUN_DIR/testbed.state
HUGEPAGES=${SLUICE_HUGEPAGES:-512}
QUEUES=1

die() { echo "testbed: $*" >&2; exit 1; }
note() { echo "testbed: $*"; }
record() { grep -qxF "$1" "$STATE" 2>/dev/null || echo "$1" >>"$STATE"; }
recorded() { grep -qxF "$1" "$STATE" 2>/dev/null; }

cmd=${1:-}
shift || true
while [ $# -gt 0 ]; do
	case $1 in
	--queues) QUEUES=$2; shift 2 ;;
	*) die "unknown argument '$1' (usage: testbed.sh up|down|status [--queues N])" ;;
	esac
done
[ "$(id -u)" = 0 ] || die "must run as root"

up() {
	mkdir -p "$RUN_DIR"
	touch "$STATE"

	if ! mountpoint -q /sys/fs/bpf; then
		mount -t bpf bpf /sys/fs/bpf && record bpffs && note "mounted bpffs at /sys/fs/bpf"
	fi

	local total free
	total=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$total" -lt "$HUGEPAGES" ]; then
		recorded "hugepages $total" || grep -q '^hugepages ' "$STATE" || record "hugepages $total"
		echo "$HUGEPAGES" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
	fi
	if ! grep -q ' /dev/hugepages hugetlbfs ' /proc/mounts; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null && record hugetlbfs || true
	fi
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	if [ "${free:-0}" -gt 0 ] && grep -q ' hugetlbfs ' /proc/mounts; then
		echo "no-huge no" >"$RUN_DIR/testbed.conf"
		note "hugepages: $free free"
	else
		echo "no-huge yes" >"$RUN_DIR/testbed.conf"
		note "hugepages unavailable: sluice will run with --no-huge"
	fi

	if ip link show "$DP_IF" >/dev/null 2>&1; then
		local have
		have=$(ls -d /sys/class/net/"$DP_IF"/queues/rx-* 2>/dev/null | wc -l)
		if [ "$have" != "$QUEUES" ]; then
			note "recreating $DP_IF with $QUEUES queue(s) (had $have)"
			ip link del "$DP_IF"
		fi
	fi
	if ! ip link show "$DP_IF" >/dev/null 2>&1; then
		ip link add "$DP_IF" numtxqueues "$QUEUES" numrxqueues "$QUEUES" type veth \
			peer name "$HOST_IF" numtxqueues "$QUEUES" numrxqueues "$QUEUES"
		record "veth $DP_IF"
		note "created veth $DP_IF <-> $HOST_IF ($QUEUES queue(s))"
	fi
	# The dataplane end belongs to sluice: no kernel address, no IPv6 chatter.
	sysctl -qw "net.ipv6.conf.$DP_IF.disable_ipv6=1" 2>/dev/null || true
	ip addr flush dev "$DP_IF"
	ip link set "$DP_IF" up
	ip link set "$HOST_IF" up
	ip addr replace "$HOST_ADDR" dev "$HOST_IF"
	ethtool -K "$HOST_IF" tx off tso off gso off gro off >/dev/null 2>&1 || true
	ethtool -K "$DP_IF" tx off tso off gso off gro off >/dev/null 2>&1 || true
	note "up: $DP_IF (dataplane, no address) <-> $HOST_IF ($HOST_ADDR)"
}

down() {
	if ip link show "$DP_IF" >/dev/null 2>&1; then
		ip link del "$DP_IF" && note "removed veth $DP_IF <-> $HOST_IF"
	fi
	if [ -f "$STATE" ]; then
		local prev
		prev=$(awk '$1 == "hugepages" {print $2; exit}' "$STATE")
		if [ -n "$prev" ]; then
			echo "$prev" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
			note "hugepages back to $prev"
		fi
		if recorded hugetlbfs && grep -q ' /dev/hugepages hugetlbfs ' /proc/mounts; then
			umount /dev/hugepages 2>/dev/null && note "unmounted /dev/hugepages" || true
		fi
		if recorded bpffs && mountpoint -q /sys/fs/bpf; then
			rmdir /sys/fs/bpf/sluice 2>/dev/null || true
			if [ -z "$(ls -A /sys/fs/bpf 2>/dev/null)" ]; then
				umount /sys/fs/bpf && note "unmounted bpffs"
			fi
		fi
		rm -f "$STATE" "$RUN_DIR/testbed.conf"
	fi
	note "down"
}

status() {
	ip -br link show "$DP_IF" 2>/dev/null || echo "$DP_IF: absent"
	ip -br addr show "$HOST_IF" 2>/dev/null || echo "$HOST_IF: absent"
	mountpoint -q /sys/fs/bpf && echo "bpffs: mounted" || echo "bpffs: not mounted"
	awk '/^HugePages_(Total|Free):/' /proc/meminfo
}

case $cmd in
up) up ;;
down) down ;;
status) status ;;
*) die "usage: testbed.sh up|down|status [--queues N]" ;;
esac
