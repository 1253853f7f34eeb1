#!/usr/bin/env bash
# Provides the test tools that Debian 12 does not package, in a cache in the build tree:
#   - every nats-server of tests/nats-versions.txt: Debian's /usr/sbin/nats-server for 2.9.10,
#     the others built from their release on the Go module proxy, each module zip checked against
#     the go.sum hash pinned in that file before it is built;
#   - farrier-microworker, the reference micro worker of tests/micro (nats.go's micro package,
#     pinned by its own go.mod and go.sum);
#   - helm, Helm v4 from helm.sh/helm/v4 (pinned by tests/helm/tool/go.mod and go.sum), for the
#     chart tests of tests/helm;
#   - with PEERS=1 only, prometheus-nats-exporter (pinned by bench/peers/go.mod and go.sum), for
#     the benches' side-by-side runs.
# Writes the manifest $TOOLS_DIR/nats-servers.txt ("VERSION PATH" per line) and checks that each
# binary's --version names its version. A second run with nothing changed takes well under a
# second; scripts/test.sh calls it before ctest. Go is test tooling only: nothing here goes into
# farrier, and nothing fetched is committed.
#
# Go: the machine's `go` when it is at least GO_VERSION below, else the pinned toolchain from
# the module proxy (golang.org/toolchain, sha256 checked), unpacked into the cache. Always
# GOTOOLCHAIN=local (no toolchain switching), GOPATH, module and build caches inside the cache,
# CGO off, -trimpath; GOPROXY and GOSUMDB as the environment or Go's defaults say (the go command
# checks every module against the checksum database, reached through the proxy, on top of the
# pins here).
#
#   ./scripts/nats-servers.sh                 everything (about 30 s per server on two cores the first time)
#   TOOLS_DIR=DIR                             the cache (default: build/tools in this repository,
#                                             shared by every build directory)
# Needs curl, unzip and ca-certificates only to download Go (scripts/deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

GO_VERSION=1.26.8
GO_ZIP_URL=https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-amd64.zip
GO_ZIP_SHA256=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7
GO_ZIP_ROOT=golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-amd64  # the zip's top directory
SERVER_MODULE=github.com/nats-io/nats-server/v2

