#!/usr/bin/env bash
# The two incidents of DESIGN.md replayed briefly against sluice and
# redis-server 7.0.15 side by side (issue 7, acceptance 2 and 3): a 12 s
# connection storm and 10 s of slow readers behind a tbf bottleneck. The
# longer replays: tests/incidents/run.sh [SECONDS]. Each script prints its
# own ok / not ok lines and side-by-side table; only functional facts are
# asserted, latencies are printed.
dir=$(cd "$(dirname "$0")/../incidents" && pwd)
rc=0
bash "$dir/incident1.sh" 12 || rc=1
bash "$dir/incident2.sh" 10 || rc=1
exit $rc
