#!/usr/bin/env bash
# The soak test, CI length (120 s): tests/soak/run.sh with 1% loss each way on
# a middle router, random client deaths and the acknowledged-write checker.
# The long version: tests/soak/run.sh DURATION_S (SLUICE_BUILD=build-asan for
# the sanitizer build).
# --unsafe-kills: clients killed with work in flight, which once crashed
# sluice (a TCP connection freed twice); now part of the CI run.
export SOAK_ARGS=${SOAK_ARGS:---unsafe-kills}
exec bash "$(dirname "$0")/../soak/run.sh" "${SOAK_DURATION:-120}"
