#!/usr/bin/env bash
# The black-box protocol fuzzer, CI length (~60 s): tests/blackbox/run.sh.
# The long version: tests/blackbox/run.sh DURATION_S (SLUICE_BUILD=build-asan
# for the sanitizer build).
exec bash "$(dirname "$0")/../blackbox/run.sh" "${FUZZ_DURATION:-60}"
