#!/usr/bin/env bash
# Checks the systemd unit of the Debian package, deploy/vm/farrier.service, without running
# systemd (ctest systemd_unit_verify):
#
# 1. `systemd-analyze verify` finds nothing to say. It exits 0 on many mistakes (an unknown key,
#    a value it cannot parse, an unknown system call group) and only warns, so any output fails.
#    It needs ExecStart's binary: a copy of the unit runs the binary of this build instead.
# 2. The settings the unit promises (deploy/vm/README.md, "Hardening") are there, each with the
#    last value it is given: the package's user, the sandbox, ExecReload's SIGHUP, restarts.
# 3. `systemd-analyze security --offline` rates the sandbox at or below FARRIER_EXPOSURE_THRESHOLD
#    (tenths: 12 is an exposure level of 1.2; tests/package/CMakeLists.txt sets it).
# 4. The farrier of this build accepts the shipped configuration, deploy/vm/farrier.json, with the
#    unit's own command line (--check-config where the binary has it, else a start that lasts).
#
#   verify-unit.sh [--self-test] SOURCE_DIR FARRIER_BINARY
#
# --self-test first proves that each check fails on a copy broken on purpose, so a check that
# could never fail (a systemd-analyze that stopped reporting, a pattern that matches nothing)
# fails the test.
set -euo pipefail

self_test=false
if [[ ${1:-} == --self-test ]]; then
  self_test=true
  shift
fi
source_dir=$(cd "$1" && pwd)
farrier=$(realpath "$2")
threshold=${FARRIER_EXPOSURE_THRESHOLD:?set by tests/package/CMakeLists.txt}
unit_source=$source_dir/deploy/vm/farrier.service
config_source=$source_dir/deploy/vm/farrier.json

log() { printf 'unit check: %s\n' "$*" >&2; }
die() {
  log "FAIL: $*"
  exit 1
}
command -v systemd-analyze >/dev/null || die "systemd-analyze is missing (scripts/deps.sh installs systemd)"
[[ -x $farrier ]] || die "$farrier is not built"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The unit as installed, but starting this build's binary. The file keeps its name: systemd
# derives the unit's name from it.
mkdir -p "$work/ok"
unit=$work/ok/farrier.service
sed "s#^ExecStart=/usr/bin/farrier #ExecStart=$farrier #" "$unit_source" >"$unit"
grep -q "^ExecStart=$farrier " "$unit" || die "ExecStart= of $unit_source does not start /usr/bin/farrier"

# check_verify UNIT: systemd-analyze verify, silent and successful.
check_verify() {
  local out
  out=$(systemd-analyze verify --man=no "$1" 2>&1) || { log "systemd-analyze verify: $out"; return 1; }
  [[ -z $out ]] || { log "systemd-analyze verify warns: $out"; return 1; }
}

