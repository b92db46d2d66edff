#!/usr/bin/env bash
# Userspace TCP stack over the real port (issue 3, acceptance 3.4): 1% random
# loss in each direction, injected by an XDP program (bpf_get_prandom_u32) on
# both ingress veths of a router namespace between sluice and a client
# namespace. 64 MiB each way through sluice's echo must come back intact
# (SHA-256); the retransmission counters from sluice's shutdown log are
# printed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcp/tcp_lib.sh"
tcp_routed sltcl 103
BYTES=$((64 << 20))

check "sluice starts in echo mode" tcp_start --app echo --port 7
check "the client reaches sluice through the router" \
	in_client python3 "$TCP_DIR/tcp_client.py" stream "$SL_ADDR" 7 --bytes 1000 --deadline 10
check "1% loss attached toward the client (router ingress from sluice)" tcp_loss_attach "$TCP_R_IN" 10000
check "1% loss attached toward sluice (router ingress from the client)" tcp_loss_attach "$TCP_R_OUT" 10000
out=$(in_client python3 "$TCP_DIR/tcp_client.py" stream "$SL_ADDR" 7 --bytes $BYTES --deadline 150)
rc=$?
echo "# $out"
echo "# goodput under loss: $(grep -o 'echo_mbit=[0-9.]*' <<<"$out") Mbit/s each way"
check "64 MiB each way under 1% loss: SHA-256 of the echo equals what was sent" test $rc -eq 0
check "all $BYTES bytes came back" grep -q "bytes_each_way=$BYTES " <<<"$out"
read -r pass_s drop_s < <(tcp_loss_stats "$TCP_R_IN")
read -r pass_c drop_c < <(tcp_loss_stats "$TCP_R_OUT")
echo "# dropped by the router: from sluice $drop_s of $((pass_s + drop_s)) frames," \
	"from the client $drop_c of $((pass_c + drop_c))"
check "frames from sluice were dropped at about 1% (0.5..2%)" \
	python3 -c "import sys; p,d=${pass_s:-0},${drop_s:-0}; sys.exit(not (p+d>1000 and 0.005<=d/(p+d)<=0.02))"
check "frames from the client were dropped at about 1% (0.5..2%)" \
	python3 -c "import sys; p,d=${pass_c:-0},${drop_c:-0}; sys.exit(not (p+d>1000 and 0.005<=d/(p+d)<=0.02))"
# Frames the kernel refused on sluice's veth (oversized: see
# tests/integration/tcp/repro_sack_oversize.sh) add to the injected loss.
veth_drop=$(ip -s link show "$SLUICE_IF" | awk '/TX:/ {getline; print $4}')
echo "# frames sluice sent that its veth dropped: ${veth_drop:-?}"
check "clean stop (exit 0)" tcp_stop
tcp_counters
echo "# retransmissions: retrans_segs=$(tcp_counter retrans_segs) rto_timeouts=$(tcp_counter rto_timeouts)" \
	"fast_retrans=$(tcp_counter fast_retrans) sack_recoveries=$(tcp_counter sack_recoveries)" \
	"ooo_segs=$(tcp_counter ooo_segs) dup_acks=$(tcp_counter dup_acks)"
check "sluice retransmitted the lost segments (retrans_segs > 0)" test "$(tcp_counter retrans_segs)" -gt 0
check "sluice recovered by fast retransmit / SACK, not only RTO" test "$(tcp_counter fast_retrans)" -gt 0
check "sluice queued out-of-order segments after client-side losses" test "$(tcp_counter ooo_segs)" -gt 0
sl_finish
