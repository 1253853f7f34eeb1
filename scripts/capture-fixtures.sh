#!/usr/bin/env bash
# shellcheck disable=SC2016  # $G, $SYS, $JS.API..., jq programs and Markdown backquotes in single quotes are literal
# Captures real nats-server monitoring JSON into tests/fixtures/nats-<version>/.
#
# Starts real nats-servers on ephemeral loopback ports (temp dirs), builds realistic state with
# natskit (idle connections, queue subscribers, JetStream streams/consumers, a 3-node JetStream
# cluster, a leafnode pair, a gateway pair), captures the monitoring endpoints with curl, checks
# that the captured state is what the fixtures promise, and writes a README describing it all.
# A further scenario captures service-latency events (io.nats.server.metric.v1.service_latency)
# from a two-account server with farrier-sample-worker and farrier-loadgen (exporter/samples);
# the last ones put a server into lame duck mode (/healthz not ready) and serve every listener
# with a TLS certificate of known expiry, and one shows mirror/source lag, consumer activity
# and an account's JetStream limits (scripts/capture/*.sh).
# Every capture's HTTP status goes to status-codes.json; observations that are not bodies (the
# requester's view of a request, certificate dates) to capture-facts.json. Expectations follow
# the server version where nats-server changed behaviour (version_ge). Works with 2.9.10 to
# 2.15.x. Every process it starts is stopped by PID on exit. Re-runnable: the fixture directory
# is replaced only after a complete, validated capture; tests/fixtures/VERSIONS.md is then
# regenerated from all fixture directories (scripts/fixture-versions.sh).
#
#   scripts/capture-fixtures.sh [VERSION]
# VERSION (e.g. 2.12.15) is one of tests/nats-versions.txt, provided by scripts/nats-servers.sh
# (run first; instant when cached); without it, NATS_SERVER or the nats-server on PATH.
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
if (($# > 1)); then
  echo "usage: scripts/capture-fixtures.sh [VERSION]" >&2
  exit 2
elif (($# == 1)); then
  "$ROOT/scripts/nats-servers.sh" >&2
  NATS_SERVER=$(awk -v v="$1" '$1 == v {print $2}' "${TOOLS_DIR:-$ROOT/build/tools}/nats-servers.txt")
  [[ -n $NATS_SERVER ]] || {
    echo "capture-fixtures: $1 is not a version of tests/nats-versions.txt" >&2
    exit 2
  }
fi
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
declare -A NODE_PID  # cluster node number -> nats-server PID
declare -A CAPTURED # fixture file -> "<server label> <request path>"
declare -A STATUS_OF # fixture file -> HTTP status code of its capture
declare -A SERVER_NAME # server label -> server_name in its config
: >"$WORK/facts.tsv"   # capture-facts.json, one "key<TAB>JSON value" per line

log() { printf '[capture %3ds] %s\n' $((SECONDS - T0)) "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# version_ge V: true when the server under capture is version V or newer.
version_ge() { [[ $(printf '%s\n' "$1" "$VERSION" | sort -V | head -n1) == "$1" ]]; }

# fact KEY JSON: records an observation for capture-facts.json.
fact() { printf '%s\t%s\n' "$1" "$(jq -c . <<<"$2")" >>"$WORK/facts.tsv"; }

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

# new_server LABEL SERVER_NAME: picks a client and a monitoring port for a standalone server
# and starts $WORK/LABEL.conf with server_name, listen and http; the caller appends the rest.
new_server() {
  local ports
  mapfile -t ports < <(free_ports 2)
  CPORT[$1]=${ports[0]} MPORT[$1]=${ports[1]}
  printf 'server_name: "%s"\nlisten: "127.0.0.1:%s"\nhttp: "127.0.0.1:%s"\n' \
    "$2" "${CPORT[$1]}" "${MPORT[$1]}" >"$WORK/$1.conf"
}

# start_server LABEL: starts nats-server with $WORK/LABEL.conf, waits until /healthz answers.
start_server() {
  local label=$1
  SERVER_NAME[$label]=$(sed -n 's/^server_name: "\(.*\)"$/\1/p' "$WORK/$label.conf")
  bg "$label" "$NATS_SERVER" -c "$WORK/$label.conf" -l "$WORK/$label.log"
  local pid=$LAST_PID i
  for ((i = 0; i < 100; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$WORK/$label.log" "$WORK/$label.err" >&2 || true
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

# http_get LABEL PATH OUT: GETs a monitoring endpoint, body to OUT; prints the HTTP status.
http_get() {
  curl -sS --max-time 5 -o "$3" -w '%{http_code}' "http://127.0.0.1:${MPORT[$1]}$2"
}

# wait_status LABEL PATH REGEX WHAT [TIMEOUT_S]: polls until the HTTP status matches REGEX.
wait_status() {
  local label=$1 path=$2 want=$3 what=$4 timeout=${5:-20} i code
  for ((i = 0; i < timeout * 10; i++)); do
    code=$(http_get "$label" "$path" /dev/null 2>/dev/null) || code=000
    [[ $code =~ ^($want)$ ]] && return 0
    sleep 0.1
  done
  die "timed out after ${timeout}s waiting for $what ($label $path: HTTP $code, want $want)"
}

# record FILE LABEL PATH STATUS: notes a saved capture for the README and status-codes.json.
record() {
  CAPTURED[$1]="$2 $3"
  STATUS_OF[$1]=$4
}

# capture LABEL PATH FILE [STATUS]: saves the endpoint's body byte-for-byte; the HTTP status
# must be STATUS (default 200; "any" accepts every status); a .json FILE must parse.
capture() {
  local label=$1 path=$2 file=$3 want=${4:-200} code
  code=$(http_get "$label" "$path" "$STAGE/$file") || die "capture of $label $path failed"
  [[ $want == any || $code == "$want" ]] ||
    die "$file ($label $path): HTTP $code, expected $want: $(head -c 300 "$STAGE/$file")"
  if [[ $file == *.json ]] && ! { [[ -s $STAGE/$file ]] && jq empty "$STAGE/$file" 2>/dev/null; }; then
    die "$file ($label $path) is not valid JSON (HTTP $code)"
  fi
  record "$file" "$label" "$path" "$code"
}

# capture_any LABEL PATH BASE: for an endpoint a version may lack: saves BASE.json when the body
# is JSON, BASE.txt otherwise (e.g. "404 page not found"), whatever the status; sets
# CAPTURED_FILE to the name used.
capture_any() {
  local label=$1 path=$2 base=$3 code body=$WORK/capture-any.body
  code=$(http_get "$label" "$path" "$body") || die "capture of $label $path failed"
  CAPTURED_FILE=$base.txt
  [[ -s $body ]] && jq empty "$body" 2>/dev/null && CAPTURED_FILE=$base.json
  mv "$body" "$STAGE/$CAPTURED_FILE"
  record "$CAPTURED_FILE" "$label" "$path" "$code"
}

# status FILE: the HTTP status its capture answered.
status() { echo "${STATUS_OF[$1]}"; }

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
  # What farrier asks between two answers with config (--jsz.config-refresh), same state.
  capture single '/jsz?accounts=true&streams=true&consumers=true&config=false' jsz-light.json
  capture single /accstatz accstatz.json
  capture single '/accstatz?unused=true' accstatz-unused.json
  capture single /routez routez.json
  capture single /leafz leafz-none.json
  capture single /gatewayz gatewayz-none.json
  # Non-JSON bodies the real server serves: the HTML index at "/" and the 404 for unknown paths.
  capture single / garbage.txt
  capture single /metrics not-found.txt 404
  # Newer endpoints and options; a version without them answers 404 or ignores the option.
  capture single '/healthz?details=true' healthz-details.json
  capture single /accountz accountz.json
  capture single '/accountz?acc=$G' accountz-global.json
  capture single '/subsz?subs=1&limit=1&test=svc.echo' subsz-test-limit1.json
  capture single '/subsz?subs=1&limit=2' subsz-subs-limit2.json
  capture_any single /raftz raftz-single
  RAFTZ_SINGLE_FILE=$CAPTURED_FILE

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
  expect jsz-light.json '[.account_details[].stream_detail[] | select(has("config"))] | length == 0' \
    "streams without config"
  expect jsz-light.json '[.account_details[].stream_detail[].consumer_detail[]? | select(has("config"))]
      | length == 0' "consumers without config"
  local consumers_of='[.account_details[].stream_detail[].consumer_detail[]? | [.stream_name, .name, .created]] | sort'
  [[ $(jq -c "$consumers_of" "$STAGE/jsz-light.json") == "$(jq -c "$consumers_of" "$STAGE/jsz-full.json")" ]] ||
    die "jsz-light.json: expected the consumers of jsz-full.json, created at the same times"
  expect routez.json '.num_routes == 0' "no routes"
  expect healthz-details.json '.status == "ok" and (.errors // []) == []' "a healthy server"
  expect subsz-test-limit1.json '(.subscriptions_list | length) == 1' "a 1-item page of svc.echo matches"
  expect subsz-subs-limit2.json '(.subscriptions_list | length) == 2' "a 2-item page"
  # 2.11.6/2.12.0: total counts every match before paging (it was the page length).
  if version_ge 2.11.6; then
    expect subsz-test-limit1.json '.total == 3' "total 3: the matches before paging"
  else
    expect subsz-test-limit1.json '.total == 1' "total 1: the page length"
  fi
  expect accountz-global.json '.account_detail.account_name == "$G"' "the global account"
  # No raft groups without a cluster: 404 from the mux (2.9) or from /raftz itself (2.10.17+).
  [[ $(status "$RAFTZ_SINGLE_FILE") == 404 ]] ||
    die "/raftz on a single server: expected 404, got $(status "$RAFTZ_SINGLE_FILE")"

  consumer_pause_and_priority
  end_scenario
}

# api_request LABEL SUBJECT DATA FILE: a JetStream API request on the single server. The
# reply (one line of JSON) is saved as FILE; a request without a reply (older servers do not
# answer API subjects they lack: a timeout) is recorded in capture-facts.json as
# "request_<LABEL>" instead, and FILE is not written. Returns 1 then.
api_request() {
  local label=$1 subject=$2 data=$3 file=$4
  if timeout 30 "$NATSKIT" request --url "nats://127.0.0.1:${CPORT[single]}" --name "$label" \
    --timeout 2000 --subject "$subject" --data "$data" \
    >"$WORK/single-$label.out" 2>"$WORK/single-$label.err"; then
    jq empty "$WORK/single-$label.out" 2>/dev/null || die "$subject: reply is not JSON"
    cp "$WORK/single-$label.out" "$STAGE/$file"
    record "$file" single "request $subject" -
    fact "request_$label" '"replied"'
    return 0
  fi
  fact "request_$label" "$(sed -n '1s/.*: /no reply: /p' "$WORK/single-$label.err" | jq -R .)"
  return 1
}

# Pauses the durable PROCESSOR for an hour through the JetStream API (2.11+; older servers do
# not answer) and creates GROUPED, a pull consumer with a priority group (pinned client), then
# pulls one message for that group so a client is pinned. Runs after the single server's other
# captures, which therefore do not show any of it.
consumer_pause_and_priority() {
  local until paused=0 grouped=0
  until=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
  fact pause_until "\"$until\""
  api_request pause '$JS.API.CONSUMER.PAUSE.ORDERS.PROCESSOR' "{\"pause_until\":\"$until\"}" \
    consumer-pause-reply.json && paused=1
  api_request create-grouped '$JS.API.CONSUMER.CREATE.ORDERS.GROUPED' \
    '{"stream_name":"ORDERS","config":{"durable_name":"GROUPED","ack_policy":"explicit","priority_groups":["jobs"],"priority_policy":"pinned_client","priority_timeout":120000000000}}' \
    consumer-create-grouped-reply.json && grouped=1
  # One message for group "jobs" (the reply is that stream message; not kept).
  if ((grouped)) && jq -e '.error == null' "$STAGE/consumer-create-grouped-reply.json" >/dev/null; then
    run single-grouped-next "$NATSKIT" request --url "nats://127.0.0.1:${CPORT[single]}" \
      --name pull-grouped --subject '$JS.API.CONSUMER.MSG.NEXT.ORDERS.GROUPED' \
      --data '{"batch":1,"expires":2000000000,"group":"jobs"}'
  fi
  capture single '/jsz?accounts=true&streams=true&consumers=true&config=true' jsz-paused.json

  local processor='.account_details[].stream_detail[] | select(.name == "ORDERS")
      | .consumer_detail[]? | select(.name == "PROCESSOR")'
  if version_ge 2.11.0; then
    ((paused)) || die "no reply to the consumer pause request"
    expect consumer-pause-reply.json '.paused == true and .pause_remaining > 0' "a paused reply"
    expect jsz-paused.json "[$processor | select(.paused == true and .pause_remaining > 0
        and .config.pause_until == \"$until\")] | length == 1" "PROCESSOR paused for an hour"
    expect jsz-paused.json '[.account_details[].stream_detail[].consumer_detail[]?
        | select(.name == "GROUPED" and .config.priority_policy == "pinned_client"
                 and (.priority_groups[0].pinned_client_id | length) > 0)] | length == 1' \
      "GROUPED with its priority group and a pinned client"
  else
    ((paused == 0)) || die "a reply to the consumer pause request before 2.11"
    expect jsz-paused.json "[$processor | select(has(\"paused\") | not)] | length == 1" \
      "PROCESSOR without pause fields"
  fi
}

# ---------------------------------------------------------------------------------------------
# Scenario 2: 3-node JetStream cluster with an R3 stream and R3 durable pull consumer.

scenario_cluster() {
  log "scenario: 3-node cluster"
  local ports i j leaf_listen
  mapfile -t ports < <(free_ports 10)
  for i in 1 2 3; do
    CPORT[node$i]=${ports[i - 1]}
    MPORT[node$i]=${ports[i + 2]}
    ROUTE_PORT[$i]=${ports[i + 5]}
  done
  leaf_listen=${ports[9]}
  for i in 1 2 3; do
    local routes="" leafnodes=""
    # Node 1 also takes leafnode connections (cluster_leaf below attaches one).
    ((i == 1)) && leafnodes="leafnodes { listen: \"127.0.0.1:$leaf_listen\" }"
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
$leafnodes
EOF
  done
  for i in 1 2 3; do
    start_server "node$i"
    NODE_PID[$i]=$LAST_PID
  done
  # 2.10+ pools routes: cluster.pool_size (3) connections per peer plus one pinned to $SYS.
  local per_peer
  per_peer=$(curl -s --max-time 2 "http://127.0.0.1:${MPORT[node1]}/varz" |
    jq '(.cluster.pool_size // 0) as $p | if $p > 0 then $p + 1 else 1 end')
  ROUTES_EXPECTED=$((2 * per_peer))
  for i in 1 2 3; do
    # A route's RTT is measured by its first PING, about 1 s after it connects; until then
    # routez says "0s" (and Farrier renders no RTT).
    wait_for "node$i" /routez "([.routes[].remote_id] | unique | length) == 2
        and .num_routes == $ROUTES_EXPECTED and all(.routes[]; .rtt != \"0s\")" \
      "node$i fully routed ($ROUTES_EXPECTED routes, RTTs measured)"
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
    expect "cluster-node$i-routez.json" ".num_routes == $ROUTES_EXPECTED" "$ROUTES_EXPECTED routes"
    expect "cluster-node$i-varz.json" '.remotes == 2' "2 peers (varz remotes)"
    if version_ge 2.10.0; then
      expect "cluster-node$i-routez.json" '([.routes[].remote_name] | unique | length) == 2
          and ([.routes[] | select(.account == "$SYS")] | length) == 2' \
        "2 peers by remote_name, one \$SYS-pinned route each"
    fi
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

  cluster_raft
  cluster_leaf "$leaf_listen"
  cluster_no_meta_leader
  end_scenario
}

# /raftz (2.10.17+; 404 before) in its three forms, and /jsz with raft group names.
cluster_raft() {
  local i group
  for i in 1 2 3; do capture_any "node$i" /raftz "cluster-node$i-raftz"; done
  capture_any node1 '/raftz?acc=$G' cluster-node1-raftz-acc
  local acc_file=$CAPTURED_FILE
  capture_any node1 '/raftz?group=_meta_' cluster-node1-raftz-meta
  group=S-unknown
  if [[ $acc_file == *.json ]]; then
    group=$(jq -r '.["$G"] | keys[] | select(startswith("S-"))' "$STAGE/$acc_file" | head -n1)
  fi
  capture_any node1 "/raftz?acc=\$G&group=$group" cluster-node1-raftz-group
  capture node1 '/jsz?accounts=true&streams=true&consumers=true&raft=true' \
    cluster-node1-jsz-raft.json
  capture node1 '/healthz?details=true' cluster-node1-healthz-details.json
  if version_ge 2.10.17; then
    for i in 1 2 3; do
      expect "cluster-node$i-raftz.json" '.["$SYS"]._meta_.leader != null' "the meta group"
    done
    expect "$acc_file" '[.["$G"] | keys[] | select(startswith("S-") or startswith("C-"))]
        | length == 2' "JOBS' and WORKERS' groups"
    expect cluster-node1-raftz-group.json "(.[\"\$G\"] | keys) == [\"$group\"]" "one group"
  else
    for f in cluster-node1-raftz.txt cluster-node1-raftz-acc.txt; do
      [[ $(status "$f") == 404 ]] || die "$f: expected a 404 before 2.10.17"
    done
  fi
}

# A leaf server attached to node 1, which has no clients: 2.11.5+ lists the leaf connection in
# /connz while /varz connections counts clients only.
cluster_leaf() {
  new_server cleaf farrier-c3-leaf
  cat >>"$WORK/cleaf.conf" <<EOF
leafnodes {
  remotes: [ { url: "nats-leaf://127.0.0.1:$1" } ]
}
EOF
  start_server cleaf
  CLEAF_PID=$LAST_PID
  wait_for node1 /leafz '.leafnodes == 1' "the leaf to connect to node 1"
  capture node1 /connz cluster-node1-leaf-connz.json
  capture node1 /varz cluster-node1-leaf-varz.json
  capture node1 /leafz cluster-node1-leafz.json
  expect cluster-node1-leaf-varz.json '.connections == 0 and .leafnodes == 1' \
    "no clients, one leaf (varz)"
  if version_ge 2.11.5; then
    expect cluster-node1-leaf-connz.json '.num_connections == 1 and .total == 1
        and .connections[0].kind == "Leafnode"' "the leaf listed in connz"
  else
    expect cluster-node1-leaf-connz.json '.num_connections == 0 and .total == 0' \
      "connz without the leaf"
  fi
}

# Nodes 2 and 3 stopped: node 1 alone has no JetStream meta leader. Its /jsz shows no leader
# at once or, when node 1 led the meta group, after it noticed the lost quorum (some seconds).
# /healthz fails (503) meanwhile, first about a stream or consumer that is not current (2.9).
cluster_no_meta_leader() {
  stop_pids "$CLEAF_PID"
  stop_pids "${NODE_PID[2]}" "${NODE_PID[3]}"
  local t=$SECONDS
  wait_for node1 /jsz '(.meta_cluster.leader // "") == ""' "node 1 to lose its meta leader" 60
  fact nometa_jsz_after_s "$((SECONDS - t))"
  wait_status node1 /healthz '5[0-9][0-9]' "node 1's healthz to fail without a meta leader" 30
  capture node1 /healthz cluster-node1-nometa-healthz.json any
  capture node1 '/healthz?details=true' cluster-node1-nometa-healthz-details.json any
  capture node1 /jsz cluster-node1-nometa-jsz.json any
  capture node1 /varz cluster-node1-nometa-varz.json
  capture_any node1 /raftz cluster-node1-nometa-raftz
  expect cluster-node1-nometa-healthz.json '.error | test("meta leader")' "no meta leader"
  [[ $(status cluster-node1-nometa-healthz.json) == 503 ]] || die "nometa healthz: not 503"
  expect cluster-node1-nometa-jsz.json '(.meta_cluster.leader // "") == ""' "no meta leader in jsz"
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
  # An outbound gateway's RTT is "0s" until its first PING is answered, some time after it
  # connects; nats_gateway_rtt_seconds needs a measured one.
  local gw_connected=$SECONDS
  wait_for gwa /gatewayz '.outbound_gateways.west.connection.rtt != "0s"' "east->west gateway RTT" 60
  log "east->west gateway RTT measured after $((SECONDS - gw_connected))s"

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
  expect gatewayz.json '.outbound_gateways.west.connection.rtt != "0s"' "a measured east->west RTT"
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
  # What the requester saw: up to 2.10.25 it timed out; 2.10.26 and 2.11.0 answer a message that
  # cannot be delivered through a service import with no-responders (nats-server ec536aef).
  fact latency_503_requester "$(jq -c '{sent, replies, timeouts, no_responders}' \
    "$WORK/latency-load-503.out")"
  local seen='.sent == 1 and .timeouts == 1 and .no_responders == 0'
  version_ge 2.10.26 && seen='.sent == 1 and .timeouts == 0 and .no_responders == 1'
  jq -e "$seen" "$WORK/latency-load-503.out" >/dev/null ||
    die "loadgen against no responders: $(cat "$WORK/latency-load-503.out"), expected $seen"
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

# status-codes.json: every HTTP capture's status (file -> code); capture-facts.json: what the
# script observed that is not a body (see the README).
write_status_and_facts() {
  local f
  for f in "${!STATUS_OF[@]}"; do
    [[ ${STATUS_OF[$f]} == - ]] || printf '%s\t%s\n' "$f" "${STATUS_OF[$f]}"
  done | jq -R 'split("\t") | {(.[0]): (.[1] | tonumber)}' | jq -s -S 'add' \
    >"$STAGE/status-codes.json"
  fact nats_server_version "\"$VERSION\""
  jq -R 'split("\t") | {(.[0]): (.[1] | fromjson)}' "$WORK/facts.tsv" | jq -s -S 'add' \
    >"$STAGE/capture-facts.json"
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
  if [[ $OUT == "$ROOT/tests/fixtures/nats-$VERSION" ]]; then
    local dirs
    mapfile -t dirs < <(find "$ROOT/tests/fixtures" -maxdepth 1 -name 'nats-*' -type d | sort -V)
    "$ROOT/scripts/fixture-versions.sh" all "${dirs[@]}" >"$ROOT/tests/fixtures/VERSIONS.md"
    log "updated tests/fixtures/VERSIONS.md (${#dirs[@]} versions)"
  fi
}

# shellcheck source=capture/lame-duck.sh
source "$ROOT/scripts/capture/lame-duck.sh"
# shellcheck source=capture/tls.sh
source "$ROOT/scripts/capture/tls.sh"
# shellcheck source=capture/js-health.sh
source "$ROOT/scripts/capture/js-health.sh"
# shellcheck source=capture/readme.sh
source "$ROOT/scripts/capture/readme.sh"

build_natskit
build_samples
log "nats-server $VERSION ($(command -v "$NATS_SERVER")), natskit $NATSKIT"
scenario_single
scenario_cluster
scenario_leaf_gateway
scenario_latency
scenario_lame_duck
scenario_tls
scenario_js_health
derive_broken
write_status_and_facts
write_readme
install_fixtures
log "done"
