#!/usr/bin/env bash
# tests/compat/redis-suite.sh: runs Redis 7.0.15's own test suite in external
# mode against a server on HOST:PORT and prints pass/fail/skip counts per unit
# and in total. Exit status: 0 when no test failed, 1 on any failure or
# aborted unit, 2 on a usage or setup error.
#
# The suite is never committed: on first use it is obtained with
# `apt-get source redis` (a deb-src stanza is added to apt's sources if it is
# missing) into a cache directory under build/, and reused from there.
#
# Every run is bounded: runtest's own stall timeout (no test progress for
# --stall-timeout seconds) and an outer wall-clock limit per unit
# (--unit-timeout seconds, then SIGKILL to the whole process group).
#
# Usage:
#   tests/compat/redis-suite.sh --host H --port P [--units "U ..."] [--out DIR]
#       [--skiplist FILE] [--tags "TAGS"] [--multidb] [--cache DIR]
#       [--stall-timeout SEC] [--unit-timeout SEC]
#
# --units takes runtest unit names (unit/type/string, ...) and the selection
# name "pipelining-stresser" (the single test "PIPELINING stresser" from
# unit/other). The default is the list of issue 5, acceptance 4.
# --multidb lets the suite SELECT 9 as it does by default; without it the
# suite runs with --singledb (sluice serves database 0 only).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/compat

REDIS_VERSION=7.0.15
DEFAULT_UNITS="unit/type/string unit/type/incr unit/type/hash unit/keyspace unit/expire unit/protocol unit/info-command unit/quit unit/scan pipelining-stresser"
# Tags denied by default: tests that need features an external Redis-compatible
# server is not required to offer (DEBUG, replication/SYNC, SAVE/BGSAVE).
DEFAULT_TAGS="-needs:debug -needs:repl -needs:save"
PIPELINING_TEST="PIPELINING stresser (also a regression for the old epoll bug)"
SRC_STANZA=/etc/apt/sources.list.d/sluice-redis-src.sources

host=""
port=""
units=$DEFAULT_UNITS
out=$ROOT/build/redis-suite
skiplist=$HERE/skiplist.txt
tags=$DEFAULT_TAGS
singledb=1
cache=$ROOT/build/redis-src
stall_timeout=180
unit_timeout=900

usage() {
	sed -n '/^# Usage:/,/^# unit\/other/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

die() {
	echo "redis-suite: $*" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--host) host=${2:-}; shift 2 ;;
	--port) port=${2:-}; shift 2 ;;
	--units) units=${2:-}; shift 2 ;;
	--out) out=${2:-}; shift 2 ;;
	--skiplist) skiplist=${2:-}; shift 2 ;;
	--tags) tags=${2:-}; shift 2 ;;
	--multidb) singledb=0; shift ;;
	--cache) cache=${2:-}; shift 2 ;;
	--stall-timeout) stall_timeout=${2:-}; shift 2 ;;
	--unit-timeout) unit_timeout=${2:-}; shift 2 ;;
	-h | --help) usage ;;
	*) echo "redis-suite: unknown argument: $1" >&2; usage ;;
	esac
done

if [ -z "$host" ] || [ -z "$port" ]; then usage; fi
[[ $port =~ ^[0-9]+$ ]] || die "--port must be a number"
# Only servers the tests own: loopback, or the benchmarking range 198.18.0.0/15
# where sluice's dataplane runs on the project's own veths.
[[ $host == 127.* || $host == localhost || $host =~ ^198\.1[89]\. ]] ||
	die "only loopback or 198.18.0.0/15 servers are allowed ($host)"
if ! [[ $stall_timeout =~ ^[0-9]+$ && $unit_timeout =~ ^[0-9]+$ ]]; then die "timeouts are whole seconds"; fi
[ -f "$skiplist" ] || die "skip list $skiplist not found"
for t in tclsh8.6 timeout python3; do
	command -v "$t" >/dev/null || die "$t not found (Debian packages: tcl coreutils python3)"
done

# --- obtain the suite ------------------------------------------------------

SRC=$cache/redis-$REDIS_VERSION

