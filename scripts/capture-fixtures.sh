#!/usr/bin/env bash
# Captures real nats-server monitoring JSON into tests/fixtures/nats-<version>/.
#
# Starts real nats-servers on ephemeral loopback ports (temp dirs), builds realistic state with
# natskit (idle connections, queue subscribers, JetStream streams/consumers, a 3-node JetStream
# cluster, a leafnode pair, a gateway pair), captures the monitoring endpoints with curl, checks
# that the captured state is what the fixtures promise, and writes a README describing it all.
# A last scenario captures service-latency events (io.nats.server.metric.v1.service_latency)
# from a two-account server with farrier-sample-worker and farrier-loadgen (exporter/samples).
# Every process it starts is stopped by PID on exit. Re-runnable: the fixture directory is
# replaced only after a complete, validated capture.
#
# Environment:
#   NATSKIT      path to a natskit binary (default: build it, see build_natskit below)
#   SAMPLE_WORKER, LOADGEN  farrier-sample-worker and farrier-loadgen binaries (default: build
#                them in build/, see build_samples below; both must be set to skip that)
#   NATS_SERVER  nats-server binary (default: nats-server from PATH)
#   OUT_DIR      output directory (default: tests/fixtures/nats-<server version>)
#   KEEP_WORK=1  keep the temp dir (server configs and logs) for inspection
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NATS_SERVER=${NATS_SERVER:-nats-server}
for tool in "$NATS_SERVER" curl jq; do
  command -v "$tool" >/dev/null || { echo "capture-fixtures: '$tool' not found" >&2; exit 1; }
done
VERSION=$("$NATS_SERVER" --version | sed -n 's/^nats-server: v\{0,1\}//p')
[[ -n $VERSION ]] || { echo "capture-fixtures: cannot determine nats-server version" >&2; exit 1; }
OUT=${OUT_DIR:-$ROOT/tests/fixtures/nats-$VERSION}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/farrier-capture.XXXXXX")
STAGE=$WORK/out
mkdir -p "$STAGE"
T0=$SECONDS

PIDS=()             # every background process still running, in start order
SCENARIO_PIDS=()    # the ones started by the current scenario
declare -A NAME_OF  # pid -> label, for messages
declare -A MPORT    # server label -> monitoring port
declare -A CPORT    # server label -> client port
declare -A ROUTE_PORT
declare -A CAPTURED # fixture file -> "<server label> <request path>"

