#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test with ctest.
# Unit tests use JSON captured from nats-server 2.9.10; integration tests start real
# nats-server and promtool processes on ephemeral loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
build_dir=${BUILD_DIR:-build}
cd "$build_dir"
ctest --output-on-failure --timeout 600 "$@"
