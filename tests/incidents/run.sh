#!/usr/bin/env bash
# tests/incidents/run.sh [SECONDS]: replays both incidents (DESIGN.md, "the
# two incidents"), each against sluice and redis-server 7.0.15 in the same
# run, and prints the side-by-side tables. SECONDS (default 30) is each
# replay's storm / load duration. Needs root and a build in build/ (or
# SLUICE_BUILD). The two replays use separate veths and subnets
# (slinc1: 198.18.190-192, slinc2: 198.18.194-196) but run one after the other.
dir=$(cd "$(dirname "$0")" && pwd)
secs=${1:-30}
rc=0
echo "=== incident 1: connection storm"
bash "$dir/incident1.sh" "$secs" || rc=1
echo "=== incident 2: congested egress"
bash "$dir/incident2.sh" "$secs" || rc=1
exit $rc
