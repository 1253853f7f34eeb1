#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test with ctest, then
# fuzzes every parser and the config loader for a bounded time (scripts/fuzz.sh).
# Unit tests use JSON captured from nats-server 2.9.10; integration tests start real
# nats-server, prometheus/promtool and farrier processes on ephemeral loopback ports; the
# docker_image test builds the Dockerfile with podman.
#
#   ./scripts/test.sh [CTEST ARGS...]     e.g. -R Reload, -L unit, -LE docker
#   SANITIZE=address,undefined            the whole suite against an ASan+UBSan build, in its own
#                                         build directory (build-address-undefined); also thread
#   FUZZ_SECONDS=N                        seconds per fuzz target (default 10; 0: no fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n ${SANITIZE:-} ]]; then
  export BUILD_DIR=${BUILD_DIR:-build-${SANITIZE//,/-}}
  # shellcheck source=sanitize-env.sh
  source scripts/sanitize-env.sh  # exported: farrier and the helpers the tests start inherit it
fi
./scripts/build.sh
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 600 "$@")
if ((${FUZZ_SECONDS:-10} > 0)); then
  FUZZ_SECONDS=${FUZZ_SECONDS:-10} ./scripts/fuzz.sh
fi
