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
