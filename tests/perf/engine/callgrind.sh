#!/usr/bin/env bash
# tests/perf/engine/callgrind.sh [BUILD_DIR]: instructions per request on the
# in-process request path (parser -> command -> store -> reply writer), for
# GET and SET with 16-byte keys, 32-byte values, pipeline 16 (PIPELINE=N in
# the environment to change it), counted by callgrind over run_batch only.
# Instruction counts do not depend on machine load, so they show regressions
# that timing on a noisy VM hides.
set -euo pipefail
BUILD=${1:-$(cd "$(dirname "$0")/../../.." && pwd)/build}
BIN=$BUILD/tests/perf/engine/bench_engine
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
N=32000
P=${PIPELINE:-16}
for kind in GET SET; do
	valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$kind" --toggle-collect='run_batch*' \
		"$BIN" --kind $kind --requests $N --keys 10000 --pipeline "$P" --rounds 1 \
		>/dev/null 2>"$OUT/vg.$kind"
	total=$(callgrind_annotate "$OUT/cg.$kind" 2>/dev/null |
		awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}' | head -n 1)
	echo "$kind: $((total / N)) instructions/request (callgrind, pipeline $P, 32-byte values)"
done
