#!/usr/bin/env bash
# Protected mode: with no requirepass and no ACL, the dataplane serves only
# its directly connected subnet and says so at start; an ACL entry, a
# password, or --protected-mode no opens it to other networks.
source "$(dirname "$0")/lib.sh"
sl_topology slt6 18
FAR=198.18.43.2 # a client address outside 198.18.18.0/24, on the kernel end
ip addr add "$FAR/32" dev "$SLUICE_HOST_IF"
CTL=("$SLUICECTL" --instance "$SL_INSTANCE" --run-dir "$SLUICE_RUN_DIR")

# ask SRC: one PING from source address SRC; prints the first reply line.
ask() {
	python3 - "$1" "$SL_ADDR" <<'PY'
import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
s.settimeout(3)
s.connect((sys.argv[2], 6379))
s.sendall(b"PING\r\n")
buf = b""
while not buf.endswith(b"\r\n"):
    d = s.recv(4096)
    if not d:
        break
    buf += d
print(buf.decode().split(" ")[0].strip())
PY
}

check "sluice starts (no requirepass)" sl_start
check "start-up log says protected mode is on and for which subnet" \
	grep -q "protected mode: no requirepass and no ACL, so only clients in 198.18.18.0/24" "$SL_LOG"
check "a client in the connected subnet is served" test "$(ask 198.18.18.2)" = "+PONG"
check "a client from another subnet is denied with -DENIED" test "$(ask $FAR)" = "-DENIED"
"${CTL[@]}" acl allow 198.18.43.0/24 >/dev/null
sleep 0.5
check "after 'sluicectl acl allow' the other subnet is served" test "$(ask $FAR)" = "+PONG"
"${CTL[@]}" acl del 198.18.43.0/24 >/dev/null
sleep 0.5
check "after removing the ACL it is denied again" test "$(ask $FAR)" = "-DENIED"
sl_stop TERM

check "restart with requirepass" sl_start --requirepass s3cret
check "with a password every network may connect (and must AUTH)" \
	test "$(ask $FAR)" = "-NOAUTH"
check "no protected-mode warning when a password is set" \
	bash -c "[ \$(grep -c 'protected mode:' '$SL_LOG') -eq 1 ]"
sl_stop TERM

check "restart with --protected-mode no" sl_start --protected-mode no
check "with protected mode off the other subnet is served" test "$(ask $FAR)" = "+PONG"
sl_stop TERM
rc=$?
check "clean stop (exit $rc)" test $rc -eq 0
[ $rc -eq 0 ] || tail -n 8 "$SL_LOG"
sl_finish
