#!/usr/bin/env bash
# The black-box protocol fuzzer, CI length (~60 s): tests/blackbox/run.sh.
# The long version: tests/blackbox/run.sh DURATION_S (SLUICE_BUILD=build-asan
# for the sanitizer build).
# --crashers and --rst-attacks: the cases that once crashed sluice (a TCP
# connection freed twice), now regression tests.
export FUZZ_ARGS=${FUZZ_ARGS:---crashers --rst-attacks}
exec bash "$(dirname "$0")/../blackbox/run.sh" "${FUZZ_DURATION:-60}"
