#!/usr/bin/env bash
# Configures and builds everything (farrier, tools, tests) into ${BUILD_DIR:-build}.
# SANITIZE=address,undefined (or thread) builds everything with those sanitizers; use its own
# BUILD_DIR, and run the tests with the environment of scripts/sanitize-env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
"$(pwd)/scripts/deps.sh"
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DFARRIER_SANITIZE="${SANITIZE:-}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
