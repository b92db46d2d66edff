#!/usr/bin/env bash
# Live admission control through sluicectl and the pinned maps, against the
# running dataplane: overload, ACL, per-source SYN rate and connection cap.
# Each change takes effect without a restart; new connections are shed at XDP
# (counted), established connections keep being served.
source "$(dirname "$0")/lib.sh"
sl_topology slt5 17
CTL=("$SLUICECTL" --instance "$SL_INSTANCE" --run-dir "$SLUICE_RUN_DIR")
stat() { "${CTL[@]}" stats | awk -F: -v k="xdp_$1" '$1 == k {print $2}'; }

check "sluice starts" sl_start
check "baseline: a new connection is served" \
	bash -c "redis-cli -h $SL_ADDR ping | grep -qx PONG"

# probe.py OP...: runs connection experiments against the service; ops:
#   hold N      open N connections and keep them (each answers PING)
#   new-ok      a new connection answers PING within 1 s
#   new-shed    a new connection does NOT complete within 1 s
#   held-ok     every held connection still answers PING
#   drop-one    close one held connection and wait for the server's FIN
#   ctl ARGS..  run sluicectl ARGS (';' ends the list)
cat >"$SLUICE_RUN_DIR/probe.py" <<'PY'
import socket, subprocess, sys, time
host, ctl, ops = sys.argv[1], sys.argv[2].split("\x1f"), sys.argv[3:]
held = []
def conn(timeout=5.0):
    # generous for connections that must succeed: the machine may be loaded
    s = socket.create_connection((host, 6379), timeout=timeout)
    s.settimeout(5.0)
    return s
def ping(s):
    s.sendall(b"PING\r\n")
    return s.recv(64) == b"+PONG\r\n"
i = 0
while i < len(ops):
    op = ops[i]; i += 1
    if op == "hold":
        n = int(ops[i]); i += 1
        for _ in range(n):
            s = conn(); assert ping(s), "held connection did not answer"; held.append(s)
    elif op == "new-ok":
        s = conn(); assert ping(s), "new connection did not answer"; s.close()
    elif op == "new-shed":
        try:
            conn(1.0).close()
            sys.exit("a new connection completed while it should have been shed")
        except (socket.timeout, TimeoutError):
            pass
    elif op == "held-ok":
        assert all(ping(s) for s in held), "a held connection stopped answering"
    elif op == "drop-one":
        s = held.pop(); s.shutdown(socket.SHUT_WR)
        while s.recv(64):
            pass
        s.close(); time.sleep(0.2)
    elif op == "ctl":
        j = ops.index(";", i)
        subprocess.run(ctl + ops[i:j], check=True, stdout=subprocess.DEVNULL)
        i = j + 1
    else:
        sys.exit("bad op " + op)
PY
probe() { python3 "$SLUICE_RUN_DIR/probe.py" "$SL_ADDR" "$(IFS=$'\x1f'; echo "${CTL[*]}")" "$@"; }

before=$(stat drop_overload)
check "overload on: held connections served, new ones shed; off: served again" \
	probe hold 2 ctl overload on \; new-shed held-ok ctl overload off \; new-ok held-ok
check "overload sheds were counted" test "$(stat drop_overload)" -gt "${before:-0}"

check "acl deny of the client's /24 sheds its new connections; del restores" \
	probe hold 1 ctl acl deny 198.18.17.0/24 \; new-shed held-ok ctl acl del 198.18.17.0/24 \; new-ok
check "acl list shows entries" bash -c "'${CTL[0]}' ${CTL[*]:1} acl deny 198.18.99.0/24 >/dev/null &&
	'${CTL[0]}' ${CTL[*]:1} acl list | grep -qx 'deny 198.18.99.0/24' &&
	'${CTL[0]}' ${CTL[*]:1} acl del 198.18.99.0/24 >/dev/null"
check "acl default deny with an allow for the client's /16" \
	probe ctl acl default deny \; new-shed ctl acl allow 198.18.0.0/16 \; new-ok \
	ctl acl default allow \; ctl acl del 198.18.0.0/16 \;
check "acl sheds were counted" test "$(stat drop_acl)" -ge 2

check "syn-rate 1 burst 2: two new connections pass, the third is shed" \
	probe ctl syn-rate 1 2 \; new-ok new-ok new-shed ctl syn-rate 0 \; new-ok
check "syn-rate sheds were counted" test "$(stat drop_syn_rate)" -ge 1

check "conn-cap 2: a third connection from the source is shed until one closes" \
	probe ctl conn-cap 2 0 \; hold 2 new-shed held-ok drop-one new-ok ctl conn-cap 0 \;
check "conn-cap sheds were counted" test "$(stat drop_conn_cap)" -ge 1

out=$("${CTL[@]}" status)
check "sluicectl status reports the policy" \
	bash -c "echo \"\$1\" | grep -q 'overload: off' && echo \"\$1\" | grep -q 'service address: $SL_ADDR:6379'" _ "$out"
check "bad sluicectl input is refused (exit 2)" bash -c "'${CTL[0]}' ${CTL[*]:1} syn-rate x; [ \$? -eq 2 ]"
check "established segments were never dropped" test "$(stat redirect_ipv4)" -gt 0
sl_stop TERM
check "clean stop (exit 0)" test $? -eq 0

check "restart with maxclients 3" sl_start --maxclients 3
check "maxclients 3: the 4th connection gets Redis's error and is closed" \
	python3 "$ROOT/tests/integration/maxclients_probe.py" "$SL_ADDR" 6379 3
sl_stop TERM
check "clean stop after rejecting (exit 0)" test $? -eq 0
check "shutdown log counts the rejected connection" grep -Eq "worker 0: .* 1 rejected by maxclients" "$SL_LOG"

check "restart with maxclients-per-source 2, source-prefix 24" \
	sl_start --maxclients-per-source 2 --source-prefix 24
ip addr add 198.18.17.3/32 dev "$SLUICE_HOST_IF"
check "per-source cap: a third connection from the same /24 gets Redis's maxclients error" \
	python3 - "$SL_ADDR" <<'PY'
import socket, sys, time
def conn(src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(3)
    s.connect((sys.argv[1], 6379))
    return s
def ping(s):
    s.sendall(b"PING\r\n")
    return s.recv(16) == b"+PONG\r\n"
a, b = conn("198.18.17.2"), conn("198.18.17.2")
assert ping(a) and ping(b)
c = conn("198.18.17.3")  # another address, same /24: same source
got = b""
while True:
    d = c.recv(256)
    if not d:
        break
    got += d
assert got == b"-ERR max number of clients reached\r\n", got
a.close()
time.sleep(0.3)
d = conn("198.18.17.3")
assert ping(d), "after one closes, the source may connect again"
PY
sl_stop TERM
check "shutdown log counts the per-source rejection" \
	grep -Eq "worker 0: .* 1 by maxclients-per-source" "$SL_LOG"
ip addr del 198.18.17.3/32 dev "$SLUICE_HOST_IF"

check "restart with client-output-buffer-limit normal 1mb 0 0" \
	sl_start --client-output-buffer-limit "normal 1mb 0 0"
check "client-output-buffer-limit: the client over the hard limit is closed, others served" \
	python3 "$ROOT/tests/integration/obuf_probe.py" "$SL_ADDR" 6379
sl_stop TERM
sl_finish
