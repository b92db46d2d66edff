#!/usr/bin/env bash
# The admin socket and the sluicectl commands that use it, against the
# running af_xdp dataplane: socket mode and owner, clients list/kill, top,
# live config, refusal of a non-root user, replacement of a stale socket
# after kill -9, refusal to start over a non-socket file, stats without the
# socket, and AUTH brute-force limiting and counting.
source "$(dirname "$0")/lib.sh"
sl_topology sladm0 200
CTL=("$SLUICECTL" --instance "$SL_INSTANCE" --run-dir "$SLUICE_RUN_DIR")
SOCK=$SLUICE_RUN_DIR/$SL_INSTANCE.admin.sock
PASS=adm1n-pass
CLIENT=198.18.200.2 # the kernel end of the veth: every client's address
# Ordinary pages: hugepages are shared with whatever else runs on the host and
# may be gone by the time of the restart below.
SL_ARGS+=(--no-huge yes --memory 256)

check "sluice starts with requirepass" sl_start --requirepass "$PASS"
check "admin socket is a socket, mode 0600, owned by root" \
	test "$(stat -c '%F %a %U' "$SOCK")" = "socket 600 root"
check "redis-cli -s speaks RESP on it" bash -c "redis-cli -s '$SOCK' ping | grep -qx PONG"
check "unknown command gets Redis's error" bash -c \
	"redis-cli -s '$SOCK' frobnicate x | grep -qx \"ERR unknown command 'frobnicate', with args beginning with: 'x' \""

# clients list shows a connected redis-cli with its address; the port is
# taken from the kernel's socket table (ss), not from sluice.
{ echo "CLIENT SETNAME admintest"; sleep 4; } |
	redis-cli -h "$SL_ADDR" -a "$PASS" --no-auth-warning >/dev/null 2>&1 &
RCLI=$!
port=""
for _ in $(seq 30); do
	port=$(ss -tnpH state established "dst $SL_ADDR:6379" 2>/dev/null |
		awk -v pid="pid=$RCLI," 'index($0, pid) {split($3, a, ":"); print a[2]}')
	[ -n "$port" ] && "${CTL[@]}" clients list | grep -q "name=admintest" && break
	sleep 0.1
done
check "clients list shows the redis-cli with addr=$CLIENT:$port" bash -c \
	"[ -n '$port' ] && '${CTL[0]}' ${CTL[*]:1} clients list | grep 'name=admintest' | grep -q ' addr=$CLIENT:$port '"
wait "$RCLI" 2>/dev/null

# kill: a held connection is killed by id; it is closed (reset or EOF) when
# it next talks, and it never gets a reply again.
cat >"$SLUICE_RUN_DIR/admin_probe.py" <<'PY'
import re, socket, subprocess, sys, time
host, pw, ctl, op = sys.argv[1], sys.argv[2], sys.argv[3].split("\x1f"), sys.argv[4]
def conn():
    s = socket.create_connection((host, 6379), timeout=5)
    s.settimeout(5)
    return s
def call(s, req):
    s.sendall(req)
    buf = b""
    while not buf.endswith(b"\r\n"):
        d = s.recv(4096)
        if not d:
            break
        buf += d
    return buf
def run(*args):
    return subprocess.run(ctl + list(args), check=True, capture_output=True, text=True).stdout
if op == "kill":
    s = conn()
    assert call(s, b"AUTH %s\r\n" % pw.encode()) == b"+OK\r\n"
    port = s.getsockname()[1]
    lines = [l for l in run("clients", "list").splitlines() if " addr=%s:%d " % (s.getsockname()[0], port) in l]
    assert len(lines) == 1, "clients list does not show our connection: %r" % lines
    cid = re.match(r"id=(\d+) ", lines[0]).group(1)
    # the same fields, in the same order, as the client's own CLIENT INFO
    s.sendall(b"CLIENT INFO\r\n")
    info = b""
    while info.count(b"\r\n") < 2:
        info += s.recv(4096)
    keys = lambda line: [f.split("=", 1)[0] for f in line.strip().split(" ")]
    own = info.split(b"\r\n")[1].decode()
    assert keys(own) == keys(lines[0]), (own, lines[0])
    assert own.startswith("id=%s addr=%s:%d " % (cid, s.getsockname()[0], port)), own
    out = run("clients", "kill", cid)
    assert out.strip() == "killed 1 client(s)", out
    try:
        got = call(s, b"PING\r\n")
    except (ConnectionResetError, BrokenPipeError):
        got = b""
    assert got == b"", "the killed connection still answered: %r" % got
    out = run("clients", "list")
    assert " addr=%s:%d " % (s.getsockname()[0], port) not in out, "killed client still listed"
