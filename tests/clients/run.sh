#!/usr/bin/env bash
# tests/clients/run.sh HOST PORT: installs the npm Redis clients (ioredis,
# node-redis) into build/clients at test time (never committed) and runs the
# scripted session against HOST:PORT.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(cd "$HERE/../.." && pwd)/build/clients
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null
fi
mkdir -p "$DIR"
cp "$HERE/package.json" "$HERE/session.js" "$DIR/"
if [ ! -d "$DIR/node_modules/ioredis" ] || [ ! -d "$DIR/node_modules/redis" ]; then
	(cd "$DIR" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
exec node "$DIR/session.js" "$1" "$2"
