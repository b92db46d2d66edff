#!/usr/bin/env bash
# deploy/install-deps.sh: installs the Debian (bookworm) packages sluice needs
# to build, run and test. Idempotent: when every package is already present
# it changes nothing; otherwise it runs `apt-get update` and installs the
# missing ones non-interactively.
set -euo pipefail

PACKAGES=(
	# build
	gcc meson ninja-build pkg-config
	libdpdk-dev libbpf-dev liburcu-dev libjemalloc-dev libcmocka-dev
	clang llvm libclang-rt-14-dev # BPF objects (-target bpf), libFuzzer, sanitizers
	# run
	dpdk iproute2 ethtool kmod util-linux
	# test
	iputils-ping arping bpftool python3 clang-format
	python3-scapy # tests/adversarial: raw TCP frames from the client namespace
	python3-matplotlib # tools/bench: the plots under docs/benchmarks/
	redis-server redis-tools # reference server and clients for side-by-side tests
	tcl dpkg-dev xz-utils # Redis 7.0.15's own test suite, fetched with apt-get source at test time
)

[ "$(id -u)" = 0 ] || { echo "install-deps: must run as root" >&2; exit 1; }

missing=()
for p in "${PACKAGES[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
