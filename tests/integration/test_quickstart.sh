#!/usr/bin/env bash
# Acceptance for the README's first command: deploy/quickstart.sh ends with
# sluice running on the default embedded port, and from the kernel side ping
# and arping to 198.18.0.1 get replies from the dataplane, although no kernel
# interface holds that address.
source "$(dirname "$0")/lib.sh"
ADDR=198.18.0.1
PIDFILE=/run/sluice/default.pid

if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
	not_ok "a sluice instance 'default' is already running (pid $(cat $PIDFILE)); stop it first"
	sl_finish
fi
qs_cleanup() {
	"$ROOT/deploy/quickstart.sh" stop >/dev/null 2>&1
}
trap qs_cleanup EXIT

out=$(SLUICE_BUILD=$BUILD "$ROOT/deploy/quickstart.sh" 2>&1)
rc=$?
check "quickstart.sh exits 0" test $rc -eq 0
check "quickstart.sh prints how to stop" bash -c "echo \"\$1\" | grep -q 'quickstart.sh stop'" _ "$out"
check "sluice is running" bash -c "kill -0 \$(cat $PIDFILE)"
check "the kernel holds no address $ADDR" bash -c "! ip -4 -o addr show | grep -q ' $ADDR/'"
check "ping -c 3 $ADDR: 3 replies" bash -c "ping -c 3 -W 2 $ADDR | grep -q '3 received'"
dp_mac=$(cat /sys/class/net/sluice0/address)
check "arping $ADDR: replies from the dataplane port's MAC $dp_mac" \
	bash -c "arping -c 3 -w 5 -I sluice0-host $ADDR | grep -qi 'from $dp_mac'"
check "the frames went through sluice's XDP program" \
	bash -c "'$SLUICECTL' stats | awk -F: '/^xdp_redirect_ipv4:/ {exit !(\$2 >= 3)}'"
check "quickstart.sh printed an example redis-cli session" \
	bash -c "echo \"\$1\" | grep -q 'GET greeting *-> hello'" _ "$out"
check "redis-cli -h $ADDR: SET/GET through the dataplane" \
	bash -c "redis-cli -h $ADDR set qs ok | grep -qx OK && redis-cli -h $ADDR get qs | grep -qx ok"
check "quickstart.sh is idempotent (second run reuses the instance)" \
	bash -c "SLUICE_BUILD=$BUILD '$ROOT/deploy/quickstart.sh' | grep -q 'already running'"
"$ROOT/deploy/quickstart.sh" stop >/dev/null 2>&1
check "quickstart.sh stop stops it" bash -c "! ping -c 1 -W 1 $ADDR >/dev/null 2>&1"
check "... and removes the veth" bash -c "! ip link show sluice0 >/dev/null 2>&1"
sl_finish
