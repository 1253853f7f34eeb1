#!/usr/bin/env bash
# Installs what building, testing and the demo need, from Debian 12 packages only.
# Safe to re-run: apt is only called when something is missing.
#
# DEPS selects which packages (default all):
#   build    compiler and -dev packages: enough for scripts/build.sh with FARRIER_BUILD_TESTS=OFF
#            (the Dockerfile's build stage)
#   runtime  only the shared libraries the farrier binary links (ldd + dpkg -S) and the CA store:
#            the Dockerfile's runtime stage
#   all      build + runtime + tests, demo, bench and the container-image test
# --clang adds clang and its sanitizer/libFuzzer runtimes (sanitizer builds and scripts/fuzz.sh).
set -euo pipefail

mode=${DEPS:-all}
build_packages=(
  g++ cmake make pkg-config
  # libraries (see CMakeLists.txt)
  libnats-dev libssl-dev libcrypt-dev prometheus-cpp-dev libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev zlib1g-dev
)
runtime_packages=(
  # What `readelf -d farrier` lists as NEEDED, by package; their own dependencies (brotli,
  # protobuf-c, libc) come with them. nlohmann-json is header-only.
  libnats3.4 libssl3 libprometheus-cpp-core1.0 libcpp-httplib0.11 libspdlog1.10 libfmt9
  libcrypt1 zlib1g libstdc++6 libgcc-s1
  # system CAs: the default trust store for https monitoring URLs and tls:// NATS URLs
  ca-certificates
)
test_packages=(
  libgtest-dev
  # real components for tests, demo and bench
  nats-server prometheus curl procps ca-certificates openssl
  # scripts/nats-servers.sh: unpacks the Go toolchain (a module zip) on machines without Go 1.26.8
  unzip
  # deploy/vm/autoscaling/farrier-asg-scaler reads /api/v1/scaling with jq; ctest asg_scaler_*
  # also lints it (shellcheck) and checks its scaling-policy files against the AWS API's own
  # model (botocore's, for Debian's python3)
  jq shellcheck python3-botocore
  # the status page's browser test (tests/integration/status_page_test.cc): headless Chromium
  chromium
  # ctest format: scripts/check-format.sh (clang-format 14 exactly: others format differently)
  clang-format-14
  # manifest validation (tests/manifests: npm's kubernetes-models, offline)
  nodejs
  # the container-image test (tests/docker): podman builds the Dockerfile on a base image made
  # with debootstrap and runs it with runc
  podman runc debootstrap
  # the package tests (tests/package): systemd-analyze verify/security on the unit (package
  # systemd; installing it does not make it PID 1), dpkg-shlibdeps for cpack's Depends (dpkg-dev; CPack
  # also runs `file` on the binary first)
  systemd dpkg-dev file
)
case $mode in
  build) packages=("${build_packages[@]}") ;;
  runtime) packages=("${runtime_packages[@]}") ;;
  all) packages=("${build_packages[@]}" "${runtime_packages[@]}" "${test_packages[@]}") ;;
  *)
    echo "deps.sh: DEPS must be build, runtime or all, got \"$mode\"" >&2
    exit 2
    ;;
esac

# Sanitizer builds (scripts/build.sh with SANITIZE=...) and scripts/fuzz.sh compile with clang.
# llvm-14 brings llvm-symbolizer: without it sanitizer reports have no function names, and the
# suppressions in tests/*.supp that name functions match nothing.
if [[ ${1:-} == --clang ]]; then
  packages+=(clang-14 libclang-rt-14-dev llvm-14)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm: Debian's package, unless the installed nodejs brings its own (NodeSource's nodejs
# includes npm and conflicts with Debian's npm package).
if [[ $mode == all ]] && ! command -v npm >/dev/null; then missing+=(npm); fi
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "deps.sh: missing packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends keeps prometheus from pulling a web UI's worth of extras.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's prometheus package starts a system service on install where systemd runs; the tests
# start their own on ephemeral ports and do not need it.
