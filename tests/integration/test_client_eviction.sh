#!/usr/bin/env bash
# maxmemory-clients (issue 7): Redis's client eviction over the DPDK path.
# The output budget is off so that only eviction bounds client memory; the
# largest client without CLIENT NO-EVICT is evicted, a NO-EVICT client and a
# small client are kept, INFO evicted_clients counts it; CONFIG GET/SET
# change the limit live.
source "$(dirname "$0")/lib.sh"
sl_topology slev0 226
check "sluice starts with maxmemory-clients 8mb" sl_start --maxmemory-clients 8mb --output-memory-budget 0
check "CONFIG GET maxmemory-clients" \
	bash -c "redis-cli -h $SL_ADDR config get maxmemory-clients | tail -1 | grep -qx 8388608"
out=$(timeout 120 python3 "$ROOT/tests/integration/eviction_probe.py" "$SL_ADDR" 6379)
rc=$?
echo "$out"
check "eviction probe (exit 0)" test $rc -eq 0
check "CONFIG SET maxmemory-clients 0 (live)" \
	bash -c "redis-cli -h $SL_ADDR config set maxmemory-clients 0 | grep -qx OK"
check "CONFIG GET shows 0" \
	bash -c "redis-cli -h $SL_ADDR config get maxmemory-clients | tail -1 | grep -qx 0"
sl_stop TERM
check "clean stop (exit 0)" test $? -eq 0
sl_finish