log() { echo "nats-servers.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

tools=${TOOLS_DIR:-$repo/build/tools}
mkdir -p "$tools"
tools=$(cd "$tools" && pwd)
# One run at a time per cache (two build directories may share it).
exec 9>"$tools/.lock"
flock 9

# ---------------------------------------------------------------- Go

# "go1.26.8" -> 0 when $1 is at least $2 (both like 1.26.8).
version_at_least() { [[ $(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1) == "$2" ]]; }

# Downloads and unpacks the pinned toolchain into $tools/go-$GO_VERSION unless it is there.
fetch_go() {
  local root=$tools/go-$GO_VERSION zip=$tools/go-$GO_VERSION.zip.part
  if [[ -x $root/bin/go ]]; then
    echo "$root/bin/go"
    return
  fi
  command -v curl >/dev/null || die "Go: curl is missing (scripts/deps.sh installs it)"
  command -v unzip >/dev/null || die "Go: unzip is missing (scripts/deps.sh installs it)"
  log "Go: downloading go$GO_VERSION from the module proxy ($GO_ZIP_URL)"
  curl -fsSL --retry 3 -o "$zip" "$GO_ZIP_URL" || die "Go: download of $GO_ZIP_URL failed"
  local sum
  sum=$(sha256sum "$zip" | cut -d' ' -f1)
  if [[ $sum != "$GO_ZIP_SHA256" ]]; then
    rm -f "$zip"
    die "Go: $GO_ZIP_URL has sha256 $sum, pinned $GO_ZIP_SHA256: refusing it"
  fi
  local tmp=$tools/go-$GO_VERSION.unpacking
  rm -rf "$tmp"
  unzip -q "$zip" -d "$tmp" || die "Go: cannot unpack $zip"
  # Module zips record no file modes: the executables are bin/* and pkg/tool/*/* (as the go
  # command's own toolchain switching does).
  chmod -R u+w "$tmp"
  chmod +x "$tmp/$GO_ZIP_ROOT"/bin/* "$tmp/$GO_ZIP_ROOT"/pkg/tool/*/*
  rm -rf "$root"
  mv "$tmp/$GO_ZIP_ROOT" "$root"
  rm -rf "$tmp" "$zip"
  echo "$root/bin/go"
}

find_go() {
  local go have
  if go=$(command -v go); then
    have=$(GOTOOLCHAIN=local "$go" env GOVERSION 2>/dev/null) || have=
    have=${have#go}
    if [[ -n $have ]] && version_at_least "$have" "$GO_VERSION"; then
      echo "$go"
      return
    fi
    log "Go: the machine's $go is ${have:-of unknown version}, not at least $GO_VERSION: using the pinned toolchain"
  fi
  fetch_go
}

go=$(find_go)
# Only the settings below and the environment's proxy and checksum database count: no go env
# file, no GOFLAGS from outside, no modules exempted from checking.
unset GOFLAGS GONOSUMDB GONOSUMCHECK GONOPROXY GOPRIVATE GOINSECURE GOWORK GOBIN
export GOENV=off GOTOOLCHAIN=local CGO_ENABLED=0 GO111MODULE=on
export GOPATH=$tools/gopath GOMODCACHE=$tools/gopath/pkg/mod GOCACHE=$tools/gocache
# Writable module cache, so that `rm -rf build` works.
export GOFLAGS=-modcacherw
go_version=$("$go" env GOVERSION)
log "Go: $go ($go_version)"

# ---------------------------------------------------------------- nats-server

# The value of "Sum" in `go mod download -json` output.
json_sum() { sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p'; }
json_error() { sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p'; }

# Checks that $1 (a binary) reports version $2 with --version ("nats-server: v2.10.29").
check_server_version() {
  local out
  out=$("$1" --version 2>&1) || die "nats-server $2: $1 --version failed: $out"
  [[ $out == "nats-server: v$2" ]] || die "nats-server $2: $1 --version says \"$out\", not v$2"
}

# Builds nats-server $1 (go.sum hash $2) into $tools/nats-server-$1/nats-server unless the
# binary there was built from that pin with this Go. Prints the binary's path.
provide_server() {
  local version=$1 pin=$2 dir=$tools/nats-server-$1
  local stamp="$SERVER_MODULE@v$version $pin $go_version"
  if [[ -x $dir/nats-server && -f $dir/stamp && $(<"$dir/stamp") == "$stamp" ]]; then
    echo "$dir/nats-server"
    return
  fi
  log "nats-server $version: downloading $SERVER_MODULE@v$version"
  local json sum
  json=$("$go" mod download -json "$SERVER_MODULE@v$version" 2>&1) ||
    die "nats-server $version: go mod download $SERVER_MODULE@v$version failed: $(json_error <<<"$json")"
  sum=$(json_sum <<<"$json")
  [[ $sum == "$pin" ]] ||
    die "nats-server $version: the module zip's hash is \"$sum\", tests/nats-versions.txt pins \"$pin\": refusing to build it"
  log "nats-server $version: hash $sum as pinned; building (go install -trimpath)"
  rm -rf "$dir.building"
  mkdir -p "$dir.building"
  GOBIN=$dir.building "$go" install -trimpath "$SERVER_MODULE@v$version" ||
    die "nats-server $version: go install $SERVER_MODULE@v$version failed"
  check_server_version "$dir.building/nats-server" "$version"
  echo "$stamp" >"$dir.building/stamp"
  rm -rf "$dir"
  mv "$dir.building" "$dir"
  echo "$dir/nats-server"
}

manifest=()
while read -r version source _; do
  [[ -z $version || $version == \#* ]] && continue
  if [[ $source == debian ]]; then
    path=/usr/sbin/nats-server
    [[ -x $path ]] || die "nats-server $version: $path is missing (Debian's nats-server package; scripts/deps.sh installs it)"
    check_server_version "$path" "$version"
  else
    [[ $source == h1:* ]] || die "tests/nats-versions.txt: $version: source must be debian or an h1: hash, got \"$source\""
    path=$(provide_server "$version" "$source")
  fi
  manifest+=("$version $path")
done <tests/nats-versions.txt
((${#manifest[@]})) || die "tests/nats-versions.txt lists no version"
printf '%s\n' "${manifest[@]}" >"$tools/nats-servers.txt.tmp"
mv "$tools/nats-servers.txt.tmp" "$tools/nats-servers.txt"

# ---------------------------------------------------------------- farrier-microworker

worker=$tools/bin/farrier-microworker
stamp="$(cd tests/micro && cat go.mod go.sum ./*.go | sha256sum | cut -d' ' -f1) $go_version"
if ! [[ -x $worker && -f $worker.stamp && $(<"$worker.stamp") == "$stamp" ]]; then
  log "farrier-microworker: building tests/micro"
  mkdir -p "$tools/bin"
  # -mod=readonly: go.mod and go.sum are the pins; a missing or different hash fails the build.
  (cd tests/micro && "$go" build -trimpath -mod=readonly -o "$worker.building" .) ||
    die "farrier-microworker: go build in tests/micro failed"
  "$worker.building" --version >/dev/null || die "farrier-microworker: the new binary does not run"
  mv "$worker.building" "$worker"
  echo "$stamp" >"$worker.stamp"
fi

# ---------------------------------------------------------------- helm

helm=$tools/bin/helm
helm_version=$(sed -n 's/^[[:space:]]*helm\.sh\/helm\/v4 \(v[0-9.]*\)\( \/\/ indirect\)\{0,1\}$/\1/p' tests/helm/tool/go.mod)
[[ -n $helm_version ]] || die "helm: tests/helm/tool/go.mod requires no helm.sh/helm/v4 version"
stamp="$(cd tests/helm/tool && cat go.mod go.sum | sha256sum | cut -d' ' -f1) $go_version"
if ! [[ -x $helm && -f $helm.stamp && $(<"$helm.stamp") == "$stamp" ]]; then
  log "helm: building helm.sh/helm/v4/cmd/helm $helm_version (tests/helm/tool)"
  mkdir -p "$tools/bin"
  # The module's own version variable says only the minor version ("v4.3"); name the patch.
  (cd tests/helm/tool && "$go" build -trimpath -mod=readonly \
    -ldflags "-X helm.sh/helm/v4/internal/version.version=$helm_version" -o "$helm.building" helm.sh/helm/v4/cmd/helm) ||
    die "helm: go build in tests/helm/tool failed"
  "$helm.building" version --short | grep -q "^$helm_version" || die "helm: the new binary does not say $helm_version"
  mv "$helm.building" "$helm"
  echo "$stamp" >"$helm.stamp"
fi

# ---------------------------------------------------------------- peers (PEERS=1, for bench/)
# The exporters the benches measure Farrier against, where the module proxy serves them:
# prometheus-nats-exporter, pinned by bench/peers/go.mod and go.sum, into $tools/peers/. Only on
# request (the benches' --build-peers): the tests do not need it. nats-surveyor cannot be built
# here: the proxy refuses every version of github.com/nats-io/nats-surveyor.
if [[ ${PEERS:-0} == 1 ]]; then
  pne=$tools/peers/prometheus-nats-exporter
  pne_version=$(sed -n 's/^[[:space:]]*github\.com\/nats-io\/prometheus-nats-exporter \(v[0-9.]*\)\( \/\/ indirect\)\{0,1\}$/\1/p' bench/peers/go.mod)
  [[ -n $pne_version ]] || die "peers: bench/peers/go.mod requires no prometheus-nats-exporter version"
  stamp="$(cd bench/peers && cat go.mod go.sum | sha256sum | cut -d' ' -f1) $go_version"
  if ! [[ -x $pne && -f $pne.stamp && $(<"$pne.stamp") == "$stamp" ]]; then
    log "peers: building github.com/nats-io/prometheus-nats-exporter $pne_version (bench/peers)"
    mkdir -p "$tools/peers"
    # Its releases set main.version at link time, as here (else it says 0.0.0).
    (cd bench/peers && "$go" build -trimpath -mod=readonly -ldflags "-X main.version=${pne_version#v}" \
      -o "$pne.building" github.com/nats-io/prometheus-nats-exporter) ||
      die "peers: go build in bench/peers failed"
    "$pne.building" --version 2>&1 | grep -q "version ${pne_version#v}\$" ||
      die "peers: the new prometheus-nats-exporter does not say ${pne_version#v}"
    mv "$pne.building" "$pne"
    echo "$stamp" >"$pne.stamp"
  fi
  log "peers: $("$pne" --version 2>&1) in $tools/peers (nats-surveyor: not served by the module proxy)"
fi

log "$(printf '%s, ' "${manifest[@]%% *}")$("$worker" --version), helm $("$helm" version --short) in $tools"
