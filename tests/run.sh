#!/usr/bin/env bash
# ./tests/run.sh: installs what is needed, builds (a developer build with
# -Werror, an ASan+UBSan build, and a clang build with the fuzz targets), runs
# every suite, and ends with one line "N passed, M failed".
#
# Suites: unit (cmocka, one executable per module) in the developer and the
# sanitizer builds; stress (ASan and TSan builds); fuzz (libFuzzer, bounded
# time); integration (tests/integration/test_*.sh against the real dataplane
# on veth pairs it creates and removes); source checks (clang-format).
# Must run as root on Debian bookworm; CI calls it from .ci/run.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
LOGS=$ROOT/build/test-logs
PASSED=0
FAILED=0
FAILURES=()

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}

pass() { PASSED=$((PASSED + 1)); }
fail() { FAILED=$((FAILED + 1)); FAILURES+=("$1"); echo "FAIL: $1"; }
section() { printf '\n=== %s ===\n' "$*"; }

finish() {
	section "summary"
	for f in "${FAILURES[@]}"; do echo "failed: $f"; done
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit $?
}

[ "$(id -u)" = 0 ] || { echo "tests/run.sh must run as root (it drives veth pairs, XDP and DPDK)"; echo "0 passed, 1 failed"; exit 1; }

section "dependencies"
if ! ./deploy/install-deps.sh; then
	fail "deploy/install-deps.sh"
	finish
fi

# setup_build DIR [meson options...]: configures once, reconfigures if options changed.
setup_build() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}

build() { # build NAME DIR [options]
	local name=$1 dir=$2
	shift 2
	section "build: $name"
	if setup_build "$dir" "$@" && ninja -C "$dir"; then
		pass
		return 0
	fi
	fail "build: $name"
	return 1
}

build developer build || finish
mkdir -p "$LOGS"
have_asan=0 have_fuzz=0 have_tsan=0
build "asan+ubsan" build-asan -Db_sanitize=address,undefined -Db_lundef=false && have_asan=1
if command -v clang >/dev/null; then
	CC=clang build "clang+fuzz" build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false && have_fuzz=1
fi

# meson_suite DIR SUITE LABEL: runs one meson suite, one count per test.
meson_suite() {
	local dir=$1 suite=$2 label=$3 json=$1/meson-logs/testlog.json
	section "$label"
	rm -f "$json"
	meson test -C "$dir" --suite "$suite" --print-errorlogs --no-rebuild \
		--timeout-multiplier 3 2>&1 | tee "$LOGS/$(basename "$dir")-$suite.log" | tail -n 40
	[ -f "$json" ] || return 0
	while IFS=$'\t' read -r name result; do
		case $result in
		OK | EXPECTEDFAIL) pass ;;
		SKIP) ;;
		*) fail "$label: $name ($result)" ;;
		esac
	done < <(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    print(t["name"] + "\t" + t["result"])' "$json")
}

meson_suite build unit "unit"
[ $have_asan = 1 ] && meson_suite build-asan unit "unit (ASan+UBSan)"
[ $have_asan = 1 ] && meson_suite build-asan stress "stress (ASan+UBSan)"
if grep -rqs "suite: 'stress'" tests/; then
	build "tsan" build-tsan -Db_sanitize=thread -Db_lundef=false && have_tsan=1
	[ $have_tsan = 1 ] && meson_suite build-tsan stress "stress (TSan)"
fi
[ $have_fuzz = 1 ] && meson_suite build-fuzz fuzz "fuzz (libFuzzer, bounded)"

section "integration"
for t in tests/integration/test_*.sh; do
	name=$(basename "$t" .sh)
	echo "--- $name"
	out=$(SLUICE_BUILD=$ROOT/build timeout -k 10 900 bash "$t" 2>&1)
	rc=$?
	echo "$out" >"$LOGS/$name.log"
	echo "$out" | grep -E '^(ok|not ok) - '
	n_ok=$(grep -c '^ok - ' <<<"$out")
	n_bad=$(grep -c '^not ok - ' <<<"$out")
	PASSED=$((PASSED + n_ok))
	while IFS= read -r line; do
		[ -n "$line" ] && fail "$name: ${line#not ok - }"
	done < <(grep '^not ok - ' <<<"$out")
	if [ $rc -ne 0 ] && [ "$n_bad" -eq 0 ]; then
		fail "$name: exited $rc without a failed check (see $LOGS/$name.log)"
		tail -n 20 <<<"$out"
	fi
done

section "benchmark (quick; figures only, never pass/fail on a time)"
if bash tools/bench/run.sh --quick --out "$LOGS/bench.json" 2>&1 | tee "$LOGS/bench.log" | tail -n 20 &&
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
servers = {x["server"] for x in r if x["ops"] > 0}
sys.exit(0 if servers == {"redis", "kernel", "dpdk"} else 1)' "$LOGS/bench.json"; then
	pass
else
	fail "benchmark: tools/bench/run.sh --quick did not produce figures for every server"
fi

section "source checks"
if command -v clang-format >/dev/null; then
	bad=$(git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror 2>&1 | grep -c 'error:' || true)
	if [ "$bad" -eq 0 ]; then pass; else fail "clang-format: $bad places differ (run clang-format -i)"; fi
fi

finish
