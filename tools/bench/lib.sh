# Shared by tools/bench/run.sh and curves.sh: source it (as root).

# reserve_hugepages: hugepages for the dataplane, as deploy/testbed.sh does
# (hugepages are what production uses, docs/operations.md);
# huge_restore puts the previous count back (call it at exit).
reserve_hugepages() {
	HUGE_PREV=$(cat /proc/sys/vm/nr_hugepages)
	[ "$HUGE_PREV" -ge 512 ] || echo 512 >/proc/sys/vm/nr_hugepages 2>/dev/null || true
	grep -q ' /dev/hugepages hugetlbfs ' /proc/mounts ||
		{ mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null; } || true
}
huge_restore() { [ -z "${HUGE_PREV:-}" ] || echo "$HUGE_PREV" >/proc/sys/vm/nr_hugepages 2>/dev/null || true; }

# nohuge_args: sets NOHUGE to (--no-huge yes) when no hugepage is free.
nohuge_args() {
	NOHUGE=()
	[ "$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)" -gt 0 ] || NOHUGE=(--no-huge yes)
}

# CPU accounting of kernel-socket servers: CPU 1's softirq ticks, and a
# process's user+system ticks (0 once it is gone: its rows then show 0 CPU).
cpu1_softirq() { awk '$1 == "cpu1" {print $8}' /proc/stat; }
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TCK=$(getconf CLK_TCK)
