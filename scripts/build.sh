#!/usr/bin/env bash
# Configures and builds everything (farrier, tools, tests) into ${BUILD_DIR:-build}.
#
# Environment: BUILD_DIR, BUILD_TYPE (default RelWithDebInfo); FARRIER_BUILD_TESTS=OFF leaves the
# test suite (and gtest) out of the configuration; BUILD_TARGETS="farrier ..." builds only those
# targets instead of all (the Dockerfile uses both); DEPS is passed on to scripts/deps.sh.
# SANITIZE=address,undefined (or thread) builds everything with those sanitizers; use its own
# BUILD_DIR, and run the tests with the environment of scripts/sanitize-env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
"$(pwd)/scripts/deps.sh"
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DFARRIER_BUILD_TESTS="${FARRIER_BUILD_TESTS:-ON}" \
  -DFARRIER_SANITIZE="${SANITIZE:-}" >/dev/null
targets=()
for t in ${BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j"$(nproc)" "${targets[@]}"
