# shellcheck shell=bash
# Helpers for the TCP integration tests (source after lib.sh).
#
# tcp_routed NAME IDX: sluice's veth NAME (root namespace, no kernel address)
# <-> NAME-h in a router namespace NAME-r (198.18.IDX.2/24, forwarding on)
# <-> NAME-rc / NAME-c in a client namespace NAME-c (198.18.IDX+1.0/24), whose
# route to sluice (198.18.IDX.1) goes through the router. sluice answers each
# frame to the MAC it came from, so it needs no route back. The EXIT trap
# removes the namespaces (and with them the veths) after lib.sh's cleanup.
TCP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TCP_PIDS=()
TCP_NETNS=()

tcp_cleanup() {
	local pid ns
	for pid in "${TCP_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	sl_cleanup
	for ns in "${TCP_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
}

tcp_routed() {
	local name=$1 idx=$2 r=$1-r c=$1-c
	sl_topology "$name" "$idx"
	trap tcp_cleanup EXIT
	SL_ARGS+=(--protected-mode no)
	TCP_ROUTER=$r TCP_CLIENT_NS=$c
	TCP_R_IN=$SLUICE_HOST_IF TCP_R_OUT=$name-rc TCP_C_IF=$name-cl
	TCP_CLIENT_ADDR=198.18.$((idx + 1)).2
	ip netns add "$r" && TCP_NETNS+=("$r")
	ip netns add "$c" && TCP_NETNS+=("$c")
	ip link set "$TCP_R_IN" netns "$r"
	ip link add "$TCP_R_OUT" type veth peer name "$TCP_C_IF"
	ip link set "$TCP_R_OUT" netns "$r"
	ip link set "$TCP_C_IF" netns "$c"
	ip -n "$r" addr add "198.18.$idx.2/24" dev "$TCP_R_IN"
	ip -n "$r" addr add "198.18.$((idx + 1)).1/24" dev "$TCP_R_OUT"
	ip -n "$c" addr add "$TCP_CLIENT_ADDR/24" dev "$TCP_C_IF"
	local ns dev
	for ns_dev in "$r:$TCP_R_IN" "$r:$TCP_R_OUT" "$c:$TCP_C_IF" "$c:lo" "$r:lo"; do
		ns=${ns_dev%%:*} dev=${ns_dev#*:}
		ip -n "$ns" link set "$dev" up
		[ "$dev" = lo ] && continue
		ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1
	done
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$c" route add "$SL_ADDR/32" via "198.18.$((idx + 1)).1"
}

# in_client CMD...: runs CMD in the client namespace.
in_client() { ip netns exec "$TCP_CLIENT_NS" "$@"; }

# tcp_counters: prints sluice's shutdown TCP counters line from the log, and
# keeps it in TCP_COUNTERS for tcp_counter.
tcp_counters() {
	TCP_COUNTERS=$(grep -o 'worker 0 counters:.*' "$SL_LOG" | tail -n 1)
	echo "# ${TCP_COUNTERS:-no counters line in $SL_LOG}"
}

# tcp_counter NAME: the value of one counter (0 when absent: only non-zero
# counters are logged).
tcp_counter() {
	local v
	v=$(tr ' ' '\n' <<<"$TCP_COUNTERS" | awk -F= -v k="$1" '$1 == k {print $2}')
	echo "${v:-0}"
}

# tcp_loss_attach DEV PPM: builds xdp_loss.bpf.c with LOSS_PPM=PPM and
# attaches it to DEV in the router namespace (native XDP; generic if the
# driver refuses).
tcp_loss_attach() {
	local dev=$1 obj=$SLUICE_RUN_DIR/xdp_loss_$2.o
	if [ ! -f "$obj" ]; then
		clang -target bpf -O2 -g -Wall -Werror -I"/usr/include/$(gcc -dumpmachine)" \
			-DLOSS_PPM="$2" -c "$TCP_DIR/xdp_loss.bpf.c" -o "$obj" || return 1
	fi
	ip -n "$TCP_ROUTER" link set dev "$dev" xdp obj "$obj" sec xdp 2>/dev/null ||
		ip -n "$TCP_ROUTER" link set dev "$dev" xdpgeneric obj "$obj" sec xdp
}

# tcp_loss_stats DEV: "passed dropped" TCP frames counted by DEV's program.
tcp_loss_stats() {
	local prog map
	prog=$(ip -n "$TCP_ROUTER" -d link show dev "$1" | grep -o 'prog/xdp id [0-9]*' | awk '{print $3}')
	map=$(bpftool prog show id "$prog" 2>/dev/null | grep -o 'map_ids [0-9]*' | awk '{print $2}')
	bpftool -j map dump id "$map" 2>/dev/null |
		python3 -c '
import json, sys
v = {}
for e in json.load(sys.stdin):
    k = int.from_bytes(bytes(int(b, 16) for b in e["key"]), "little")
    v[k] = int.from_bytes(bytes(int(b, 16) for b in e["value"]), "little")
print(v.get(0, 0), v.get(1, 0))'
}

# tcp_start ARGS...: sl_start, printing sluice's log when it fails to start.
tcp_start() {
	sl_start "$@" && return 0
	sed 's/^/# sluice: /' "$SL_LOG"
	return 1
}

# tcp_stop: sl_stop TERM; on a non-zero exit status prints the end of
# sluice's log (a sanitizer report, an error) before the EXIT trap removes it.
tcp_stop() {
	local rc
	sl_stop TERM
	rc=$?
	[ $rc -eq 0 ] || tail -n 40 "$SL_LOG" | sed 's/^/# sluice: /'
	return $rc
}
