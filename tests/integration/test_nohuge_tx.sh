#!/usr/bin/env bash
# AF_XDP on ordinary pages (--no-huge) under large replies: the load that
# used to stall the port (docs/operations.md, "AF_XDP with --no-huge"):
# 10 clients pipelining GETs of 16 KiB values. Every load must run to the
# end, every reply must be the exact value, the port must still answer
# afterwards, and the kernel must have rejected no TX descriptor of the
# AF_XDP socket (XDP_STATISTICS tx_invalid_descs, read through a duplicate
# of sluice's socket; the fill ring's rejects have no counter there).
# Before the fix the first redis-benchmark stopped after a few hundred
# replies, the kernel counted thousands of invalid TX descriptors and not
# even PING got an answer.
source "$(dirname "$0")/lib.sh"
sl_topology slnh0 240
SL_ARGS+=(--no-huge yes --memory 256)
VALUE_SIZE=16384

# xsk_stats PID: the XDP_STATISTICS of the AF_XDP socket(s) of PID, summed,
# as "rx_dropped=.. rx_invalid=.. tx_invalid=.. ..."; empty when none can be
# read.
xsk_stats() {
	timeout 10 python3 - "$1" <<'EOF'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_open, SYS_pidfd_getfd, SOL_XDP, XDP_STATISTICS = 434, 438, 283, 7
pid = int(sys.argv[1])
pidfd = libc.syscall(SYS_pidfd_open, pid, 0)
if pidfd < 0:
    sys.exit(1)
tot, found = [0] * 6, 0
for name in os.listdir("/proc/%d/fd" % pid):
    try:
        if not os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith("socket:"):
            continue
    except OSError:
        continue
    fd = libc.syscall(SYS_pidfd_getfd, pidfd, int(name), 0)
    if fd < 0:
        continue
    buf, blen = ctypes.create_string_buffer(48), ctypes.c_uint32(48)
    rc = libc.getsockopt(fd, SOL_XDP, XDP_STATISTICS, buf, ctypes.byref(blen))
    os.close(fd)
    if rc != 0 or blen.value < 24:
        continue
    raw = buf.raw[:blen.value]
    found += 1
    for i, v in enumerate(struct.unpack("6Q", raw.ljust(48, b"\0"))):
        tot[i] += v
if not found:
    sys.exit(1)
print("rx_dropped=%d rx_invalid=%d tx_invalid=%d rx_ring_full=%d "
      "rx_fill_ring_empty=%d tx_ring_empty=%d" % tuple(tot))
EOF
}
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'; }

check "sluice starts on af_xdp with --no-huge --memory 256" sl_start
check "no warning about the packet pool and the UMEM" \
	bash -c "! grep -q 'outside the AF_XDP UMEM' '$SL_LOG'"

# The reproducer: one 16 KiB value under redis-benchmark's key, GETs of it
# by 10 clients, 4 in flight each. A stall shows as a timeout.
head -c $VALUE_SIZE /dev/zero | tr '\0' v >"$SLUICE_RUN_DIR/value"
check "SET of a 16 KiB value" \
	bash -c "timeout 10 redis-cli -h $SL_ADDR -x set key:__rand_int__ <'$SLUICE_RUN_DIR/value' | grep -q OK"
for run in 1 2 3; do
	out=$(timeout 120 redis-benchmark -h "$SL_ADDR" -t get -P 4 -c 10 -d $VALUE_SIZE -n 20000 -q 2>&1)
	rc=$?
	echo "# redis-benchmark -t get -P 4 -c 10 -d $VALUE_SIZE -n 20000, run $run (exit $rc): $(echo "$out" | tr '\r' '\n' | awk NF | tail -n 1)"
	check "run $run: 20000 pipelined GETs of 16 KiB complete (no stall)" \
		bash -c "[ $rc = 0 ] && echo '$out' | tr '\r' '\n' | grep -q '^GET: .* requests per second'"
done

# The same shape, every reply checked: 10 connections, each 500 rounds of 4
# pipelined GETs over 40 keys with distinct 16 KiB values.
out=$(timeout 180 python3 - "$SL_ADDR" $VALUE_SIZE <<'EOF'
import socket, sys, threading
host, size = sys.argv[1], int(sys.argv[2])
KEYS, CONNS, ROUNDS, DEPTH = 40, 10, 500, 4
def value(k):
    head = b"nohuge-%d:" % k
    return (head * (size // len(head) + 1))[:size]
def reader(s):
    buf = b""
    def need(n):
        nonlocal buf
        while len(buf) < n:
            chunk = s.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            buf += chunk
    def reply():
        nonlocal buf
        while b"\r\n" not in buf:
            need(len(buf) + 1)
        line, rest = buf.split(b"\r\n", 1)
        if line[:1] != b"$":
            buf = rest
            return line
        n = int(line[1:])
        buf = rest
        need(n + 2)
        body, buf = buf[:n], buf[n + 2:]
        return body
    return reply
def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
s = socket.create_connection((host, 6379), timeout=20)
reply = reader(s)
for k in range(KEYS):
    s.sendall(cmd(b"SET", b"nohuge:%d" % k, value(k)))
    if reply() != b"+OK":
        print("SET nohuge:%d failed" % k)
        sys.exit(1)
s.close()
good, bad, errors = [0], [0], []
lock = threading.Lock()
def client(c):
    try:
        s = socket.create_connection((host, 6379), timeout=20)
        reply = reader(s)
        for r in range(ROUNDS):
            keys = [(c * 7 + r * DEPTH + i) % KEYS for i in range(DEPTH)]
            s.sendall(b"".join(cmd(b"GET", b"nohuge:%d" % k) for k in keys))
            for k in keys:
                ok = reply() == value(k)
                with lock:
                    if ok:
                        good[0] += 1
                    else:
                        bad[0] += 1
        s.close()
    except Exception as e:
        with lock:
            errors.append("client %d: %r" % (c, e))
threads = [threading.Thread(target=client, args=(c,)) for c in range(CONNS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("replies=%d correct=%d wrong=%d errors=%d %s" %
      (CONNS * ROUNDS * DEPTH, good[0], bad[0], len(errors), "; ".join(errors[:2])))
EOF
)
echo "# checked GETs: $out"
check "20000 pipelined GETs of 16 KiB from 10 clients: every reply is the exact value" \
	bash -c "[ '$(field "$out" correct)' = 20000 ] && [ '$(field "$out" wrong)' = 0 ] && [ '$(field "$out" errors)' = 0 ]"
check "the port still answers after the load (PING)" \
	bash -c "timeout 5 redis-cli -h $SL_ADDR ping | grep -q PONG"

stats=$(xsk_stats "$SL_PID")
echo "# AF_XDP socket statistics: ${stats:-unreadable}"
check "the kernel rejected no TX descriptor (tx_invalid_descs 0)" test "$(field "$stats" tx_invalid)" = 0

sl_stop TERM
check "clean stop (exit 0)" test $? -eq 0
grep "port:" "$SL_LOG" | sed 's/^/# /'
sl_finish
