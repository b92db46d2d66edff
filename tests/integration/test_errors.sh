#!/usr/bin/env bash
# Each bad start-up input ends with exit status 1 and a message that says
# what is wrong and what to do, and leaves nothing behind.
source "$(dirname "$0")/lib.sh"
sl_topology slt2 12
FOREIGN=$BUILD/tests/integration/xdp_foreign.o
CONF=$SLUICE_RUN_DIR/bad.conf

# expect_fail "what" "expected message (fixed string)" command...
expect_fail() {
	local what=$1 msg=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && grep -qF -- "$msg" <<<"$out"; then
		ok "$what"
	else
		not_ok "$what (exit $rc; wanted message: $msg; got: $(head -c 400 <<<"$out"))"
	fi
}

expect_fail "not root" "sluice must run as root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SLUICE" "${SL_ARGS[@]}"
expect_fail "unknown interface" "interface 'nosuchif0' does not exist" \
	"$SLUICE" "${SL_ARGS[@]}" --device af_xdp:nosuchif0
expect_fail "malformed device" "expected af_xdp:<interface>, tap:<name> or pci:<address>, got 'eth0'" \
	"$SLUICE" "${SL_ARGS[@]}" --device eth0
expect_fail "bpffs not mounted" "no BPF filesystem at /sys/fs/bpf: mount it with 'mount -t bpf bpf /sys/fs/bpf'" \
	unshare -m --propagation private sh -c 'umount /sys/fs/bpf && exec "$@"' _ "$SLUICE" "${SL_ARGS[@]}"
expect_fail "bpffs option pointing elsewhere" "no BPF filesystem at /tmp" \
	"$SLUICE" "${SL_ARGS[@]}" --bpffs /tmp
expect_fail "no hugepages and no --no-huge" "no free hugepages" \
	unshare -m --propagation private sh -c 'umount /dev/hugepages 2>/dev/null; exec "$@"' _ \
	"$SLUICE" "${SL_ARGS[@]}" --no-huge no
expect_fail "... and it tells how to fix it" "or start with --no-huge" \
	unshare -m --propagation private sh -c 'umount /dev/hugepages 2>/dev/null; exec "$@"' _ \
	"$SLUICE" "${SL_ARGS[@]}" --no-huge no
expect_fail "more workers than the interface has AF_XDP queues" "has 1 queue(s) usable by AF_XDP but 2 workers need 2" \
	"$SLUICE" "${SL_ARGS[@]}" --workers 2
expect_fail "... and it says what to use instead" "use tap:<name> or pci:<address> for more" \
	"$SLUICE" "${SL_ARGS[@]}" --workers 2
expect_fail "unreadable XDP object" "XDP object '/nonexistent/x.o' is not readable" \
	"$SLUICE" "${SL_ARGS[@]}" --xdp-prog /nonexistent/x.o

ip link set dev "$SLUICE_IF" xdpdrv obj "$FOREIGN" sec xdp
expect_fail "interface driven by a foreign XDP program" \
	"interface $SLUICE_IF already runs XDP program 'not_sluice'" "$SLUICE" "${SL_ARGS[@]}"
check "... which is left attached" bash -c "ip -d link show $SLUICE_IF | grep -q 'name not_sluice'"
ip link set dev "$SLUICE_IF" xdpdrv off

# Config file errors name the file, the line and what was expected.
while IFS='|' read -r line msg; do
	printf 'device af_xdp:%s\n# a comment\n%s\n' "$SLUICE_IF" "$line" >"$CONF"
	expect_fail "config line: $line" "$CONF:3: '$line': $msg" "$SLUICE" "$CONF"
done <<'CASES'
workers abc|workers: expected an integer from 1 to 64, got 'abc'
workers 0|workers: expected an integer from 1 to 64, got '0'
workers 1 2|workers: expected exactly one value, got 2
maxclientz 10|unknown option 'maxclientz'
address 300.1.1.1/24|address: expected an IPv4 address with prefix length like 198.18.0.1/24, got '300.1.1.1/24'
address 198.18.0.1/33|address: expected an IPv4 address with prefix length like 198.18.0.1/24, got '198.18.0.1/33'
no-huge maybe|no-huge: expected yes or no, got 'maybe'
loglevel loud|loglevel: expected one of debug, verbose, notice, warning; got 'loud'
instance "a b"|instance: expected 1 to 31 letters, digits, '-' or '_', got 'a b'
device "af_xdp:x|unbalanced quotes or too many arguments
CASES
expect_fail "missing config file" "cannot open config file '/nonexistent.conf'" \
	"$SLUICE" /nonexistent.conf
expect_fail "bad command-line value" "command line: workers: expected an integer from 1 to 64, got 'x'" \
	"$SLUICE" "${SL_ARGS[@]}" --workers x
expect_fail "flag without a value" "command line: --workers expects a value" \
	"$SLUICE" "${SL_ARGS[@]}" --workers

check "nothing left behind: no XDP program" bash -c "! ip link show $SLUICE_IF | grep -q ' xdp'"
check "nothing left behind: no pins" test ! -e "/sys/fs/bpf/sluice/$SL_INSTANCE"
check "nothing left behind: no pid file" test ! -e "$SLUICE_RUN_DIR/$SL_INSTANCE.pid"
check "a good start still works after all that" sl_start
sl_stop TERM
sl_finish