# add_src_stanza: writes a deb-src copy of the Debian sources, only if absent
# or different, so repeated runs leave apt's configuration unchanged.
add_src_stanza() {
	local base=/etc/apt/sources.list.d/debian.sources want
	[ -f "$base" ] || die "$base not found; cannot derive a deb-src stanza"
	want=$(sed 's/^Types:.*/Types: deb-src/' "$base")
	if [ ! -f "$SRC_STANZA" ] || [ "$(cat "$SRC_STANZA")" != "$want" ]; then
		printf '%s\n' "$want" >"$SRC_STANZA" || die "cannot write $SRC_STANZA"
		echo "redis-suite: added $SRC_STANZA"
	fi
}

obtain_suite() {
	if [ -f "$SRC/.sluice-complete" ] && [ -x "$SRC/runtest" ]; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "fetching the Redis source needs root (apt); or pre-fill $SRC"
	command -v dpkg-source >/dev/null || die "dpkg-source not found (Debian package dpkg-dev)"
	add_src_stanza
	echo "redis-suite: apt-get update"
	timeout 300 apt-get update -q >/dev/null || die "apt-get update failed"
	rm -rf "$cache"
	mkdir -p "$cache" || die "cannot create $cache"
	echo "redis-suite: apt-get source redis into $cache"
	(cd "$cache" && timeout 600 apt-get source -q redis >"$cache/apt-get-source.log" 2>&1) ||
		die "apt-get source redis failed (see $cache/apt-get-source.log)"
	[ -x "$SRC/runtest" ] || die "apt-get source did not give redis $REDIS_VERSION (have: $(ls "$cache"))"
	touch "$SRC/.sluice-complete"
}

obtain_suite

# --- skip list -------------------------------------------------------------