# KEY=VALUE: the last assignment of each key (a later line overrides an earlier one).
required=(
  "User=farrier" "Group=farrier"
  "ExecReload=/bin/kill -HUP \$MAINPID" "Restart=on-failure"
  "NoNewPrivileges=yes" "CapabilityBoundingSet=" "ProtectSystem=strict" "ProtectHome=yes"
  "PrivateTmp=yes" "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "MemoryDenyWriteExecute=yes"
  "WantedBy=multi-user.target"
)
# check_settings UNIT: the required settings, and the system call filter (a list: its lines add
# up, and an empty assignment resets it).
check_settings() {
  local setting key want got ok=0
  for setting in "${required[@]}"; do
    key=${setting%%=*}
    want=${setting#*=}
    got=$(sed -n "s/^$key=//p" "$1" | tail -n 1)
    if ! grep -q "^$key=" "$1" || [[ $got != "$want" ]]; then
      log "$key= is \"$got\", expected \"$want\""
      ok=1
    fi
  done
  if ! grep -qx 'SystemCallFilter=@system-service' "$1" || grep -qx 'SystemCallFilter=' "$1"; then
    log "SystemCallFilter=@system-service is missing or reset"
    ok=1
  fi
  if ! grep -q "^ExecStart=[^ ]*/farrier --config /etc/farrier/farrier.json\$" "$1"; then
    log "ExecStart= does not read the package's /etc/farrier/farrier.json"
    ok=1
  fi
  return "$ok"
}

# check_exposure UNIT: systemd-analyze security's overall exposure at most the threshold.
check_exposure() {
  local out
  out=$(systemd-analyze security --offline=true --threshold="$threshold" --no-pager "$1" 2>&1) ||
    { log "exposure above $threshold/10: $(grep 'Overall exposure' <<<"$out")"; return 1; }
  grep -o 'Overall exposure level.*' <<<"$out"
}

# check_config BINARY CONFIG: the unit's command line with CONFIG is accepted.
check_config() {
  local bin=$1 config=$2 out rc=0
  if "$bin" --help | grep -q -- '--check-config'; then
    out=$("$bin" --config "$config" --check-config 2>&1) || { log "$out"; return 1; }
    return 0
  fi
  # No --check-config in this farrier: an invalid configuration exits 2 at once, a valid one
  # runs (on a port of its own) until the timeout.
  out=$(timeout 2 "$bin" --config "$config" --web.listen-address 127.0.0.1:0 2>&1) || rc=$?
  ((rc == 124)) || { log "farrier exited with $rc: $out"; return 1; }
}

# expect_failure WHAT CHECK ARGS...: the check must fail.
expect_failure() {
  local what=$1
  shift
  [[ -f ${*: -1} ]] || die "self-test: no broken copy for $what"
  if "$@" >/dev/null 2>&1; then
    die "self-test: $1 did not catch $what"
  fi
  log "self-test: $1 catches $what"
}
# broken NAME SED-SCRIPT: a copy of the verified unit, changed by SED-SCRIPT.
broken() {
  mkdir -p "$work/$1"
  sed "$2" "$unit" >"$work/$1/farrier.service"
  cmp -s "$unit" "$work/$1/farrier.service" && die "self-test: the mutation $1 changed nothing"
  echo "$work/$1/farrier.service"
}

if $self_test; then
  expect_failure "a missing ExecStart binary" check_verify "$(broken missing-binary 's#^ExecStart=[^ ]*#ExecStart=/nonexistent/farrier#')"
  expect_failure "a misspelt key" check_verify "$(broken typo 's/^ProtectHome=yes/ProtectHom=yes/')"
  expect_failure "a value systemd cannot parse" check_verify "$(broken bad-value 's/^Restart=on-failure/Restart=sometimes/')"
  expect_failure "an unknown system call group" check_verify "$(broken bad-group 's/^SystemCallFilter=@system-service/SystemCallFilter=@system-servic/')"
  expect_failure "a weaker ProtectSystem=" check_settings "$(broken weaker 's/^ProtectSystem=strict/ProtectSystem=full/')"
  expect_failure "an override later in the file" check_settings "$(broken override '$a NoNewPrivileges=no')"
  expect_failure "no ExecReload=" check_settings "$(broken no-reload '/^ExecReload=/d')"
  expect_failure "a reset system call filter" check_settings "$(broken reset-filter '$a SystemCallFilter=')"
  expect_failure "a sandbox cut down to the required settings" check_exposure "$(broken cut-down \
    '/^\(PrivateDevices\|ProtectKernel.*\|ProtectProc\|ProcSubset\|PrivateUsers\|RestrictNamespaces\|ProtectClock\|ProtectHostname\|ProtectControlGroups\|SystemCallArchitectures\|LockPersonality\|RestrictRealtime\|RestrictSUIDSGID\)=/d')"
  printf '{ "poll": { "interval": "fast" } }\n' >"$work/invalid.json"
  expect_failure "an invalid configuration" check_config "$farrier" "$work/invalid.json"
fi

check_verify "$unit" || die "systemd-analyze verify rejects $unit_source"
check_settings "$unit" || die "$unit_source lacks settings it promises (above)"
exposure=$(check_exposure "$unit") || die "$unit_source is less confined than FARRIER_EXPOSURE_THRESHOLD=$threshold allows"
check_config "$farrier" "$config_source" || die "farrier refuses $config_source"
log "ok: $unit_source verifies, has its settings; $exposure; $config_source accepted"