elif op == "maxclients":
    # with maxclients 2 two connections are served and a third one gets Redis's error
    a, b = conn(), conn()
    for s in (a, b):
        assert call(s, b"AUTH %s\r\n" % pw.encode()) == b"+OK\r\n"
    c = conn()
    got = c.recv(4096)
    assert got == b"-ERR max number of clients reached\r\n", got
    run("config", "set", "maxclients", "10000")
    d = conn()
    assert call(d, b"AUTH %s\r\n" % pw.encode()) == b"+OK\r\n"
    assert call(a, b"PING\r\n") == b"+PONG\r\n"
elif op == "brute":
    # 10 guesses pipelined on one connection: 5 are compared and refused, the
    # sixth gets the limit error and the connection closes.
    s = conn()
    s.sendall(b"AUTH guess\r\n" * 10)
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    lines = buf.split(b"\r\n")[:-1]
    want = [b"-WRONGPASS invalid username-password pair or user is disabled."] * 5 + \
           [b"-ERR too many AUTH failures on this connection (more than 5 within one second); closing it"]
    assert lines == want, lines
    # a new connection with the right password is served at once
    t = conn()
    assert call(t, b"AUTH %s\r\n" % pw.encode()) == b"+OK\r\n"
PY
probe() { python3 "$SLUICE_RUN_DIR/admin_probe.py" "$SL_ADDR" "$PASS" "$(IFS=$'\x1f'; echo "${CTL[*]}")" "$@"; }
check "clients kill closes the client, which gets no further reply" probe kill

out=$("${CTL[@]}" top --once 2>&1)
echo "$out" | sed 's/^/# top: /'
check "top --once prints the worker table and XDP rates" bash -c \
	"grep -q 'requests/s' <<<'$out' && grep -Eq '^0 +[0-9]+ +[0-9]+ +[0-9]+ +ok' <<<'$out' && grep -q '^xdp decisions/s: [0-9]' <<<'$out'"

check "config set maxclients 2 applies" bash -c "'${CTL[0]}' ${CTL[*]:1} config set maxclients 2 >/dev/null"
check "config get shows it" bash -c "'${CTL[0]}' ${CTL[*]:1} config get maxclients | grep -qx 'maxclients 2'"
check "live maxclients: the third connection is refused; raising it serves again" probe maxclients
check "config get client-output-buffer-limit" bash -c \
	"'${CTL[0]}' ${CTL[*]:1} config get client-output-buffer-limit | grep -qx 'client-output-buffer-limit normal 0 0 0'"

# Figures (printed, never judged): how long the admin commands take with
# 1000 idle connections held on the worker.
python3 - "$SL_ADDR" "$(IFS=$'\x1f'; echo "${CTL[*]}")" <<'PY' | sed 's/^/# figure: /'
import socket, subprocess, sys, time
host, ctl = sys.argv[1], sys.argv[2].split("\x1f")
held = [socket.create_connection((host, 6379), timeout=10) for _ in range(1000)]
for what in (["clients", "list"], ["stats"]):
    best = 1e9
    for _ in range(5):
        t = time.perf_counter()
        out = subprocess.run(ctl + what, check=True, capture_output=True, text=True).stdout
        best = min(best, time.perf_counter() - t)
    print("%d connections: sluicectl %s best of 5 %.1f ms (%d lines)" %
          (len(held), " ".join(what), best * 1000, out.count("\n")))
PY

before=$("${CTL[@]}" stats | awk -F: '$1 == "auth_failures" {print $2}')
check "AUTH brute force on one connection is limited after 5 failures" probe brute
after=$("${CTL[@]}" stats | awk -F: '$1 == "auth_failures" {print $2}')
check "the 5 failures are counted in stats auth_failures ($before -> $after)" \
	test "$((after - ${before:-0}))" -eq 5
check "and in INFO errorstats" bash -c \
	"redis-cli -h $SL_ADDR -a '$PASS' --no-auth-warning info errorstats | tr -d '\r' | grep -q '^errorstat_WRONGPASS:count=5$'"

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
if out=$("${NOBODY[@]}" "${CTL[@]}" clients list 2>&1); then
	not_ok "a non-root user cannot list clients (it got: $out)"
