#!/usr/bin/env bash
# Adversarial TCP traffic from scapy, CI length (issue 9): every attack of
# tests/adversarial/run.sh for 4 s each (SYN floods with and without a SYN
# rate cap, RST floods, ACK and out-of-window floods, bogus options, zero
# windows held open, fragments and malformed IPv4/TCP headers), while
# legitimate clients run checked SET/GET. About 2 minutes in all.
# The long version: tests/adversarial/run.sh DURATION_S (per attack).
export ADV_IF=sladv0 ADV_IDX=184 ADV_CONNS=${ADV_CONNS:-40}
exec bash "$(dirname "$0")/../adversarial/run.sh" "${ADV_DURATION:-4}"
