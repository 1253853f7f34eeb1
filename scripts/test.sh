#!/usr/bin/env bash
# The README's test command: installs what is missing, then
#   1. builds everything with AddressSanitizer + UndefinedBehaviorSanitizer (clang), provides the
#      nats-servers of tests/nats-versions.txt and the Go micro worker (scripts/nats-servers.sh),
#      and runs every test with ctest against that build: unit tests on JSON captured from
#      nats-server 2.9.10; integration tests that start real nats-server, prometheus/promtool and
#      farrier processes on ephemeral loopback ports (a sanitizer report from any farrier fails
#      its test), against Debian's nats-server 2.9.10 and again, prefixed nats-<version>/, the
#      whole suite against 2.15.3 and a version-sensitive subset against 2.10 to 2.14; the
#      manifest, dashboard and rule checks; the docker_image test, which builds the Dockerfile
#      (a plain release build of farrier) with podman and runs it against a real nats-server;
#   2. builds farrier alone with ThreadSanitizer and runs the integration tests that drive its
#      threads (poller, prober, NATS callbacks, listener, reload) against it: THREAD_TESTS;
#   3. fuzzes every parser and the config loader for FUZZ_SECONDS each (scripts/fuzz.sh).
# Stages 2 and 3 run only when no ctest arguments are given.
#
#   ./scripts/test.sh [CTEST ARGS...]     e.g. -R Reload, -L unit, -LE docker
#   SANITIZE=address,undefined            the build of stage 1 (default), in build-address-undefined;
#                                         thread (TSan, build-thread) or none (plain, in build)
#   THREAD_TESTS=REGEX                    ctest -L integration -R of stage 2 (default below; none:
#                                         skip stage 2)
#   TEST_JOBS=N                           tests run at once (default 2)
#   TOOLS_DIR=DIR                         where scripts/nats-servers.sh keeps its tools (build/tools)
#   FUZZ_SECONDS=N                        seconds per fuzz target (default 10; 0: no fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
stage() { echo "test.sh: $* ($((SECONDS - started)) s so far)"; }

SANITIZE=${SANITIZE-address,undefined}
[[ $SANITIZE != none ]] || SANITIZE=
export SANITIZE
if [[ -n $SANITIZE ]]; then
  export BUILD_DIR=${BUILD_DIR:-build-${SANITIZE//,/-}}
fi
build_dir=${BUILD_DIR:-build}
# Exported: farrier and the helpers the tests start inherit the sanitizers' runtime options.
# shellcheck source=sanitize-env.sh
source scripts/sanitize-env.sh

stage "stage 1: build (${SANITIZE:-no sanitizers}) in $build_dir"
./scripts/build.sh
# The nats-servers of every version the tests run against and the Go reference micro worker,
# into TOOLS_DIR (build/tools; a few minutes the first time, instant when cached).
stage "stage 1: test tools (scripts/nats-servers.sh)"
./scripts/nats-servers.sh
stage "stage 1: ctest"
# Two tests at a time: most of a test's time is spent waiting for polls, probes and servers, and
# the docker_image test (mostly compiling) runs beside the rest. Every test takes its own
# ephemeral ports and directories.
jobs=${TEST_JOBS:-2}
(cd "$build_dir" && ctest --output-on-failure --timeout 600 --parallel "$jobs" "$@")
(($# == 0)) || exit 0

# The integration tests, against a ThreadSanitizer farrier (FARRIER_BINARY, see
# tests/integration/harness.h; the test process is the stage 1 build): polling while scrapes read
# the snapshot, the prober, cnats' callbacks and the capacity tracker, hung upstreams and
# shutdown, the listener's connection threads, a reload swapping the pipeline. Left out: the
# suites whose farrier threads are the same as above but whose minutes go to Prometheus and
# several sidecars (EndToEnd, CapacityCluster), and Samples, which starts no farrier. The regex
# is anchored, so the nats-<version>/ copies of the version matrix stay in stage 1 only.
default_thread_tests='^(Releases|Failure|Upstream|Scrapes|Shutdown|Reload|Probes|ProbeLatencyEvents|ProbeAuth|ProbeConfig|LatencyEvents|WebListener|Listener|Config|NatsAuth|NatsAuthModes|NatsAuthTls|MonitorTls|MonitorTlsConfig|Values|IdleConnections|RichServer|Promtool|Capacity|CapacityConsumers|JsAdvisories|JsAccountInfo|ClusterMode|ClusterModeJs|ClusterModeSuper|ClusterModeBig|ClusterModeDeploy|ClusterModeShutdown|StatusPage)\.'
thread_tests=${THREAD_TESTS:-$default_thread_tests}
if [[ $thread_tests != none && $SANITIZE != thread ]]; then
  stage "stage 2: farrier with ThreadSanitizer"
  tsan_dir=$(pwd)/build-thread-farrier
  SANITIZE=thread BUILD_DIR=$tsan_dir FARRIER_BUILD_TESTS=OFF BUILD_TARGETS=farrier ./scripts/build.sh
  stage "stage 2: ctest -R '$thread_tests' against it"
  (cd "$build_dir" && FARRIER_BINARY=$tsan_dir/exporter/farrier \
    ctest --output-on-failure --timeout 600 --parallel "$jobs" -L integration -R "$thread_tests")
fi

if ((${FUZZ_SECONDS:-10} > 0)); then
  stage "stage 3: fuzzing"
  FUZZ_SECONDS=${FUZZ_SECONDS:-10} ./scripts/fuzz.sh
fi
stage "done"