else
	check "a non-root user cannot list clients: $out" grep -q "Permission denied" <<<"$out"
fi
check "a non-root user cannot connect (raw socket)" \
	"${NOBODY[@]}" /usr/bin/python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect('$SOCK')
except PermissionError:
    sys.exit(0)
sys.exit('connected as nobody')"

check "stats works from the pinned maps when the socket is gone" bash -c \
	"mv '$SOCK' '$SOCK.away' && out=\$('${CTL[0]}' ${CTL[*]:1} stats) && mv '$SOCK.away' '$SOCK' &&
	 grep -q '^xdp_redirect_ipv4:[1-9]' <<<\"\$out\" && grep -q '^# Server: unavailable' <<<\"\$out\""

# A wedged process (SIGSTOP: nobody serves the socket): stats still shows the
# XDP counters from the maps and says the server's part is missing.
kill -STOP "$SL_PID"
out=$("${CTL[@]}" stats 2>&1)
kill -CONT "$SL_PID"
echo "$out" | grep '^# Server' | sed 's/^/# stopped: /'
check "stats of a wedged instance: XDP counters from the maps" grep -q '^xdp_redirect_ipv4:[1-9]' <<<"$out"
check "stats of a wedged instance: the server part is reported missing" \
	grep -q '^# Server: unavailable (.*did not answer in time' <<<"$out"
check "the instance serves again after SIGCONT" bash -c "redis-cli -s '$SOCK' ping | grep -qx PONG"

kill -KILL "$SL_PID"
wait "$SL_PID" 2>/dev/null
check "kill -9 leaves the socket behind" test -S "$SOCK"
check "a restart replaces the stale socket" sl_start --requirepass "$PASS"
check "the log says so" grep -q "removed the stale admin socket" "$SL_LOG"
check "the new socket answers" bash -c "redis-cli -s '$SOCK' ping | grep -qx PONG"
if sl_stop TERM; then ok "sluice stops"; else
	not_ok "sluice stops"
	tail -n 40 "$SL_LOG" | sed 's/^/# /'
fi
check "a clean stop removes the socket" test ! -e "$SOCK"

echo "not a socket" >"$SOCK"
if sl_start --requirepass "$PASS"; then
	not_ok "start-up refused over a regular file"
	sl_stop TERM
else
	ok "start-up refused over a regular file"
fi
check "with a clear message" grep -q "is in the way of the admin socket and is not a socket" "$SL_LOG"
check "the file was left alone" grep -qx "not a socket" "$SOCK"
rm -f "$SOCK"

# The kernel transport (no DPDK workers): the socket serves PING/STATUS and
# says that CLIENTS needs the dpdk transport.
KCTL=("$SLUICECTL" --instance t-sladm-k --run-dir "$SLUICE_RUN_DIR")
"$SLUICE" --transport kernel --port 7420 --instance t-sladm-k --run-dir "$SLUICE_RUN_DIR" \
	</dev/null >"$SLUICE_RUN_DIR/kernel.log" 2>&1 &
KPID=$!
STARTED_PIDS+=("$KPID")
for _ in $(seq 100); do
	[ -S "$SLUICE_RUN_DIR/t-sladm-k.admin.sock" ] && break
	sleep 0.1
done
check "kernel transport: the admin socket answers STATUS" bash -c \
	"redis-cli -s '$SLUICE_RUN_DIR/t-sladm-k.admin.sock' status | grep -q '^transport:kernel'"
check "kernel transport: clients list explains it needs the dpdk workers" bash -c \
	"'${KCTL[0]}' ${KCTL[*]:1} clients list 2>&1 | grep -q 'needs the dpdk transport'"
kill -TERM "$KPID"
wait "$KPID" 2>/dev/null
check "kernel transport: a clean stop removes its socket" test ! -e "$SLUICE_RUN_DIR/t-sladm-k.admin.sock"

"${CTL[@]}" clients list >/dev/null 2>"$SLUICE_RUN_DIR/err" && not_ok "clients list with no instance fails" ||
	ok "clients list with no instance fails"
check "with a clear error" grep -q "instance '$SL_INSTANCE' is not running" "$SLUICE_RUN_DIR/err"
sl_finish
