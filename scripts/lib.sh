# Shared shell helpers for demo/bench scripts. Source it; do not run it.

# Prints a TCP port on 127.0.0.1 that nothing listens on, preferring $1 when it is free.
free_port() {
  local want=${1:-0} port
  if ((want > 0)) && ! (exec 3<>"/dev/tcp/127.0.0.1/$want") 2>/dev/null; then
    echo "$want"
    return
  fi
  for _ in $(seq 1 200); do
    # Below the kernel's ephemeral range (32768-60999 by default): a port picked there can be
    # taken by any outgoing connection, e.g. farrier's own NATS connection, before it listens.
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "free_port: no free port found" >&2
  return 1
}

# Waits until an HTTP URL answers (any status), up to $2 seconds (default 10).
wait_http() {
  local url=$1 limit=${2:-10}
  for _ in $(seq 1 $((limit * 10))); do
    curl -s -o /dev/null "$url" && return 0
    sleep 0.1
  done
  echo "wait_http: $url did not answer within ${limit}s" >&2
  return 1
}

# Stops the given PIDs (children of this shell): SIGTERM, up to 5 s each, then SIGKILL; reaps
# them. Uses the caller's log() and, if declared, its NAME_OF[pid] map for the message.
terminate_pids() {
  local pid i
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "${NAME_OF[$pid]:-pid $pid} ignored SIGTERM, killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}

# Process bookkeeping and exit handling shared by the bench scripts. The caller keeps the PIDs
# it starts in a global array `pids`, defines log() and `work` (a temp dir, removed on success,
# kept for its logs otherwise). Gives the caller forget PID... and stop PID... (stop by PID and
# forget); on exit, every PID still in `pids` is stopped, newest first. A watchdog sends the
# shell SIGTERM after $1 seconds, whose trap ends the run with status 124.
forget() {
  local keep=() p
  for p in "${pids[@]}"; do [[ " $* " == *" $p "* ]] || keep+=("$p"); done
  pids=("${keep[@]}")
}
stop() { terminate_pids "$@"; forget "$@"; }
run_lifecycle_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n ${watchdog:-} ]] && { kill -TERM "$watchdog" 2>/dev/null || true; wait "$watchdog" 2>/dev/null || true; }
  if ((${#pids[@]})); then
    local rev=() i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do rev+=("${pids[i]}"); done
    terminate_pids "${rev[@]}"
  fi
  if ((rc == 0)); then rm -rf "$work"; else log "logs kept in $work"; fi
  exit "$rc"
}
start_run_lifecycle() {
  local time_limit=$1
  watchdog=
  trap run_lifecycle_cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "time limit or SIGTERM: stopping"; exit 124' TERM
  (
    trap 'kill -TERM "$sp" 2>/dev/null; exit 0' TERM
    sleep "$time_limit" &
    sp=$!
    wait "$sp" && kill -TERM $$
  ) 2>/dev/null &
  watchdog=$!
}

# Installs those of the named Debian packages that are missing (apt, as root), or dies naming
# them. Callers define log and die.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  [[ $(id -u) -eq 0 ]] || die "missing packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})"
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# demo_farrier_config NATS_PORT MONITOR_PORT: prints the farrier.json of scripts/demo.sh (and of
# bench/status-page.sh, which measures the demo's page): the echo pool probed and sized, and the
# ORDERS/worker consumer. Nobody consumes ORDERS, so its lag stays at 50: at 1 message/s per
# worker (an order takes a second), draining that within 10 s takes 5 workers.
demo_farrier_config() {
  cat <<JSON
{
  "nats": {"url": "nats://127.0.0.1:$1", "monitor_url": "http://127.0.0.1:$2"},
  "poll": {"interval": "2s", "timeout": "1s"},
  "scaling": {"window": "20s", "down_window": "30s"},
  "services": [
    {"name": "echo", "subject": "api.echo", "queue_group": "workers",
     "probe": {"interval": "500ms", "timeout": "1s", "payload": "probe"},
     "worker_concurrency": 4, "overflow": "drop", "micro_service": "Echo"}
  ],
  "consumers": [
    {"stream": "ORDERS", "consumer": "worker", "worker_rate": 1, "drain_time": "10s",
     "max_workers": 10}
  ]
}
JSON
}

# bench_build BUILD_DIR TARGET...: the project's build dependencies (scripts/deps.sh owns them),
# then the named targets configured and built in BUILD_DIR. Uses the caller's log().
bench_build() {
  local dir=$1
  shift
  bash "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
  log "building $* in $dir"
  cmake -S "$(dirname "${BASH_SOURCE[0]}")/.." -B "$dir" >/dev/null
  cmake --build "$dir" -j2 --target "$@" >/dev/null
}

# bench_peers DIR BUILD BUILD_DIR: "NAME PATH" per peer exporter a bench runs beside farrier: the
# one in DIR (--peers) when there is one; else, with BUILD=1, the one built from the module
# proxy into BUILD_DIR/tools/peers (scripts/nats-servers.sh PEERS=1: prometheus-nats-exporter,
# pinned by bench/peers/go.mod; the proxy refuses nats-surveyor). Says what is left out and why.
# Uses the caller's log() and die().
bench_peers() {
  local dir=$1 build=$2 build_dir=$3 peer
  if ((build)); then
    TOOLS_DIR=$build_dir/tools PEERS=1 bash "$(dirname "${BASH_SOURCE[0]}")/nats-servers.sh" >&2 ||
      die "building the peers from the Go module proxy failed"
  fi
  for peer in prometheus-nats-exporter nats-surveyor; do
    if [[ -n $dir && -x $dir/$peer ]]; then
      echo "$peer $dir/$peer"
    elif ((build)) && [[ -x $build_dir/tools/peers/$peer ]]; then
      echo "$peer $build_dir/tools/peers/$peer"
    elif [[ $peer == nats-surveyor ]]; then
      log "nats-surveyor: left out (the Go module proxy refuses its module; --peers DIR with a build of yours adds it)"
    else
      log "$peer: left out (not in ${dir:---peers DIR}; --build-peers builds it)"
    fi
  done
}

# start_bg NAME STDOUT STDERR CMD...: runs CMD in the background with its output in the two
# files, records it in the caller's pids array and NAME_OF map (read by terminate_pids), and
# sets LAST_PID.
start_bg() {
  local name=$1 o=$2 e=$3
  shift 3
  "$@" >"$o" 2>"$e" &
  LAST_PID=$!
  pids+=("$LAST_PID")
  # shellcheck disable=SC2034  # read by terminate_pids
  NAME_OF[$LAST_PID]=$name
}

# For the standalone capture scripts (scripts/capture/{account-info,advisories,sys}.sh), after
# `here` is set: capture_begin KIND "$@" takes the server binary ($1) and natskit ($2, default
# the build's) and sets server, natskit, version, out (tests/fixtures/KIND/nats-<version>), work
# (a temp dir, removed on exit), pids (processes to kill on exit) and log ("KIND[version]: ...").
capture_begin() {
  capture_kind=$1
  shift
  server=${1:?usage: $capture_kind.sh NATS_SERVER_BINARY [NATSKIT_BINARY]}
  natskit=${2:-$here/build/tests/tools/natskit}
  version=$("$server" --version | sed -E 's/^nats-server: v?//')
  # shellcheck disable=SC2034  # read by the capture script
  out=$here/tests/fixtures/$capture_kind/nats-$version
  work=$(mktemp -d)
  pids=()
  trap capture_cleanup EXIT
  log() { echo "$capture_kind[$version]: $*" >&2; }
}
capture_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
# capture_serve PORT: "$server" with $work/server.conf in the background (killed on exit), once
# PORT accepts connections.
capture_serve() {
  "$server" -c "$work/server.conf" >"$work/server.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && break; sleep 0.1; done
}
# capture_req URL SUBJECT [DATA]: one request with natskit; the reply on stdout.
capture_req() { "$natskit" request --url "$1" --subject "$2" --data "${3:-}" --timeout 5000; }
# capture_await_jetstream URL: JetStream may still be starting when the port opens; retried until
# the API answers URL's account.
capture_await_jetstream() {
  for _ in $(seq 1 50); do
    capture_req "$1" "\$JS.API.INFO" 2>/dev/null | grep -q '"limits"' && return 0
    sleep 0.2
  done
}

# --- podman for the container tests (tests/docker/run.sh, tests/package/run.sh) ------------------
# This machine has no Docker engine and no registry. Both tests share one podman storage (in the
# build tree, kept across runs) and one base image, debian:bookworm, made with debootstrap from
# the machine's own apt mirror, so the base image is made once per build tree. Callers define
# log() and die(); ctest gives the two tests the RESOURCE_LOCK "podman", and the base image is
# also made under flock, for runs outside ctest.

# podman_storage_driver DIR: overlay when the kernel lets us mount it, else vfs (always works, but
# copies every layer whole). Probes in a temporary directory under DIR.
podman_storage_driver() {
  local d
  d=$(mktemp -d "$1/overlay-probe.XXXXXX")
  mkdir -p "$d"/{lower,upper,work,merged}
  if mount -t overlay overlay -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" \
    "$d/merged" 2>/dev/null; then
    umount "$d/merged"
    echo overlay
  else
    echo vfs
  fi
  rm -rf "$d"
}

# podman_setup DIR: points this shell's podman calls at the storage and configuration in DIR
# (apart from the machine's /var/lib/containers) and sets podman_driver and podman_run_options,
# the options of every `podman run`: runc, the host's network (no network namespace here), and
# ulimits no higher than this shell's hard limits (the runtime's defaults are higher and runc may
# not raise them here).
podman_setup() {
  local dir=$1 hard_nofile hard_nproc nofile nproc
  mkdir -p "$dir"
  podman_driver=${FARRIER_PODMAN_STORAGE_DRIVER:-}
  if [[ -z $podman_driver ]]; then
    # Storage made with one driver cannot be opened with the other: stay with the recorded one.
    podman_driver=$(cat "$dir/driver" 2>/dev/null || podman_storage_driver "$dir")
  fi
  echo "$podman_driver" >"$dir/driver"
  cat >"$dir/storage.conf" <<CONF
[storage]
driver = "$podman_driver"
graphroot = "$dir/storage"
runroot = "$dir/run"
CONF
  # No systemd or journald to rely on here: cgroupfs and a plain events file.
  cat >"$dir/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
runtime = "runc"
CONF
  export CONTAINERS_STORAGE_CONF=$dir/storage.conf
  export CONTAINERS_CONF=$dir/containers.conf

  hard_nofile=$(ulimit -Hn)
  hard_nproc=$(ulimit -Hu)
  [[ $hard_nofile == unlimited ]] && hard_nofile=65536
  [[ $hard_nproc == unlimited ]] && hard_nproc=4096
  nofile=$((hard_nofile < 65536 ? hard_nofile : 65536))
  nproc=$((hard_nproc < 4096 ? hard_nproc : 4096))
  # shellcheck disable=SC2034  # read by the callers
  podman_run_options=(--runtime runc --network host
    --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
}

# The machine's Debian mirror: the first source with suite bookworm and component main, from
# /etc/apt/sources.list, *.list (one-line format) or *.sources (deb822).
debian_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                       if ($(i + 1) == "bookworm") for (j = i + 2; j <= NF; j++)
                         if ($j == "main") { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         { types = uris = suites = comps = ""; enabled = "yes"
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^[ \t]*#/ || $i !~ /:/) continue
             k = tolower(substr($i, 1, index($i, ":") - 1)); v = " " substr($i, index($i, ":") + 1) " "
             gsub(/[ \t]+/, " ", v)
             if (k == "types") types = v; else if (k == "uris") uris = v
             else if (k == "suites") suites = v; else if (k == "components") comps = v
             else if (k == "enabled") enabled = v }
           if (enabled !~ / no / && types ~ / deb / && suites ~ / bookworm / && comps ~ / main /) {
             split(uris, u, " "); print u[1]; exit } }' "$f"
  done
}

# podman_base_image WORK: makes debian:bookworm in the storage of podman_setup unless it is there,
# with debootstrap --variant=minbase from the machine's mirror (FARRIER_DEBIAN_MIRROR overrides
# it) in a temporary directory under WORK. Under an flock of the storage directory, so that two
# tests starting together make it once.
podman_base_image() {
  local work=$1 lock mirror rootfs
  exec {lock}>"$(dirname "$CONTAINERS_STORAGE_CONF")/base-image.lock"
  flock "$lock"
  if podman image exists debian:bookworm; then
    log "reusing the base image debian:bookworm"
  else
    mirror=${FARRIER_DEBIAN_MIRROR:-$(debian_mirror | head -n 1)}
    [[ -n $mirror ]] ||
      die "no bookworm mirror in /etc/apt/sources.list{,.d/*.list,.d/*.sources}; set FARRIER_DEBIAN_MIRROR"
    log "making debian:bookworm with debootstrap --variant=minbase from $mirror"
    rootfs=$work/rootfs
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
    # Like Debian's published image: no downloaded packages, no package lists.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | podman import --quiet - debian:bookworm >/dev/null
    rm -rf "$rootfs"
    log "base image debian:bookworm imported"
  fi
  exec {lock}>&-
}

# The start of a test that runs containers with podman (tests/docker, tests/package): defines
# log, die and phase (messages prefixed with $1), skips with exit 77 outside CI when not root or
# without podman (fails with CI=true), fails unless every other argument is a command here, and
# installs podman_test_exit as the EXIT trap.
podman_test_begin() {
  podman_test_prefix=$1
  shift
  log() { printf '%s: %s\n' "$podman_test_prefix" "$*" >&2; }
  die() {
    log "FAIL: $*"
    exit 1
  }
  phase_start=$SECONDS
  phase() {
    log "$1 ($((SECONDS - phase_start)) s)"
    phase_start=$SECONDS
  }
  if [[ $(id -u) -ne 0 ]] || ! command -v podman >/dev/null; then
    local why="needs root and podman (apt-get install podman runc debootstrap)"
    [[ ${CI:-} == true ]] && die "$why; in CI this must not be skipped"
    log "SKIP: $why"
    exit 77
  fi
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is missing (scripts/deps.sh installs it)"
  done
  trap podman_test_exit EXIT
  trap 'exit 130' INT
  trap 'exit 124' TERM
}

# On exit, failed or not: the test's own on_exit RC (its containers, their logs on failure), then
# the nats-server it started ($nats_pid; $work/nats-server.log shown on failure) and $work.
podman_test_exit() {
  local rc=$?
  trap - EXIT INT TERM
  if declare -F on_exit >/dev/null; then on_exit "$rc"; fi
  if [[ -n ${nats_pid:-} ]]; then
    ((rc == 0)) || { log "nats-server log:"; tail -n 20 "$work/nats-server.log" >&2 || true; }
    terminate_pids "$nats_pid"
  fi
  [[ -z ${work:-} ]] || rm -rf "$work"
  exit "$rc"
}

# container_exec CONTAINER CMD...: runs CMD as root inside a running container, in all of its
# namespaces and its root, with nsenter rather than `podman exec`: with podman inside a chroot
# (the CI rehearsal), `podman exec` ran commands on the machine outside the chroot instead (it
# once installed the package under test there). Environment variables: env VAR=value CMD...
container_exec() {
  local pid
  pid=$(podman inspect --format '{{.State.Pid}}' "$1") && [[ $pid -gt 0 ]] ||
    { echo "container_exec: $1 is not running" >&2; return 125; }
  shift
  nsenter --target "$pid" --all --root --wd -- "$@"
}