# The committed skip list has one entry a line: "<test name> # <reason>",
# split at the last " # ". The name is runtest's exact test name, or a
# regular expression when it starts with "/". Blank lines and lines starting
# with "#" are comments. Every entry must give a reason.
mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)
skipfile=$out/skipfile.txt
skip_names=()
skip_reasons=()
: >"$skipfile"
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
	lineno=$((lineno + 1))
	[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
	[[ $line == *" # "* ]] || die "$skiplist:$lineno: entry has no ' # reason'"
	name=${line% # *}
	reason=${line##* # }
	name=$(printf '%s' "$name" | sed 's/[[:space:]]*$//')
	reason=$(printf '%s' "$reason" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
	[ -n "$name" ] || die "$skiplist:$lineno: empty test name"
	[ -n "$reason" ] || die "$skiplist:$lineno: empty reason"
	printf '%s\n' "$name" >>"$skipfile"
	skip_names+=("$name")
	skip_reasons+=("$reason")
done <"$skiplist"

# --- run -------------------------------------------------------------------

# count_log LOG [ONLY]: prints "ok err skip ignore exception" for one runtest
# log. Lines of the final failure summary start with "*** " and are not
# counted twice. With ONLY, tests other than ONLY (filtered out by runtest's
# --only, which reports them as skipped) are not counted.
count_log() {
	sed 's/\x1b\[[0-9;]*m//g' "$1" | awk -v only="${2:-}" '
		function name_of(s) { sub(/^\[[a-z]+\]: /, "", s); return s }
		/^\[ok\]: / { n = name_of($0); sub(/ \([0-9]+ ms\)$/, "", n)
			if (only == "" || n == only) ok++; next }
		/^\[err\]: / { err++; next }
		/^\[skip\]: / { n = name_of($0); if (only == "" || n == only) skip++; next }
		/^\[ignore\]: / { n = name_of($0)
			if (only == "" || index(n, only ": ") == 1) ignore++; next }
		/^\[exception\]: / { exc++; next }
		END { printf "%d %d %d %d %d\n", ok, err, skip, ignore, exc }'
}

common_args=(--host "$host" --port "$port" --timeout "$stall_timeout" --durable
	--skipfile "$skipfile" --clients 1)
[ "$singledb" = 1 ] && common_args+=(--singledb)
[ -n "$tags" ] && common_args+=(--tags "$tags")

# Settings some tests change and never restore (see config-guard.py): the
# names are taken from the selected units' sources at run time.
unit_file() {
	case $1 in
	pipelining-stresser) echo "$SRC/tests/unit/other.tcl" ;;
	*) echo "$SRC/tests/$1.tcl" ;;
	esac
}
guard_files=()
for u in $units; do
	f=$(unit_file "$u")
	[ -f "$f" ] || die "no such unit: $u"
	guard_files+=("$f")
done
mapfile -t guarded < <(grep -ohiE '(config_set|config set) [a-z][a-z0-9-]*' "${guard_files[@]}" |
	awk '{print tolower($NF)}' | sort -u)
saved=$out/config-saved.json
python3 "$HERE/config-guard.py" save "$host" "$port" "$saved" "${guarded[@]}" 2>"$out/config-guard.log" ||
	die "cannot read the server's settings on $host:$port (see $out/config-guard.log)"

summary=$out/summary.txt
: >"$summary"
t_ok=0 t_err=0 t_skip=0 t_ign=0 failed_units=()
printf '%-24s %6s %6s %6s %8s %7s  %s\n' unit passed failed skipped ignored seconds status | tee -a "$summary"
for u in $units; do
	only=""
	case $u in
	pipelining-stresser) unit=unit/other only=$PIPELINING_TEST ;;
	unit/*) unit=$u ;;
	*) die "unknown unit '$u' (expected unit/... or pipelining-stresser)" ;;
	esac
	log=$out/${u//\//_}.log
	args=("${common_args[@]}" --single "$unit")
	[ -n "$only" ] && args+=(--only "$only")
	if ! python3 "$HERE/config-guard.py" restore "$host" "$port" "$saved" 2>>"$out/config-guard.log"; then
		echo "redis-suite: warning: could not restore every setting before $u (see $out/config-guard.log)"
	fi
	start=$(date +%s)
	(cd "$SRC" && TERM=dumb timeout -k 10 "$unit_timeout" ./runtest "${args[@]}") >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	read -r ok err skip ign exc < <(count_log "$log" "$only")
	status=ok
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		status="TIMEOUT after ${unit_timeout}s"
	elif grep -q '^\[TIMEOUT\]' "$log"; then
		status="STALLED (no progress for ${stall_timeout}s)"
	elif [ "$exc" -gt 0 ]; then
		status="ABORTED (exception)"
	elif [ "$rc" != 0 ] || [ "$err" -gt 0 ]; then
		status="FAILED (rc $rc)"
	elif ! grep -q 'All tests passed without errors' "$log"; then
		status="INCOMPLETE (no end marker)"
	elif [ $((ok + err + skip + ign)) = 0 ]; then
		status="EMPTY (no test ran)"
	fi
	[ "$status" = ok ] || failed_units+=("$u")
	t_ok=$((t_ok + ok)) t_err=$((t_err + err)) t_skip=$((t_skip + skip)) t_ign=$((t_ign + ign))
	printf '%-24s %6d %6d %6d %8d %7d  %s\n' "$u" "$ok" "$err" "$skip" "$ign" "$secs" "$status" | tee -a "$summary"
done
python3 "$HERE/config-guard.py" restore "$host" "$port" "$saved" 2>>"$out/config-guard.log" ||
	echo "redis-suite: warning: could not restore every setting after the run (see $out/config-guard.log)"
printf '%-24s %6d %6d %6d %8d\n' total "$t_ok" "$t_err" "$t_skip" "$t_ign" | tee -a "$summary"
echo "redis-suite: logs in $out (ignored = denied by tags or not supported on an external server)"

# reason_for NAME: the skip-list reason of the entry that matched NAME.
reason_for() {
	local i e
	for i in "${!skip_names[@]}"; do
		e=${skip_names[$i]}
		if [ "$e" = "$1" ] || { [ "${e:0:1}" = / ] && [[ $1 =~ ${e:1} ]]; }; then
			echo "${skip_reasons[$i]}"
			return
		fi
	done
	echo "?"
}
for u in $units; do
	only=""
	[ "$u" = pipelining-stresser ] && only=$PIPELINING_TEST
	sed 's/\x1b\[[0-9;]*m//g' "$out/${u//\//_}.log" | sed -n 's/^\[skip\]: //p' |
		while IFS= read -r t; do
			[ -z "$only" ] || [ "$t" = "$only" ] || continue
			echo "skipped in $u: $t  # $(reason_for "$t")"
		done
done | tee -a "$summary"

if [ ${#failed_units[@]} -gt 0 ]; then
	for u in "${failed_units[@]}"; do
		echo "--- failures in $u:"
		sed 's/\x1b\[[0-9;]*m//g' "$out/${u//\//_}.log" | grep -E '^\[(err|exception|TIMEOUT)\]|^[[:alnum:]]+ => ' | head -20
	done
	echo "redis-suite: FAILED (${failed_units[*]})"
	exit 1
fi
echo "redis-suite: all units passed"
exit 0
