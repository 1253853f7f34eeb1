#!/usr/bin/env bash
# Installs what building, testing and the demo need, from Debian 12 packages only.
# Safe to re-run: apt is only called when something is missing. --fuzz adds the fuzz build's.
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config
  # libraries (see CMakeLists.txt)
  libnats-dev libssl-dev prometheus-cpp-dev libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev
  libgtest-dev
  # real components for tests, demo and bench
  nats-server prometheus curl procps ca-certificates openssl
  # manifest validation (tests/manifests: npm's kubernetes-models, offline)
  nodejs
)

# scripts/fuzz.sh: clang and its libFuzzer/sanitizer runtimes (g++'s sanitizers come with g++).
if [[ ${1:-} == --fuzz ]]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm: Debian's package, unless the installed nodejs brings its own (NodeSource's nodejs
# includes npm and conflicts with Debian's npm package).
command -v npm >/dev/null || missing+=(npm)
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
