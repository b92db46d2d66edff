# shellcheck shell=bash
# Topology and helpers for the incident replays (source after
# tests/integration/lib.sh).
#
# inc_topology NAME IDX builds, with subnets 198.18.IDX..IDX+2:
#
#   sluice (af_xdp on NAME, 198.18.IDX.1)
#      | NAME <-> NAME-h
#   router namespace NAME-r (198.18.IDX.2, forwarding on)
#      | NAME-rc <-> NAME-cl                 | NAME-rs <-> NAME-sv
#   client namespace NAME-c                 server namespace NAME-s
#   198.18.IDX+1.2 and sources .10-.13      redis-server on 198.18.IDX+2.1
#
# so sluice and redis-server are reached by the same clients through the
# same router hop (and the same tbf qdisc when incident 2 adds one on
# NAME-rc, the router's egress toward the clients). The EXIT trap stops the
# processes started here (by PID), then sluice, then deletes the namespaces
# (which removes their veths and qdiscs).
INC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INC_PIDS=()
INC_NETNS=()

inc_cleanup() {
	local pid ns
	for pid in "${INC_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	sl_cleanup
	for ns in "${INC_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
}

inc_topology() {
	local name=$1 idx=$2 r=$1-r c=$1-c v=$1-s ns
	# Namespaces left by a killed earlier run of the same replay go first
	# (with them the veth ends they hold, and so their peers).
	for ns in "$r" "$c" "$v"; do ip netns del "$ns" 2>/dev/null; done
	sl_topology "$name" "$idx"
	trap inc_cleanup EXIT
	# The clients are in another subnet, behind the router.
	SL_ARGS+=(--protected-mode no)
	INC_ROUTER=$r INC_CLIENT_NS=$c INC_SERVER_NS=$v
	INC_R_OUT=$name-rc
	INC_CLIENT_ADDR=198.18.$((idx + 1)).2
	INC_SOURCES=(198.18.$((idx + 1)).10 198.18.$((idx + 1)).11 198.18.$((idx + 1)).12
		198.18.$((idx + 1)).13)
	REDIS_ADDR=198.18.$((idx + 2)).1
	ip netns add "$r" && INC_NETNS+=("$r")
	ip netns add "$c" && INC_NETNS+=("$c")
	ip netns add "$v" && INC_NETNS+=("$v")
	ip link set "$SLUICE_HOST_IF" netns "$r"
	ip link add "$name-rc" type veth peer name "$name-cl"
	ip link set "$name-rc" netns "$r"
	ip link set "$name-cl" netns "$c"
	ip link add "$name-rs" type veth peer name "$name-sv"
	ip link set "$name-rs" netns "$r"
	ip link set "$name-sv" netns "$v"
	ip -n "$r" addr add "198.18.$idx.2/24" dev "$SLUICE_HOST_IF"
	ip -n "$r" addr add "198.18.$((idx + 1)).1/24" dev "$name-rc"
	ip -n "$r" addr add "198.18.$((idx + 2)).2/24" dev "$name-rs"
	ip -n "$c" addr add "$INC_CLIENT_ADDR/24" dev "$name-cl"
	local a
	for a in "${INC_SOURCES[@]}"; do
		ip -n "$c" addr add "$a/24" dev "$name-cl"
	done
	ip -n "$v" addr add "$REDIS_ADDR/24" dev "$name-sv"
	local dev ns_dev
	for ns_dev in "$r:$SLUICE_HOST_IF" "$r:$name-rc" "$r:$name-rs" "$c:$name-cl" "$v:$name-sv" \
		"$c:lo" "$r:lo" "$v:lo"; do
		ns=${ns_dev%%:*} dev=${ns_dev#*:}
		ip -n "$ns" link set "$dev" up
		[ "$dev" = lo ] && continue
		# AF_XDP sees raw frames: no offloads on the path to sluice.
		ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1
	done
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$c" route add "$SL_ADDR/32" via "198.18.$((idx + 1)).1"
	ip -n "$c" route add "$REDIS_ADDR/32" via "198.18.$((idx + 1)).1"
	ip -n "$v" route add "198.18.$((idx + 1)).0/24" via "198.18.$((idx + 2)).2"
	# Many short connections from few addresses: allow reuse of TIME_WAIT ports.
	ip netns exec "$c" sysctl -qw net.ipv4.tcp_tw_reuse=1
	ip netns exec "$c" sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
	ip netns exec "$v" sysctl -qw net.core.somaxconn=4096
}

in_client() { ip netns exec "$INC_CLIENT_NS" "$@"; }

# redis_start ARGS...: redis-server 7.0.15 in the server namespace on
# $REDIS_ADDR:6379 with ARGS appended; sets REDIS_PID and waits for PONG.
redis_start() {
	local dir=$SLUICE_RUN_DIR/redis
	mkdir -p "$dir"
	ip netns exec "$INC_SERVER_NS" bash -c 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"' _ \
		redis-server --bind "$REDIS_ADDR" --port 6379 --save '' --appendonly no \
		--protected-mode no --dir "$dir" --logfile "$dir/redis.log" "$@" &
	REDIS_PID=$!
	INC_PIDS+=("$REDIS_PID")
	for _ in $(seq 100); do
		in_client redis-cli -h "$REDIS_ADDR" ping 2>/dev/null | grep -qx PONG && return 0
		kill -0 "$REDIS_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# redis_stop: SIGTERM to REDIS_PID and wait for it.
redis_stop() {
	kill -TERM "$REDIS_PID" 2>/dev/null || return 0
	for _ in $(seq 100); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$REDIS_PID" 2>/dev/null
	return 0
}

# inc_sluice_start ARGS...: sl_start, printing sluice's log when it fails.
inc_sluice_start() {
	sl_start "$@" && return 0
	sed 's/^/# sluice: /' "$SL_LOG"
	return 1
}

# json_get FILE KEY: one top-level value of a JSON file ("" when absent).
json_get() {
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2], ""); print(v)' "$1" "$2"
}