log() { printf '[capture %3ds] %s\n' $((SECONDS - T0)) "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Stops the given PIDs (our own children only: SIGTERM, SIGKILL after 5 s), reaps them and
# forgets them, so a PID reused later by someone else's process is never signalled.
# shellcheck source=lib.sh
source "$ROOT/scripts/lib.sh"  # terminate_pids

stop_pids() {
  terminate_pids "$@"
  local keep=() p stopped
  for p in "${PIDS[@]}"; do
    stopped=0
    for pid in "$@"; do [[ $p == "$pid" ]] && stopped=1; done
    ((stopped)) || keep+=("$p")
  done
  PIDS=("${keep[@]}")
  keep=()
  for p in "${SCENARIO_PIDS[@]}"; do
    stopped=0
    for pid in "$@"; do [[ $p == "$pid" ]] && stopped=1; done
    ((stopped)) || keep+=("$p")
  done
  SCENARIO_PIDS=("${keep[@]}")
}

# Stops everything the current scenario started, newest first (clients before servers).
end_scenario() {
  local rev=() i
  for ((i = ${#SCENARIO_PIDS[@]} - 1; i >= 0; i--)); do rev+=("${SCENARIO_PIDS[i]}"); done
  ((${#rev[@]} == 0)) || stop_pids "${rev[@]}"
  SCENARIO_PIDS=()
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((${#PIDS[@]})); then
    # Reverse start order: clients before the servers they talk to.
    local rev=() i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do rev+=("${PIDS[i]}"); done
    stop_pids "${rev[@]}"
  fi
  if [[ ${KEEP_WORK:-0} == 1 || $rc != 0 ]]; then
    log "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# natskit

build_natskit() {
  if [[ -n ${NATSKIT:-} ]]; then
    [[ -x $NATSKIT ]] || die "NATSKIT=$NATSKIT is not executable"
    NATSKIT=$(cd "$(dirname "$NATSKIT")" && pwd)/$(basename "$NATSKIT")
    return
  fi
  log "building natskit"
  if cmake -S "$ROOT" -B "$ROOT/build" >"$WORK/cmake-configure.log" 2>&1 &&
    cmake --build "$ROOT/build" --target natskit >"$WORK/cmake-build.log" 2>&1; then
    NATSKIT=$ROOT/build/tests/tools/natskit
  else
    # The full project may not configure (missing deps, work in progress elsewhere); natskit
    # only needs cnats, so build tests/tools on its own.
    log "full project does not build ($(grep -m1 -h 'Error' "$WORK"/cmake-*.log || echo 'see cmake output')); building tests/tools standalone"
    if ! { cmake -S "$ROOT/tests/tools" -B "$ROOT/build/natskit-standalone" &&
      cmake --build "$ROOT/build/natskit-standalone" --target natskit; } \
      >"$WORK/cmake-standalone.log" 2>&1; then
      cat "$WORK/cmake-standalone.log" >&2
      die "cannot build natskit"
    fi
    NATSKIT=$ROOT/build/natskit-standalone/natskit
  fi
  [[ -x $NATSKIT ]] || die "natskit not found at $NATSKIT after building"
}

# The service-latency scenario runs the sample programs of exporter/samples, which (unlike
# natskit) need the full project to configure.
build_samples() {
  if [[ -n ${SAMPLE_WORKER:-} && -n ${LOADGEN:-} ]]; then
    [[ -x $SAMPLE_WORKER && -x $LOADGEN ]] || die "SAMPLE_WORKER/LOADGEN are not executable"
    SAMPLE_WORKER=$(realpath "$SAMPLE_WORKER")
    LOADGEN=$(realpath "$LOADGEN")
    return
  fi
  log "building farrier-sample-worker and farrier-loadgen"
  if ! { cmake -S "$ROOT" -B "$ROOT/build" &&
    cmake --build "$ROOT/build" --target farrier-sample-worker farrier-loadgen; } \
    >"$WORK/cmake-samples.log" 2>&1; then
    cat "$WORK/cmake-samples.log" >&2
    die "cannot build the sample programs (or set SAMPLE_WORKER and LOADGEN)"
  fi
  SAMPLE_WORKER=$ROOT/build/exporter/samples/farrier-sample-worker
  LOADGEN=$ROOT/build/exporter/samples/farrier-loadgen
}

# free_ports N: prints N distinct ports the kernel considers free on 127.0.0.1.
free_ports() { "$NATSKIT" free-port --count "$1"; }

# bg LABEL CMD...: starts CMD in the background with stdout/stderr in $WORK/LABEL.{out,err}.
bg() {
  local label=$1
  shift
  "$@" >"$WORK/$label.out" 2>"$WORK/$label.err" &
  local pid=$!
  PIDS+=("$pid")
  SCENARIO_PIDS+=("$pid")
  NAME_OF[$pid]=$label
  LAST_PID=$pid
}

# wait_ready LABEL PID [TIMEOUT_S]: waits for a line starting with "ready" on LABEL's stdout.
wait_ready() {
  local label=$1 pid=$2 timeout=${3:-30} i
  for ((i = 0; i < timeout * 10; i++)); do
    grep -q '^ready' "$WORK/$label.out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/$label.err" >&2; die "$label exited before ready"; }
    sleep 0.1
  done
  cat "$WORK/$label.err" >&2
  die "$label not ready after ${timeout}s"
}

# run LABEL CMD...: runs a natskit command in the foreground (bounded), logs its stderr.
run() {
  local label=$1
  shift
  if ! timeout 60 "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"; then
    cat "$WORK/$label.err" >&2
    die "$label failed: $*"
  fi
}

# ---------------------------------------------------------------------------------------------
# nats-server

# start_server LABEL: starts nats-server with $WORK/LABEL.conf, waits until /healthz answers.
start_server() {
  local label=$1
  bg "$label" "$NATS_SERVER" -c "$WORK/$label.conf" -l "$WORK/$label.log"
  local pid=$LAST_PID i
  for ((i = 0; i < 100; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -20 "$WORK/$label.log" "$WORK/$label.err" >&2 || true
      die "nats-server $label exited during startup (port collision?)"
    fi
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:${MPORT[$label]}/varz" && return 0
    sleep 0.1
  done
  die "nats-server $label did not open its monitoring port within 10s"
}

# wait_for LABEL PATH JQ_EXPR DESCRIPTION [TIMEOUT_S]: polls an endpoint until JQ_EXPR is true.
wait_for() {
  local label=$1 path=$2 expr=$3 what=$4 timeout=${5:-20} i
  for ((i = 0; i < timeout * 10; i++)); do
    if curl -s --max-time 2 "http://127.0.0.1:${MPORT[$label]}$path" 2>/dev/null |
      jq -e "$expr" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  die "timed out after ${timeout}s waiting for $what ($label $path: $expr)"
}

# capture LABEL PATH FILE: saves the endpoint's body byte-for-byte; JSON must parse.
capture() {
  local label=$1 path=$2 file=$3
  curl -sS --fail --max-time 5 -o "$STAGE/$file" "http://127.0.0.1:${MPORT[$label]}$path" ||
    die "capture of $label $path failed"
  jq empty "$STAGE/$file" 2>/dev/null || die "$file ($label $path) is not valid JSON"
  CAPTURED[$file]="$label $path"
}

# expect FILE JQ_EXPR DESCRIPTION: asserts a property of a captured file.
expect() {
  jq -e "$2" "$STAGE/$1" >/dev/null || die "$1: expected $3 ($2)"
}

JS_LIMITS='max_memory_store: 268435456
  max_file_store: 1073741824'

# ---------------------------------------------------------------------------------------------
# Scenario 1: single server with JetStream and a handful of real clients.

scenario_single() {
  log "scenario: single server"
  local ports
  mapfile -t ports < <(free_ports 2)
  CPORT[single]=${ports[0]}
  MPORT[single]=${ports[1]}
  mkdir -p "$WORK/single-js"
  cat >"$WORK/single.conf" <<EOF
server_name: "farrier-single"
listen: "127.0.0.1:${CPORT[single]}"
http: "127.0.0.1:${MPORT[single]}"
jetstream {
  store_dir: "$WORK/single-js"
  $JS_LIMITS
}
EOF
  start_server single
  wait_for single /healthz '.status == "ok"' "JetStream ready"
  local url=nats://127.0.0.1:${CPORT[single]}

  bg single-idle "$NATSKIT" idle-conns --url "$url" --count 5 --subs 2 --name-prefix idle
  wait_ready single-idle "$LAST_PID"
  bg single-qsub "$NATSKIT" qsub --url "$url" --subject svc.echo --queue workers --count 3 \
    --name svc-workers
  wait_ready single-qsub "$LAST_PID"
  bg single-js "$NATSKIT" js-setup --url "$url" --stream ORDERS --subjects 'orders.>' \
    --storage file --publish 50 --consumer PROCESSOR --fetch 10 --ack 3 --ephemeral 1 \
    --name orders-setup
  wait_ready single-js "$LAST_PID"
  run single-js-events "$NATSKIT" js-setup --url "$url" --stream EVENTS \
    --subjects 'events.>,audit.*' --storage memory --publish 20 --publish-subject audit.login \
    --name events-setup
  run single-pub-idle "$NATSKIT" pub --url "$url" --subject idle.0.0 --count 10 --name pub-idle
  run single-pub-none "$NATSKIT" pub --url "$url" --subject nobody.listens --count 5 --size 128 \
    --name pub-nobody
  run single-pub-svc "$NATSKIT" pub --url "$url" --subject svc.echo --count 6 --name pub-svc
  sleep 1  # so uptimes read "1s" rather than "0s"

  capture single /varz varz.json
  capture single /connz connz.json
  capture single '/connz?limit=2&offset=2' connz-page.json
  capture single '/connz?subs=detail' connz-subs-detail.json
  capture single '/connz?state=closed' connz-closed.json
  capture single /subsz subsz.json
  capture single '/subsz?subs=1&test=svc.echo' subsz-test.json
  capture single /healthz healthz.json
  capture single /jsz jsz.json
  capture single '/jsz?accounts=true&streams=true&consumers=true&config=true' jsz-full.json
  capture single /accstatz accstatz.json
  capture single '/accstatz?unused=true' accstatz-unused.json
  capture single /routez routez.json
  capture single /leafz leafz-none.json
  capture single /gatewayz gatewayz-none.json
  # Non-JSON bodies the real server serves: the HTML index at "/" and the 404 for unknown paths.
  curl -sS --max-time 5 -o "$STAGE/garbage.txt" "http://127.0.0.1:${MPORT[single]}/"
  curl -sS --max-time 5 -o "$STAGE/not-found.txt" "http://127.0.0.1:${MPORT[single]}/metrics"

  expect connz.json '.num_connections == 7' "7 open connections (5 idle, qsub, js-setup)"
  expect connz-page.json '.offset == 2 and .limit == 2 and (.connections | length) == 2' "a 2-item page"
  expect connz-closed.json '(.connections | length) >= 3' "the closed js-setup/pub connections"
  expect subsz-test.json '.subscriptions_list | length == 3 and all(.qgroup == "workers")' \
    "3 queue subscribers on svc.echo"
  expect subsz-test.json '[.subscriptions_list[].msgs] | add == 6' "6 messages over the queue group"
  expect jsz-full.json '[.account_details[].stream_detail[].consumer_detail[]?
      | select(.name == "PROCESSOR" and .num_pending == 40 and .num_ack_pending == 7)] | length == 1' \
    "durable PROCESSOR with 40 pending / 7 ack-pending"
  expect jsz-full.json '[.account_details[].stream_detail[].consumer_detail[]?
      | select(.config.durable_name == null)] | length == 1' "one ephemeral consumer"
  expect routez.json '.num_routes == 0' "no routes"
  end_scenario
}

# ---------------------------------------------------------------------------------------------
# Scenario 2: 3-node JetStream cluster with an R3 stream and R3 durable pull consumer.

scenario_cluster() {
  log "scenario: 3-node cluster"
  local ports i j
  mapfile -t ports < <(free_ports 9)
  for i in 1 2 3; do
    CPORT[node$i]=${ports[i - 1]}
    MPORT[node$i]=${ports[i + 2]}
    ROUTE_PORT[$i]=${ports[i + 5]}
  done
  for i in 1 2 3; do
    local routes=""
    for j in 1 2 3; do
      ((i == j)) || routes+="    \"nats-route://127.0.0.1:${ROUTE_PORT[$j]}\"
"
    done
    mkdir -p "$WORK/node$i-js"
    cat >"$WORK/node$i.conf" <<EOF
server_name: "farrier-n$i"
listen: "127.0.0.1:${CPORT[node$i]}"
http: "127.0.0.1:${MPORT[node$i]}"
cluster {
  name: "farrier-c3"
  listen: "127.0.0.1:${ROUTE_PORT[$i]}"
  routes: [
$routes  ]
}
jetstream {
  store_dir: "$WORK/node$i-js"
  $JS_LIMITS
}
EOF
  done
  for i in 1 2 3; do start_server "node$i"; done
  for i in 1 2 3; do
    wait_for "node$i" /routez '.num_routes == 2' "node$i fully routed"
    wait_for "node$i" /jsz '.meta_cluster.leader != null and .meta_cluster.leader != ""' \
      "node$i to see a JetStream meta leader" 30
    wait_for "node$i" /healthz '.status == "ok"' "node$i healthy" 30
  done

  run cluster-js "$NATSKIT" js-setup --url "nats://127.0.0.1:${CPORT[node1]}" --stream JOBS \
    --subjects 'jobs.>' --storage memory --replicas 3 --publish 50 --consumer WORKERS \
    --fetch 10 --ack 0 --name jobs-setup

  for i in 1 2 3; do
    capture "node$i" '/jsz?accounts=true&streams=true&consumers=true&config=true' \
      "cluster-node$i-jsz-full.json"
  done
  for i in 1 2 3; do
    capture "node$i" /varz "cluster-node$i-varz.json"
    capture "node$i" /routez "cluster-node$i-routez.json"
  done
  capture node1 '/routez?subs=detail' cluster-node1-routez-subs-detail.json

  local f
  for i in 1 2 3; do
    f=cluster-node$i-jsz-full.json
    expect "$f" '.meta_cluster.cluster_size == 3' "a 3-node meta group"
    expect "$f" '[.account_details[].stream_detail[] | select(.name == "JOBS")] | length == 1' \
      "stream JOBS on every node"
    expect "$f" '[.account_details[].stream_detail[].consumer_detail[]? | select(.name == "WORKERS")] | length == 1' \
      "consumer WORKERS on every node"
    expect "cluster-node$i-routez.json" '.num_routes == 2' "2 routes"
  done
  # Record who led what at capture time (the README cites it).
  META_LEADER=$(jq -r '.meta_cluster.leader' "$STAGE/cluster-node1-jsz-full.json")
  STREAM_LEADER=$(jq -r '.account_details[].stream_detail[] | select(.name == "JOBS") | .cluster.leader' \
    "$STAGE/cluster-node1-jsz-full.json")
  CONSUMER_LEADER=$(jq -r '.account_details[].stream_detail[].consumer_detail[]? | select(.name == "WORKERS") | .cluster.leader' \
    "$STAGE/cluster-node1-jsz-full.json")
  CLUSTER_NODE_STATE=""
  for i in 1 2 3; do
    CLUSTER_NODE_STATE+=$(jq -r --arg f "cluster-node$i-jsz-full.json" '
      .account_details[].stream_detail[].consumer_detail[]? | select(.name == "WORKERS")
      | "| `\($f)` | \(.cluster.leader // "-") | \(.delivered.stream_seq) | \(.ack_floor.stream_seq) | \(.num_pending) | \(.num_ack_pending) | \(.num_waiting) |"' \
      "$STAGE/cluster-node$i-jsz-full.json")$'\n'
  done
  log "meta leader $META_LEADER, JOBS leader $STREAM_LEADER, WORKERS leader $CONSUMER_LEADER"
  end_scenario
}

# ---------------------------------------------------------------------------------------------
# Scenario 3: leafnode hub + leaf, and a gateway pair.

scenario_leaf_gateway() {
  log "scenario: leafnode hub/leaf and gateway pair"
  local ports
  mapfile -t ports < <(free_ports 9)
  CPORT[hub]=${ports[0]} MPORT[hub]=${ports[1]}
  local leaf_listen=${ports[2]}
  CPORT[leaf]=${ports[3]} MPORT[leaf]=${ports[4]}
  CPORT[gwa]=${ports[5]} MPORT[gwa]=${ports[6]}
  local gw_a=${ports[7]} gw_b=${ports[8]}
  mapfile -t ports < <(free_ports 2)
  CPORT[gwb]=${ports[0]} MPORT[gwb]=${ports[1]}

  cat >"$WORK/hub.conf" <<EOF
server_name: "farrier-hub"
listen: "127.0.0.1:${CPORT[hub]}"
http: "127.0.0.1:${MPORT[hub]}"
leafnodes {
  listen: "127.0.0.1:$leaf_listen"
}
EOF
  cat >"$WORK/leaf.conf" <<EOF
server_name: "farrier-leaf"
listen: "127.0.0.1:${CPORT[leaf]}"
http: "127.0.0.1:${MPORT[leaf]}"
leafnodes {
  remotes: [ { url: "nats-leaf://127.0.0.1:$leaf_listen" } ]
}
EOF
  cat >"$WORK/gwa.conf" <<EOF
server_name: "farrier-gw-east"
listen: "127.0.0.1:${CPORT[gwa]}"
http: "127.0.0.1:${MPORT[gwa]}"
gateway {
  name: "east"
  listen: "127.0.0.1:$gw_a"
  gateways: [ { name: "west", url: "nats://127.0.0.1:$gw_b" } ]
}
EOF
  cat >"$WORK/gwb.conf" <<EOF
server_name: "farrier-gw-west"
listen: "127.0.0.1:${CPORT[gwb]}"
http: "127.0.0.1:${MPORT[gwb]}"
gateway {
  name: "west"
  listen: "127.0.0.1:$gw_b"
  gateways: [ { name: "east", url: "nats://127.0.0.1:$gw_a" } ]
}
EOF
  start_server hub
  start_server leaf
  start_server gwa
  start_server gwb
  wait_for hub /leafz '.leafnodes == 1' "the leaf to connect to the hub"
  wait_for leaf /leafz '.leafnodes == 1' "the leaf's remote to be up"
  wait_for gwa /gatewayz '(.outbound_gateways.west != null) and (.inbound_gateways.west | length) > 0' \
    "east<->west gateway"
  wait_for gwb /gatewayz '(.outbound_gateways.east != null) and (.inbound_gateways.east | length) > 0' \
    "west<->east gateway"

  # Leaf side: 2 clients with 3 subscriptions each, visible to the hub through the leaf link.
  bg leaf-idle "$NATSKIT" idle-conns --url "nats://127.0.0.1:${CPORT[leaf]}" --count 2 --subs 3 \
    --name-prefix leafclient --subject-prefix leafsub
  wait_ready leaf-idle "$LAST_PID"
  wait_for hub '/leafz?subs=1' '[.leafs[0].subscriptions_list[]? | select(startswith("leafsub."))] | length == 6' "leaf subscriptions at the hub"
  run hub-pub "$NATSKIT" pub --url "nats://127.0.0.1:${CPORT[hub]}" --subject leafsub.0.0 \
    --count 10 --name hub-pub
  # West: a subscriber; east publishes both to it and to a subject nobody in west wants.
  bg west-idle "$NATSKIT" idle-conns --url "nats://127.0.0.1:${CPORT[gwb]}" --count 1 --subs 2 \
    --name-prefix westclient --subject-prefix gwsub
  wait_ready west-idle "$LAST_PID"
  run east-pub "$NATSKIT" pub --url "nats://127.0.0.1:${CPORT[gwa]}" --subject gwsub.0.0 \
    --count 10 --name east-pub
  run east-pub-none "$NATSKIT" pub --url "nats://127.0.0.1:${CPORT[gwa]}" --subject gw.nobody \
    --count 5 --name east-pub-nobody
  sleep 0.3  # let west's "no interest" reply reach east

  capture hub /leafz leafz-hub.json
  capture hub '/leafz?subs=1' leafz-hub-subs.json
  capture leaf /leafz leafz-leaf.json
  capture gwa /gatewayz gatewayz.json
  capture gwa '/gatewayz?accs=1' gatewayz-accs.json
  capture gwb /gatewayz gatewayz-west.json

  expect leafz-hub.json '.leafnodes == 1 and (.leafs | length) == 1' "one leaf connection"
  expect leafz-leaf.json '.leafnodes == 1' "one remote"
  expect gatewayz.json '.name == "east" and .outbound_gateways.west != null' "east->west outbound"
  expect gatewayz-accs.json '.outbound_gateways.west.accounts | length >= 1' "per-account gateway info"
  end_scenario
}

# ---------------------------------------------------------------------------------------------
# Scenario 4: service-latency events. Account SVC exports api.echo with latency tracking
# (100 % sampling, results on latency.echo, response threshold 1 s); account CLIENT imports it.
# Each step provokes one outcome and saves the first event with that status that follows it.

LATENCY_TYPE=io.nats.server.metric.v1.service_latency

# latency_mark: the number of lines the latency subscriber has printed so far.
latency_mark() { wc -l <"$WORK/latency-sub.out"; }

# save_latency_event MARK STATUS FILE [TIMEOUT_S]: waits for an event with .status == STATUS
# printed after line MARK of the subscriber's output and saves that line (the message payload,
# one line of JSON as the server published it, plus a newline) as FILE.
save_latency_event() {
  local mark=$1 status=$2 file=$3 timeout=${4:-10} i line
  for ((i = 0; i < timeout * 10; i++)); do
    # `read` skips a last line that is still being written (no newline yet).
    line=$(tail -n +"$((mark + 1))" "$WORK/latency-sub.out" | while IFS= read -r l; do
      if jq -e --argjson s "$status" '.status == $s' <<<"$l" >/dev/null 2>&1; then
        printf '%s\n' "$l"
        break
      fi
    done)
    if [[ -n $line ]]; then
      printf '%s\n' "$line" >"$STAGE/$file"
      return 0
    fi
    sleep 0.1
  done
  die "no service-latency event with status $status within ${timeout}s (see $WORK/latency-sub.out)"
}

scenario_latency() {
  log "scenario: service latency"
  local ports mark svc_pass client_pass
  mapfile -t ports < <(free_ports 2)
  CPORT[latency]=${ports[0]}
  MPORT[latency]=${ports[1]}
  # Throw-away passwords; they live only in the temp dir's config and the processes' argv.
  svc_pass=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  client_pass=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  cat >"$WORK/latency.conf" <<CONF
server_name: "farrier-latency"
listen: "127.0.0.1:${CPORT[latency]}"
http: "127.0.0.1:${MPORT[latency]}"
accounts {
  SVC {
    users: [ { user: svc, password: "$svc_pass" } ]
    exports: [
      { service: "api.echo", response_threshold: "1s",
        latency: { sampling: 100, subject: "latency.echo" } }
    ]
  }
  CLIENT {
    users: [ { user: client, password: "$client_pass" } ]
    imports: [ { service: { account: SVC, subject: "api.echo" } } ]
  }
}
CONF
  start_server latency
  local svc_url=nats://svc:$svc_pass@127.0.0.1:${CPORT[latency]}
  local client_url=nats://client:$client_pass@127.0.0.1:${CPORT[latency]}
  # One request: --rate 10 for 100ms sends exactly one (at t=0).
  local one=(--subject api.echo --rate 10 --duration 100ms)

  bg latency-sub "$NATSKIT" sub --url "$svc_url" --subject latency.echo --name latency-sub
  wait_ready latency-sub "$LAST_PID"

  # 200: a worker that answers after 20 ms.
  bg latency-worker-fast "$SAMPLE_WORKER" --url "$svc_url" --subject api.echo --queue workers \
    --concurrency 1 --service-time 20ms --name worker-20ms
  local fast=$LAST_PID
  wait_ready latency-worker-fast "$fast"
  mark=$(latency_mark)
  run latency-load-200 "$LOADGEN" --url "$client_url" "${one[@]}" --timeout 1s --name loadgen
  save_latency_event "$mark" 200 service-latency-200.json
  stop_pids "$fast"

  # 504: a worker that serves one request at a time for 300 ms and drops the rest. Of two
  # requests 50 ms apart the second is delivered but never answered; the server gives up on
  # it once the export's response threshold (1 s) has passed, at its next check (so after
  # 1-2 s). The requester waits 4 s, so its reply subscription outlives that.
  bg latency-worker-slow "$SAMPLE_WORKER" --url "$svc_url" --subject api.echo --queue workers \
    --concurrency 1 --service-time 300ms --overflow drop --name worker-300ms
  local slow=$LAST_PID
  wait_ready latency-worker-slow "$slow"
  mark=$(latency_mark)
  run latency-load-504 "$LOADGEN" --url "$client_url" --subject api.echo --rate 20 \
    --duration 100ms --timeout 4s --name loadgen
  save_latency_event "$mark" 504 service-latency-504.json

  # 408: the requester gives up after 50 ms (unsubscribes and disconnects) while the worker is
  # still serving the request.
  mark=$(latency_mark)
  run latency-load-408 "$LOADGEN" --url "$client_url" "${one[@]}" --timeout 50ms --name loadgen
  save_latency_event "$mark" 408 service-latency-408.json
  sleep 0.4  # let the worker finish, so it is idle again

  # 400: a plain publish (no reply subject) to the imported service.
  mark=$(latency_mark)
  run latency-pub-400 "$NATSKIT" pub --url "$client_url" --subject api.echo --count 1 \
    --name pub-no-reply
  save_latency_event "$mark" 400 service-latency-400.json
  stop_pids "$slow"

  # 503: nobody in SVC subscribes to api.echo.
  mark=$(latency_mark)
  run latency-load-503 "$LOADGEN" --url "$client_url" "${one[@]}" --timeout 300ms --name loadgen
  save_latency_event "$mark" 503 service-latency-503.json

  local f
  for f in 200 400 408 503 504; do
    expect "service-latency-$f.json" ".type == \"$LATENCY_TYPE\" and .status == $f" \
      "a $LATENCY_TYPE event with status $f"
    expect "service-latency-$f.json" '.requestor.acc == "CLIENT" and .requestor.rtt > 0' \
      "the requestor's account and RTT"
  done
  expect service-latency-200.json '.responder.acc == "SVC" and .responder.name == "worker-20ms"
      and .service + .responder.rtt >= 20000000 and .service < 200000000
      and .total == .requestor.rtt + .responder.rtt + .service + .system' \
    "a 20 ms service time and total = both RTTs + service + system"
  for f in 400 408 503 504; do
    expect "service-latency-$f.json" '.responder == null and .service == 0 and .system == 0
        and .total == 0 and (.description | length) > 0' "no responder, zero latencies"
  done
  # Across the import the requester never sees a no-responders (503) status: it times out.
  jq -e '.sent == 1 and .timeouts == 1 and .no_responders == 0' "$WORK/latency-load-503.out" \
    >/dev/null || die "loadgen against no responders: $(cat "$WORK/latency-load-503.out")"
  end_scenario
}

# ---------------------------------------------------------------------------------------------

derive_broken() {
  local varz=$STAGE/varz.json size
  size=$(wc -c <"$varz")
  head -c $((size / 2)) "$varz" >"$STAGE/truncated-varz.json"
  : >"$STAGE/empty.json"
  jq '.connections = "many"' "$varz" >"$STAGE/wrong-type-varz.json"
  ! jq empty "$STAGE/truncated-varz.json" 2>/dev/null || die "truncated-varz.json still parses"
  ! jq empty "$STAGE/garbage.txt" 2>/dev/null || die "garbage.txt parses as JSON"
  [[ $(jq -r '.connections | type' "$STAGE/wrong-type-varz.json") == string ]] ||
    die "wrong-type-varz.json has no string connections"
}

write_readme() {
  local now
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  cat >"$STAGE/README.md" <<EOF
# nats-server $VERSION monitoring fixtures

Captured from **real** \`nats-server v$VERSION\` processes by \`scripts/capture-fixtures.sh\`
(last run: $now). Nothing here is hand-written; the only edited files are the three
deliberately broken ones derived from a real capture (see the end). Bodies are saved byte-for-byte as served by curl
(the server pretty-prints with 2-space indentation). Re-run the script to refresh them; it
starts servers on ephemeral 127.0.0.1 ports with temp store dirs and stops them by PID.

Every server config sets \`server_name\` and, where JetStream is on,
\`max_memory_store: 268435456\` (256 MiB) and \`max_file_store: 1073741824\` (1 GiB) so the
JetStream limits do not depend on the capturing machine. Server IDs, ports, timestamps, uptimes
and memory figures naturally differ on every run.

## Single server (\`server_name: farrier-single\`, \`-js\` with a temp store dir)

State at capture time, created in this order with \`natskit\` (tests/tools):

1. \`natskit idle-conns --count 5 --subs 2 --name-prefix idle\` - 5 raw-TCP clients named
   \`idle-0\`..\`idle-4\` (\`lang: natskit\`, \`version: 0\`), each subscribed to
   \`idle.<i>.0\` and \`idle.<i>.1\`.
2. \`natskit qsub --subject svc.echo --queue workers --count 3 --name svc-workers\` - one cnats
   connection with 3 queue subscriptions (queue group \`workers\`).
3. \`natskit js-setup --stream ORDERS --subjects 'orders.>' --storage file --publish 50
   --consumer PROCESSOR --fetch 10 --ack 3 --ephemeral 1 --name orders-setup\` - file stream
   ORDERS with 50 messages on \`orders.msg\`; durable pull consumer PROCESSOR (AckExplicit)
   that fetched 10 and acked the first 3, so **num_pending 40, num_ack_pending 7, ack_floor 3**;
   plus one ephemeral push consumer (no durable name) which received all 50 unacked
   (num_ack_pending 50). This process stays connected (holding the ephemeral).
4. \`natskit js-setup --stream EVENTS --subjects 'events.>,audit.*' --storage memory
   --publish 20 --publish-subject audit.login --name events-setup\` - memory stream, no
   consumers; the client disconnected (shows up in \`connz-closed.json\`).
5. \`natskit pub --subject idle.0.0 --count 10\` (delivered to \`idle-0\`),
   \`natskit pub --subject nobody.listens --count 5 --size 128\` (no subscribers) and
   \`natskit pub --subject svc.echo --count 6\` (spread over the \`workers\` queue group, no reply
   subject); all three disconnected afterwards (see \`connz-closed.json\`).
6. A 1 s pause (so uptimes are not all "0s"), then the captures below.

So there are 7 open client connections (5 idle + svc-workers + orders-setup) and the JetStream
internal clients do not appear in connz.

| File | Request |
|---|---|
EOF
  local f
  for f in $(printf '%s\n' "${!CAPTURED[@]}" | sort); do
    [[ ${CAPTURED[$f]} == single* ]] || continue
    printf '| `%s` | `GET %s` |\n' "$f" "${CAPTURED[$f]#single }" >>"$STAGE/README.md"
  done
  cat >>"$STAGE/README.md" <<EOF
| \`garbage.txt\` | \`GET /\` - the HTML index page the monitor port serves (200, text/html) |
| \`not-found.txt\` | \`GET /metrics\` - the 404 body (\`404 page not found\`, text/plain) |

## 3-node cluster (\`farrier-n1\`..\`farrier-n3\`, cluster \`farrier-c3\`)

Three servers with explicit routes to each other on loopback, JetStream on each (own store
dir). The script waited for 2 routes per node, a JetStream meta leader on every node and
\`/healthz\` ok, then ran (against farrier-n1's client port):

\`natskit js-setup --stream JOBS --subjects 'jobs.>' --storage memory --replicas 3 --publish 50
--consumer WORKERS --fetch 10 --ack 0 --name jobs-setup\`

i.e. an R3 memory stream JOBS with 50 messages and an R3 durable pull consumer WORKERS with 10
delivered and none acked. jsz was captured from all three nodes immediately afterwards (first),
then varz and routez.

Leaders at capture time: **JetStream meta leader \`$META_LEADER\`**, **stream JOBS leader
\`$STREAM_LEADER\`**, **consumer WORKERS leader \`$CONSUMER_LEADER\`**.

Consumer WORKERS as each node reports it (followers may lag the leader or report differently):

| File | cluster.leader | delivered.stream_seq | ack_floor.stream_seq | num_pending | num_ack_pending | num_waiting |
|---|---|---|---|---|---|---|
$CLUSTER_NODE_STATE
| File | Request |
|---|---|
EOF
  for f in $(printf '%s\n' "${!CAPTURED[@]}" | sort); do
    [[ ${CAPTURED[$f]} == node* ]] || continue
    printf '| `%s` | `GET %s` on farrier-n%s |\n' "$f" "${CAPTURED[$f]#node? }" \
      "${CAPTURED[$f]:4:1}" >>"$STAGE/README.md"
  done
  cat >>"$STAGE/README.md" <<EOF

## Leafnode pair and gateway pair

- \`farrier-hub\` listens for leafnodes on loopback; \`farrier-leaf\` has one remote
  \`nats-leaf://127.0.0.1:<hub leaf port>\`. On the leaf,
  \`natskit idle-conns --count 2 --subs 3 --name-prefix leafclient --subject-prefix leafsub\`
  holds 6 subscriptions (propagated to the hub over the leaf connection); then
  \`natskit pub --subject leafsub.0.0 --count 10\` ran on the hub (crosses the leaf link).
- \`farrier-gw-east\` (gateway \`east\`) and \`farrier-gw-west\` (gateway \`west\`) point at each
  other's gateway port. On west, \`natskit idle-conns --count 1 --subs 2 --subject-prefix gwsub\`
  subscribes to \`gwsub.0.0\`/\`gwsub.0.1\`; on east, \`natskit pub --subject gwsub.0.0 --count 10\`
  (delivered across the gateway) and \`natskit pub --subject gw.nobody --count 5\` (nobody in
  west is interested). On 2.9.10 both accounts (\`\$G\`, \`\$SYS\`) already report
  \`"interest_mode": "Interest-Only"\` in \`gatewayz-accs.json\`, so there is no optimistic-mode
  "no interest" list to see.

| File | Request |
|---|---|
EOF
  local srv
  for f in $(printf '%s\n' "${!CAPTURED[@]}" | sort); do
    srv=${CAPTURED[$f]%% *}
    case $srv in
      hub) srv=farrier-hub ;; leaf) srv=farrier-leaf ;; gwa) srv=farrier-gw-east ;;
      gwb) srv=farrier-gw-west ;; *) continue ;;
    esac
    printf '| `%s` | `GET %s` on %s |\n' "$f" "${CAPTURED[$f]#* }" "$srv" >>"$STAGE/README.md"
  done
  cat >>"$STAGE/README.md" <<'EOF'

## Service-latency events (`farrier-latency`)

Not monitoring bodies but NATS messages: the `io.nats.server.metric.v1.service_latency` events
the server publishes when a service export has latency tracking. Each file is one message
payload as published (one line of compact JSON) plus a newline, printed by
`natskit sub --subject latency.echo` running as a user of the exporting account.

Server config (users with throw-away passwords generated per run):

```
accounts {
  SVC {                       # user svc
    exports: [ { service: "api.echo", response_threshold: "1s",
                 latency: { sampling: 100, subject: "latency.echo" } } ]
  }
  CLIENT {                    # user client
    imports: [ { service: { account: SVC, subject: "api.echo" } } ]
  }
}
```

Requests come from `farrier-loadgen` in CLIENT; responders are `farrier-sample-worker` in SVC
(queue group `workers`, `--concurrency 1`). Each step saved the first event with its status:

| File | Status, `description` | Provoked by |
|---|---|---|
| `service-latency-200.json` | 200, none | one request, worker `worker-20ms` (`--service-time 20ms`) answers |
| `service-latency-504.json` | 504 `Service Timeout` | worker `worker-300ms` (`--service-time 300ms --overflow drop`); two requests 50 ms apart, the second is delivered but dropped; the server gives up once the export's `response_threshold` (1 s) has passed, at its next check, so 1-2 s after the request (the default threshold is 2 min) |
| `service-latency-408.json` | 408 `Request Timeout` | one request to `worker-300ms` whose requester gives up after 50 ms (unsubscribes, disconnects) before the answer: sent when the reply interest goes away |
| `service-latency-400.json` | 400 `Bad Request` | `natskit pub --subject api.echo` in CLIENT (no reply subject) |
| `service-latency-503.json` | 503 `Service Unavailable` | one request with no worker subscribed; sent at once. The requester does **not** get a no-responders status across the import: farrier-loadgen counts a timeout |

Shape (2.9.10):

- Envelope `type` (the constant above), `id`, `timestamp` (RFC 3339 UTC); then `status`
  (HTTP-like integer), `description` (only when not 200), `requestor`, `responder` (only on
  200), `start` (RFC 3339: the request's start, backdated by the requestor's RTT).
- `service`, `system`, `total` are integer **nanoseconds** (Go `time.Duration`), as are
  `requestor.rtt` and `responder.rtt`. On 200: `service` = time from forwarding the request
  to receiving the answer minus the responder's RTT (about the worker's 20 ms; the RTTs are
  the server's PING-based estimates), `system` = server-internal time (microseconds),
  `total` = `requestor.rtt + responder.rtt + service + system` exactly. All other statuses
  carry `service`, `system` and `total` = 0 and no `responder`.
- `requestor` holds only `acc` and `rtt` (per the server source, `share: true` on the import
  shares more; not captured); `responder` is the full client info (`acc`, `user`, `name`,
  `lang`, `ver`, `host`, `id`, `start`, `server`, `kind`, `client_type`, `rtt`).

## Deliberately broken files (parser error tests)

| File | Derived how |
|---|---|
| `garbage.txt` | real non-JSON body: the monitor port's HTML index (`GET /`) |
| `not-found.txt` | real 404 body for an unknown path |
| `truncated-varz.json` | first half (by bytes, `head -c $((size/2))`) of `varz.json` |
| `empty.json` | empty file (0 bytes) |
| `wrong-type-varz.json` | `jq '.connections = "many"' varz.json` (valid JSON, wrong type; jq re-indents) |

Every other `.json` file here parses (`jq empty`).

## Shapes worth knowing (nats-server 2.9.10)

Structural facts visible in these captures (the per-run numbers above change, these do not):

- **Units.** Integer nanoseconds: varz `ping_interval`, `write_deadline`; consumer `ack_wait`,
  `inactive_threshold`; stream `max_age`, `duplicate_window`; cluster replica `active`.
  Plain seconds (number): varz `auth_timeout`, `tls_timeout`. Go duration *strings*:
  `uptime`, `idle`, `rtt` (`"1s"`, `"2.539236ms"`, `"340µs"` with U+00B5 MICRO SIGN;
  gateway `rtt` can be `"0s"`). Timestamps are RFC 3339 UTC with 0-9 fractional digits
  (trailing zeros dropped).
- **UINT64_MAX.** `jsz` `account_details[].reserved_memory` / `reserved_storage` are
  `18446744073709551615` (unlimited). That does not fit int64 and double-based tools mangle
  it (jq prints `18446744073709552000`); nlohmann::json reads it as uint64. The same objects
  carry `"accounts": 0`.
- **Optional envelope.** Plain `/subsz` has no `server_id`/`now`; `/subsz?subs=1&...` does.
- **Empty collections differ by endpoint.** No leafnodes: `"leafs": null`; no routes:
  `"routes": []`; no gateways: `/gatewayz` has only `server_id`, `now` and empty
  `outbound_gateways`/`inbound_gateways` objects (no `name`/`host`/`port`).
- **Subscription fields.** `subscriptions` is always the count; `?subs=1` adds
  `subscriptions_list` (subjects), `?subs=detail` adds `subscriptions_list_detail` (objects
  with `subject`, `sid`, `msgs`, `cid`; `/subsz` entries also have `account` and, for queue
  subs, `qgroup`). In routez details the `sid` is `"<account> <subject>"` and there is no
  account field. Leaf `subscriptions` counts include internal `$SYS.*`/`$LDS.*` interest.
- **Names.** routez entries carry only `remote_id` (no peer server name); leafz entries have
  no remote server name either; connz uses `pending_bytes`, routez `pending_size`. connz
  entries have `kind` (`"Client"`) and `type` (`"nats"`); gateway connections have
  `kind: "Gateway"` and the remote server ID as `name`.
- **JetStream, single server.** Stream `cluster` is just `{"leader": "<server_name>"}`;
  consumers have **no** `cluster` key; `/varz` `jetstream` has no `meta`; `/jsz` has no
  `meta_cluster`.
- **JetStream, clustered.** Stream and consumer `cluster` = `{name, leader, replicas[]}` with
  `leader` = the leader's `server_name`; `replicas` lists the *other* peers as seen from the
  reporting node (on a follower it includes the leader), each `{name, current, active, peer}`
  plus `lag` in followers' views. `meta_cluster` (and varz `jetstream.meta`) has `replicas`
  only on the meta leader. Every node reports every R3 stream/consumer, but only the consumer
  leader's numbers are current (in the captured runs followers showed delivered 0 /
  num_pending 50 / num_ack_pending 0, see the table above). An exporter must pick the
  leader's view (or de-duplicate) to avoid counting a consumer three times.
- **Consumer config.** Durables have `durable_name` (pull ones also `max_waiting: 512`);
  the ephemeral has **no** `durable_name`, a random 8-character `name`, `deliver_subject`,
  `filter_subject` and the default `inactive_threshold` of 5 s, plus top-level
  `"push_bound": true`. `num_replicas: 0` means "same as the stream". `ack_floor.last_active`
  is absent until something was acked.
- **Gateways.** `?accs=1` adds `accounts[]` with `interest_mode` and
  `interest_only_threshold`; outbound entries also have `num_subs`, inbound ones do not.
  `inbound_gateways` maps a gateway name to an array, `outbound_gateways` to a single object.
- **Escaping.** Go's encoder writes `>`, `<`, `&` as `\u003e`, `\u003c`, `\u0026`, so the raw
  bytes say `"orders.\u003e"` (stream subjects, `filter_subject`, route subscription
  subjects). Any JSON parser decodes them; byte/grep comparisons against `orders.>` fail.
- **Numbers.** varz `cpu` is a float percentage that often looks like an integer (`2`);
  `subsz` `cache_hit_rate`/`avg_fanout` are floats.
- **Non-JSON.** `/healthz` has no trailing newline; the 404 body is `404 page not found\n`.
EOF
}

install_fixtures() {
  local f
  for f in "$STAGE"/*.json; do
    case ${f##*/} in truncated-varz.json | empty.json) continue ;; esac
    jq empty "$f" 2>/dev/null || die "${f##*/} does not parse"
  done
  mkdir -p "$OUT"
  rm -f "$OUT"/*.json "$OUT"/*.txt "$OUT"/README.md
  cp "$STAGE"/* "$OUT"/
  log "wrote $(find "$STAGE" -type f | wc -l) files to ${OUT#"$ROOT"/}"
}

build_natskit
build_samples
log "nats-server $VERSION ($(command -v "$NATS_SERVER")), natskit $NATSKIT"
scenario_single
scenario_cluster
scenario_leaf_gateway
scenario_latency
derive_broken
write_readme
install_fixtures
log "done"
