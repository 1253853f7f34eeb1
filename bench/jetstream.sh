#!/usr/bin/env bash
# JetStream at scale: farrier (and, when given, the peers) against one nats-server holding
# S streams x C durable pull consumers with a backlog, for each server version asked for. Per
# tool: its CPU and the server's CPU per minute while scraped every --scrape-interval (gzip, as
# Prometheus asks), /metrics latency for one scraper and for two at once, RSS and peak, size and
# series of /metrics, and whether every consumer is exported with the server's value. See
# bench/README.md ("JetStream bench").
#
# With --cluster the same measurements run against a 3-node JetStream cluster (n1..n3, routes on
# loopback) holding the same assets at R3, each tool deployed as it is in a cluster: farrier and
# prometheus-nats-exporter one sidecar per node, nats-surveyor once for the cluster (over $SYS).
# CPU is summed over the tool's processes and over the 3 servers; a consumer counts as exported
# correctly when exactly one of the tool's series is its leader's, with the leader's num_pending.
#
# usage: bench/jetstream.sh [options]
#   --streams S          streams (default 1000)
#   --consumers C        durable consumers per stream (default 10)
#   --cluster            a 3-node JetStream cluster with R3 streams and consumers instead of one
#                        server (default: one server). R3 costs far more to set up and to keep
#                        than R1: on 2 cores use --streams 200 --consumers 10 --versions 2.15.3,
#                        or --streams 100 --consumers 10 for both default versions (see
#                        bench/README.md)
#   --backlog M          messages per stream, pending for every consumer (default 20)
#   --versions LIST      nats-server versions, comma-separated, from tests/nats-versions.txt
#                        (default: 2.9.10 and the newest listed)
#   --peers DIR          also run the peers found in DIR: prometheus-nats-exporter and/or
#                        nats-surveyor (bench/README.md says how they were built)
#   --build-peers        also run prometheus-nats-exporter built from the Go module proxy (pinned
#                        by bench/peers/go.mod), unless DIR has one; the proxy refuses
#                        nats-surveyor, so only --peers DIR adds it
#   --window SEC         CPU window per tool (default 60)
#   --scrape-interval S  scrape interval inside the window (default 15)
#   --requests R         timed /metrics requests per latency test (default 200, 20 s at most)
#   --build-dir DIR      CMake build directory (default <repo>/build)
#   --no-build           use the binaries in the build directory as they are
#   --out FILE           results file (default bench/results-jetstream-<YYYY-MM-DD>.md, with
#                        --cluster bench/results-jetstream-cluster-<YYYY-MM-DD>.md)
#   --time-limit SEC     abort (and clean up) after this long (default 2400)
#
# Needs root on a fresh Debian 12 for apt (only when something is missing). Every process it
# starts is stopped by PID on exit, also on failure or Ctrl-C.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

args=("$@")
streams=1000
consumers=10
backlog=20
versions=
peers_dir=
build_peers=0
window=60
scrape_interval=15
requests=200
build_dir=$REPO/build
do_build=1
out=
time_limit=2400
cluster=0
while (($#)); do
  case $1 in
    --streams) streams=$2; shift 2 ;;
    --consumers) consumers=$2; shift 2 ;;
    --cluster) cluster=1; shift ;;
    --backlog) backlog=$2; shift 2 ;;
    --versions) versions=$2; shift 2 ;;
    --peers) peers_dir=$2; shift 2 ;;
    --build-peers) build_peers=1; shift ;;
    --window) window=$2; shift 2 ;;
    --scrape-interval) scrape_interval=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --out) out=$2; shift 2 ;;
    --time-limit) time_limit=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "jetstream.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in streams consumers backlog window scrape_interval requests; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || { echo "jetstream.sh: --${v//_/-} takes a positive integer" >&2; exit 2; }
done
if ((cluster)); then
  out=${out:-$BENCH_DIR/results-jetstream-cluster-$(date +%F).md}
else
  out=${out:-$BENCH_DIR/results-jetstream-$(date +%F).md}
fi

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# shellcheck source=../scripts/lib.sh
source "$REPO/scripts/lib.sh"  # ensure_packages, free_port, wait_http, start_bg, stop, start_run_lifecycle
ensure_packages g++ nats-server curl procps gawk
# The cluster check reads each consumer's leader from /jsz.
((cluster == 0)) || ensure_packages jq

farrier=$build_dir/exporter/farrier
natskit=$build_dir/tests/tools/natskit
if ((do_build)); then
  bench_build "$build_dir" farrier natskit
  log "nats-servers of tests/nats-versions.txt (scripts/nats-servers.sh)"
  TOOLS_DIR=$build_dir/tools bash "$REPO/scripts/nats-servers.sh" >/dev/null
fi
[[ -x $farrier && -x $natskit ]] || die "no farrier/natskit in $build_dir (drop --no-build, or build them)"
manifest=$build_dir/tools/nats-servers.txt
[[ -f $manifest ]] || manifest=$REPO/build/tools/nats-servers.txt
[[ -f $manifest ]] || die "no nats-server manifest: run scripts/nats-servers.sh (or drop --no-build)"
if [[ -z $versions ]]; then
  versions="2.9.10,$(awk 'NF == 2 {print $1}' "$manifest" | sort -V | tail -1)"
fi
IFS=, read -r -a version_list <<<"$versions"
declare -A SERVER_OF=()
for v in "${version_list[@]}"; do
  SERVER_OF[$v]=$(awk -v v="$v" '$1 == v {print $2}' "$manifest")
  [[ -x ${SERVER_OF[$v]} ]] || die "nats-server $v is not in $manifest"
done
tools=(farrier)
declare -A BIN_OF=([farrier]=$farrier)
if [[ -n $peers_dir ]] || ((build_peers)); then
  while read -r peer path; do
    tools+=("$peer")
    BIN_OF[$peer]=$path
  done < <(bench_peers "$peers_dir" "$build_peers" "$build_dir")
fi

work=$(mktemp -d /tmp/farrier-jsbench.XXXXXX)
scrape=$work/scrape
g++ -O2 -std=c++17 -o "$scrape" "$BENCH_DIR/scrape.cc"
declare -A NAME_OF=()
pids=()
start_run_lifecycle "$time_limit"

cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }  # utime+stime
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
tck=$(getconf CLK_TCK)
ms() { awk -v t="$1" -v hz="$tck" -v d="$2" 'BEGIN {printf "%.0f", t * 1000 / hz / d}'; }

# The series that carry one consumer's backlog, by tool, and how to count them.
pending_family() {
  case $1 in
    farrier|nats-surveyor) echo nats_consumer_num_pending ;;
    prometheus-nats-exporter) echo jetstream_consumer_num_pending ;;
  esac
}

# start_tool TOOL PORT CPORT MPORT [SERVERS [SUFFIX]]: the tool at its defaults, as each one's
# documentation starts it, with what it needs to export consumers. SERVERS: how many servers the
# surveyor should expect (default 1); SUFFIX tells one instance's logs from another's.
start_tool() {
  local tool=$1 port=$2 cport=$3 mport=$4 count=${5:-1} sfx=${6:-}
  case $tool in
    farrier)
      start_bg "farrier$sfx" "$work/tool$sfx.out" "$work/tool$sfx.log" "${BIN_OF[$tool]}" \
        --nats.monitor-url "http://127.0.0.1:$mport" --web.listen-address "127.0.0.1:$port" ;;
    prometheus-nats-exporter)
      start_bg "$tool$sfx" "$work/tool$sfx.out" "$work/tool$sfx.log" "${BIN_OF[$tool]}" \
        -varz -connz -jsz=all -addr 127.0.0.1 -port "$port" "http://127.0.0.1:$mport" ;;
    nats-surveyor)
      start_bg "$tool$sfx" "$work/tool$sfx.out" "$work/tool$sfx.log" "${BIN_OF[$tool]}" \
        -s "nats://sys:sys@127.0.0.1:$cport" -c "$count" -a 127.0.0.1 -p "$port" --jsz all --accounts ;;
  esac
}
# kv LINE KEY: KEY's value (µs) in a line of bench/scrape.cc's output, in ms.
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {printf "%.1f", $2 / 1000}'; }

# js_accounts_conf STORE_DIR: the part of every server's configuration that holds the assets:
# JetStream in memory, the assets in account APP (the default user's), SYS the system account
# the surveyor needs.
js_accounts_conf() {
  cat <<EOF
jetstream { store_dir: "$1", max_memory_store: 4GB }
accounts {
  SYS { users: [{ user: sys, password: sys }] }
  APP { jetstream: enabled, users: [{ user: app, password: app }] }
}
system_account: SYS
no_auth_user: app
EOF
}

rows=()
checks=()
failures=()
notes=()

# create_assets URL...: the streams, each with --backlog messages, and their durable consumers,
# stream i created through URL i mod n (in a cluster: spread over the servers, as applications
# would be); the js-setup arguments in js_replicas are added (R3 in a cluster). Errors go to
# $work/setup.log.
js_replicas=()
create_assets() {
  local urls=("$@") i j url setup=() p
  for ((i = 0; i < streams; i++)); do
    url=${urls[i % ${#urls[@]}]}
    "$natskit" js-setup --url "$url" --stream "S$i" --subjects "s$i.>" --storage memory "${js_replicas[@]}" \
      --publish "$backlog" --consumer c0 >/dev/null 2>>"$work/setup.log" || die "js-setup S$i failed (see $work/setup.log)"
    # Eight at a time; waited for by PID (a bare wait would also wait for the watchdog), each
    # one, since wait with several PIDs returns the last one's status only.
    for ((j = 1; j < consumers; j++)); do
      "$natskit" js-setup --url "$url" --stream "S$i" --subjects "s$i.>" --storage memory "${js_replicas[@]}" \
        --consumer "c$j" >/dev/null 2>>"$work/setup.log" &
      setup+=($!)
      if ((${#setup[@]} == 8 || j == consumers - 1)); then
        for p in "${setup[@]}"; do
          wait "$p" || die "js-setup of a consumer of S$i failed (see $work/setup.log)"
        done
        setup=()
      fi
    done
  done
}

run_version() {
  local v=$1 server=${SERVER_OF[$1]}
  local ports cport mport
  ports=$("$natskit" free-port --count 3)
  cport=$(sed -n 1p <<<"$ports")
  mport=$(sed -n 2p <<<"$ports")
  local tport
  tport=$(sed -n 3p <<<"$ports")
  rm -rf "$work/js"
  # The assets live in account APP (the default user's); SYS is the system account the surveyor
  # needs. Memory storage: the bench measures monitoring, not disks.
  cat >"$work/nats-$v.conf" <<EOF
listen: "127.0.0.1:$cport"
http: "127.0.0.1:$mport"
server_name: "bench"
$(js_accounts_conf "$work/js")
EOF
  start_bg "nats-server $v" "$work/nats-$v.out" "$work/nats-$v.log" "$server" -c "$work/nats-$v.conf"
  local srv=$LAST_PID
  wait_http "http://127.0.0.1:$mport/healthz" 10 || die "nats-server $v did not start (see $work/nats-$v.log)"

  log "$v: creating $streams streams x $consumers durable consumers, $backlog messages each"
  local t0=$SECONDS
  create_assets "nats://127.0.0.1:$cport"
  local want=$((streams * consumers)) got
  got=$(curl -s "http://127.0.0.1:$mport/jsz" | awk -F'[:,]' '/"consumers"/ {gsub(/ /, "", $2); print $2; exit}')
  [[ $got == "$want" ]] || die "$v: the server holds $got consumers, expected $want"
  local body_bytes
  body_bytes=$(curl -s "http://127.0.0.1:$mport/jsz?accounts=true&streams=true&consumers=true&config=true" | wc -c)
  log "$v: ready in $((SECONDS - t0)) s; /jsz with consumers and config is $body_bytes bytes"

  # The server's own CPU with nothing polling it, over one window, for the baseline.
  sleep 5
  local s0 s1 idle
  s0=$(cpu_ticks "$srv"); sleep "$window"; s1=$(cpu_ticks "$srv"); idle=$((s1 - s0))

  local tool
  for tool in "${tools[@]}"; do
    log "$v: $tool"
    start_tool "$tool" "$tport" "$cport" "$mport"
    local pid=$LAST_PID
    # Ready: one scrape exports every consumer (the peers poll on scrape; farrier in the background).
    local family body=$work/metrics-$v-$tool.txt deadline=$((SECONDS + 120)) exported=0
    family=$(pending_family "$tool")
    while ((SECONDS < deadline)); do
      if curl -s --max-time 30 "http://127.0.0.1:$tport/metrics" -o "$body" 2>/dev/null; then
        exported=$(grep -c "^$family{" "$body" || true)
        ((exported >= want)) && break
      fi
      kill -0 "$pid" 2>/dev/null || die "$tool exited: $(tail -3 "$work/tool.log")"
      sleep 2
    done
    # CPU window: a scrape every --scrape-interval, gzip as Prometheus asks.
    local c0 c1 w0 w1 t_start scrapes=0
    c0=$(cpu_ticks "$pid"); w0=$(cpu_ticks "$srv"); t_start=$(date +%s)
    while (($(date +%s) - t_start < window)); do
      curl -s --compressed --max-time 30 "http://127.0.0.1:$tport/metrics" -o /dev/null && scrapes=$((scrapes + 1))
      sleep "$scrape_interval"
    done
    c1=$(cpu_ticks "$pid"); w1=$(cpu_ticks "$srv")
    local elapsed=$(($(date +%s) - t_start))
    local tool_cpu_min srv_cpu_min
    tool_cpu_min=$(ms $((c1 - c0)) "$(awk -v e="$elapsed" 'BEGIN {print e / 60}')")
    srv_cpu_min=$(ms $((w1 - w0 - idle * elapsed / window)) "$(awk -v e="$elapsed" 'BEGIN {print e / 60}')")
    # Latency: one scraper, then two at once (an HA pair of Prometheus servers).
    local one two_a two_b
    one=$("$scrape" --max-seconds 20 "$tport" /metrics "$requests" 3 "$body") || die "$tool: scrape client failed"
    "$scrape" --max-seconds 20 "$tport" /metrics "$requests" 3 >"$work/two-a" &
    local sa=$!
    "$scrape" --max-seconds 20 "$tport" /metrics "$requests" 3 >"$work/two-b" &
    local sb=$!
    wait "$sa" "$sb" || die "$tool: concurrent scrape clients failed"
    two_a=$(cat "$work/two-a"); two_b=$(cat "$work/two-b")
    local rss hwm
    rss=$(status_kb "$pid" VmRSS); hwm=$(status_kb "$pid" VmHWM)
    stop "$pid"

    # Correctness: every consumer exported, each with the backlog the server holds.
    exported=$(grep -c "^$family{" "$body" || true)
    local wrong series
    wrong=$(awk -v f="$family{" -v m="$backlog" 'index($0, f) == 1 && $NF + 0 != m {n++} END {print n + 0}' "$body")
    series=$(grep -vc '^#' "$body" || true)
    rows+=("| $v | $tool | $exported / $want | $wrong | $(kv "$one" p50_us) / $(kv "$one" p99_us) | $(kv "$two_a" p50_us) / $(kv "$two_a" p99_us), $(kv "$two_b" p50_us) / $(kv "$two_b" p99_us) | $tool_cpu_min | $srv_cpu_min | $((rss / 1024)) / $((hwm / 1024)) | $(awk -v b="$(wc -c <"$body")" 'BEGIN {printf "%.1f", b / 1048576}') MB, $series |")
    checks+=("$v $tool: exported=$exported/$want wrong_values=$wrong scrapes_in_window=$scrapes window=${elapsed}s idle_server_ticks=$idle one[$one] two[$two_a] [$two_b]")
    ((exported == want && wrong == 0)) || failures+=("$v $tool: $exported of $want consumers exported, $wrong with a value other than $backlog")
  done
  stop "$srv"
}

# ---------------------------------------------------------------- 3-node cluster (--cluster)

sum_ticks() { local p t=0; for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }
per_min() { ms "$1" "$(awk -v e="$2" 'BEGIN {print e / 60}')"; }  # per_min TICKS SECONDS: ms/min

# pending_rows TOOL NODE BODY: "NODE STREAM CONSUMER VALUE KEPT" per num_pending series of BODY.
# NODE is the server the series speaks for: the sidecar's, or for the surveyor (one for every
# server) its server_name label. KEPT is 1 for the series a user takes as the consumer's value:
# every one of farrier's (it exports value series from the leader only), prometheus-nats-
# exporter's with is_consumer_leader="true", the surveyor's whose server_name is its
# consumer_leader (it has no leader flag; its --jsz-leaders-only, off by default, would leave the
# followers' out). Both peers also export each follower's value, which is stale: 0 pending on a
# consumer nobody has fetched from.
pending_rows() {
  awk -v tool="$1" -v node="$2" -v f="$(pending_family "$1"){" '
    index($0, f) != 1 { next }
    {
      s = substr($0, length(f) + 1)
      s = substr(s, 1, index(s, "}") - 1)
      delete l
      n = split(s, pair, "\",")
      for (i = 1; i <= n; i++) {
        p = index(pair[i], "=\"")
        v = substr(pair[i], p + 2)
        sub(/"$/, "", v)
        l[substr(pair[i], 1, p - 1)] = v
      }
      if (tool == "farrier") print node, l["stream"], l["consumer"], $NF, 1
      else if (tool == "prometheus-nats-exporter")
        print node, l["stream_name"], l["consumer_name"], $NF, (l["is_consumer_leader"] == "true") ? 1 : 0
      else print l["server_name"], l["stream"], l["consumer_name"], $NF, (l["server_name"] == l["consumer_leader"]) ? 1 : 0
    }' "$3"
}

# cluster_leaders: "STREAM CONSUMER LEADER NUM_PENDING" per consumer, from the /jsz of the server
# that leads it (the truth the tools are judged against; a leaderless consumer has no line).
cluster_leaders() {
  local i
  for i in 1 2 3; do
    curl -s --max-time 60 "http://127.0.0.1:${C_MPORT[i]}/jsz?accounts=true&streams=true&consumers=true" |
      jq -r --arg me "n$i" '.account_details[]?.stream_detail[]? | .name as $s | .consumer_detail[]?
        | select(.cluster.leader == $me) | "\($s) \(.name) \($me) \(.num_pending)"'
  done
}

# judge LEADERS ROWS: "SERIES KEPT ONCE ELSEWHERE WRONG": the num_pending series, those kept as
# values, the consumers with exactly one kept series, kept series of a server that does not lead
# the consumer, and kept series of its leader whose value is not the leader's num_pending.
judge() {
  awk 'NR == FNR { lead[$1 " " $2] = $3; pend[$1 " " $2] = $4; next }
       { raw++; if (!$5) next; kept++; k = $2 " " $3; seen[k]++
         if (!(k in lead) || lead[k] != $1) elsewhere++
         else if ($4 + 0 != pend[k] + 0) wrong++ }
       END { for (k in lead) if (seen[k] == 1) once++
             print raw + 0, kept + 0, once + 0, elsewhere + 0, wrong + 0 }' "$1" "$2"
}

run_cluster_version() {
  local v=$1 server=${SERVER_OF[$1]}
  local ports i j
  mapfile -t ports < <("$natskit" free-port --count 12)
  C_CPORT=() C_MPORT=()
  local rport=() tport=() srv=()
  for i in 1 2 3; do
    C_CPORT[i]=${ports[i - 1]}
    C_MPORT[i]=${ports[i + 2]}
    rport[i]=${ports[i + 5]}
    tport[i]=${ports[i + 8]}
  done
  # The single server's configuration, plus a cluster: each server routes to the other two.
  for i in 1 2 3; do
    local routes=
    for j in 1 2 3; do ((i == j)) || routes+="${routes:+, }\"nats-route://127.0.0.1:${rport[j]}\""; done
    rm -rf "$work/js-n$i"
    cat >"$work/nats-$v-n$i.conf" <<EOF
listen: "127.0.0.1:${C_CPORT[i]}"
http: "127.0.0.1:${C_MPORT[i]}"
server_name: "n$i"
cluster { name: "bench", listen: "127.0.0.1:${rport[i]}", routes: [$routes] }
$(js_accounts_conf "$work/js-n$i")
EOF
    start_bg "nats-server $v n$i" "$work/nats-$v-n$i.out" "$work/nats-$v-n$i.log" "$server" -c "$work/nats-$v-n$i.conf"
    srv+=("$LAST_PID")
  done
  # Assets can be placed once every server sees a meta leader and a group of 3.
  local deadline=$((SECONDS + 60)) up=0
  while ((SECONDS < deadline)); do
    up=0
    for i in 1 2 3; do
      curl -s --max-time 2 "http://127.0.0.1:${C_MPORT[i]}/jsz" 2>/dev/null |
        jq -e '(.meta_cluster.leader // "") != "" and .meta_cluster.cluster_size == 3' >/dev/null 2>&1 && up=$((up + 1))
    done
    ((up == 3)) && break
    sleep 0.5
  done
  ((up == 3)) || die "$v: only $up of 3 servers see a JetStream meta leader (see $work/nats-$v-n*.log)"

  log "$v cluster: creating $streams R3 streams x $consumers R3 durable consumers, $backlog messages each"
  local t0=$SECONDS
  js_replicas=(--replicas 3)
  create_assets "nats://127.0.0.1:${C_CPORT[1]}" "nats://127.0.0.1:${C_CPORT[2]}" "nats://127.0.0.1:${C_CPORT[3]}"
  local t_created=$((SECONDS - t0))
  # Every server holds a replica of every asset; a follower may apply the last ones a moment later.
  local want=$((streams * consumers)) got=() held
  deadline=$((SECONDS + 120))
  while :; do
    got=() held=0
    for i in 1 2 3; do
      got+=("$(curl -s --max-time 10 "http://127.0.0.1:${C_MPORT[i]}/jsz" | jq -r '.consumers')")
      [[ ${got[-1]} == "$want" ]] && held=$((held + 1))
    done
    ((held == 3 || SECONDS >= deadline)) && break
    sleep 1
  done
  ((held == 3)) || die "$v: the servers hold ${got[*]} consumers, expected $want each"
  local body_bytes
  body_bytes=$(curl -s "http://127.0.0.1:${C_MPORT[1]}/jsz?accounts=true&streams=true&consumers=true&config=true" | wc -c)
  local setup_s=$((SECONDS - t0))
  log "$v cluster: ready in $setup_s s (created in $t_created s); n1's /jsz with consumers and config is $body_bytes bytes"

  # The servers' own CPU with nothing polling them, over one window, for the baseline. R3 is not
  # free at rest: every stream and consumer is a Raft group that heartbeats, which costs the
  # servers far more than being polled and varies by ~10 % from one window to the next. So the
  # baseline is measured again after the last tool, and the tools' rows use the mean of both.
  sleep 5
  local s0 s1 idle_before idle_after idle
  s0=$(sum_ticks "${srv[@]}"); sleep "$window"; s1=$(sum_ticks "${srv[@]}"); idle_before=$((s1 - s0))
  log "$v cluster: the 3 servers idle: $(per_min "$idle_before" "$window") ms CPU per minute"

  local tool
  for tool in "${tools[@]}"; do
    # One per server, as sidecars; the surveyor once, over $SYS, for the whole cluster.
    local n=3 tpids=()
    [[ $tool == nats-surveyor ]] && n=1
    log "$v cluster: $tool x $n"
    for ((i = 1; i <= n; i++)); do
      start_tool "$tool" "${tport[i]}" "${C_CPORT[i]}" "${C_MPORT[i]}" 3 "-n$i"
      tpids+=("$LAST_PID")
    done
    # Ready: one scrape of each instance, together, keeps a value for every consumer.
    local body=$work/metrics-$v-$tool kept=0 p dead=
    deadline=$((SECONDS + 180))
    while ((SECONDS < deadline)); do
      for ((i = 1; i <= n; i++)); do
        curl -s --max-time 30 "http://127.0.0.1:${tport[i]}/metrics" -o "$body-n$i.txt" 2>/dev/null || : >"$body-n$i.txt"
      done
      kept=$(for ((i = 1; i <= n; i++)); do pending_rows "$tool" "n$i" "$body-n$i.txt"; done | awk '$5 {k++} END {print k + 0}')
      ((kept >= want)) && break
      for ((i = 1; i <= n; i++)); do
        kill -0 "${tpids[i - 1]}" 2>/dev/null || dead+="${dead:+, }n$i"
      done
      [[ -z $dead ]] || break
      sleep 2
    done
    # A tool that exits (nats-surveyor v0.9.9 panics on a 2.9 cluster's /jsz) is a finding, not
    # the end of the run: its row says so and the other tools are still measured.
    if [[ -n $dead ]]; then
      local why
      why=$(grep -m1 -E 'panic|fatal|FATAL|error' "$work/tool-${dead%%,*}.log" | cut -c1-160 || true)
      log "$v cluster: $tool exited ($dead): $why"
      stop "${tpids[@]}"
      rows+=("| $v | $tool | $n | exited ($dead) | 0 / $want | - | - | - | - | - | - | - |")
      checks+=("$v $tool x$n: exited ($dead) before exporting every consumer: $why (log: $work/tool-${dead%%,*}.log)")
      # A peer that crashes is a finding about the peer; farrier crashing fails the bench.
      if [[ $tool == farrier ]]; then
        failures+=("$v $tool: exited ($dead): $why")
      else
        notes+=("$v $tool exited ($dead) before exporting every consumer: $why")
      fi
      continue
    fi
    # CPU window: every instance scraped every --scrape-interval, gzip as Prometheus asks.
    local c0 c1 w0 w1 t_start scrapes=0
    c0=$(sum_ticks "${tpids[@]}"); w0=$(sum_ticks "${srv[@]}"); t_start=$(date +%s)
    while (($(date +%s) - t_start < window)); do
      for ((i = 1; i <= n; i++)); do
        curl -s --compressed --max-time 30 "http://127.0.0.1:${tport[i]}/metrics" -o /dev/null && scrapes=$((scrapes + 1))
      done
      sleep "$scrape_interval"
    done
    c1=$(sum_ticks "${tpids[@]}"); w1=$(sum_ticks "${srv[@]}")
    local elapsed=$(($(date +%s) - t_start))
    local minutes tool_cpu_min
    minutes=$(awk -v e="$elapsed" 'BEGIN {print e / 60}')
    tool_cpu_min=$(ms $((c1 - c0)) "$minutes")
    # Latency, one instance at a time: one scraper, then two at once (an HA pair).
    local one=() lat="" two_raw=""
    for ((i = 1; i <= n; i++)); do
      one[i]=$("$scrape" --max-seconds 20 "${tport[i]}" /metrics "$requests" 3 "$body-n$i.txt") ||
        die "$tool n$i: scrape client failed"
      "$scrape" --max-seconds 20 "${tport[i]}" /metrics "$requests" 3 >"$work/two-a" &
      local sa=$!
      "$scrape" --max-seconds 20 "${tport[i]}" /metrics "$requests" 3 >"$work/two-b" &
      local sb=$!
      wait "$sa" || die "$tool n$i: concurrent scrape clients failed"
      wait "$sb" || die "$tool n$i: concurrent scrape clients failed"
      ((n == 1)) || lat+="${lat:+, }n$i "
      lat+="$(kv "${one[i]}" p50_us) / $(kv "${one[i]}" p99_us)"
      two_raw+=" n${i}[$(cat "$work/two-a")] [$(cat "$work/two-b")]"
    done
    # The worst instance's p50 and p99 with two scrapers.
    local two_worst
    two_worst=$(tr ' ' '\n' <<<"$two_raw" | awk -F= '$1 == "p50_us" && $2 + 0 > a {a = $2} $1 == "p99_us" && $2 + 0 > b {b = $2}
      END {printf "%.1f / %.1f", a / 1000, b / 1000}')
    # Memory of the instances together, and of the largest.
    local rss=0 hwm=0 rss_max=0 hwm_max=0 r h
    for p in "${tpids[@]}"; do
      r=$(status_kb "$p" VmRSS); h=$(status_kb "$p" VmHWM)
      rss=$((rss + r)); hwm=$((hwm + h))
      ((r > rss_max)) && rss_max=$r
      ((h > hwm_max)) && hwm_max=$h
    done
    # Correctness, against who leads what now (the bodies are a few seconds older; leaders do
    # not move in a quiet cluster, and a move would show as series kept from a non-leader).
    cluster_leaders >"$work/leaders-$v-$tool.txt"
    stop "${tpids[@]}"
    for ((i = 1; i <= n; i++)); do pending_rows "$tool" "n$i" "$body-n$i.txt"; done >"$work/rows-$v-$tool.txt"
    local led raw once elsewhere wrong bytes=0 series=0 spread
    led=$(wc -l <"$work/leaders-$v-$tool.txt")
    read -r raw kept once elsewhere wrong < <(judge "$work/leaders-$v-$tool.txt" "$work/rows-$v-$tool.txt")
    spread=$(awk '{n[$3]++} END {for (k in n) printf "%s%s=%d", (s++ ? "," : ""), k, n[k]}' "$work/leaders-$v-$tool.txt")
    for ((i = 1; i <= n; i++)); do
      bytes=$((bytes + $(wc -c <"$body-n$i.txt")))
      series=$((series + $(grep -vc '^#' "$body-n$i.txt" || true)))
    done
    # The servers' column waits for the second baseline: @SRV <ticks> <seconds>@ until then.
    rows+=("| $v | $tool | $n | $raw | $once / $want | $elsewhere / $wrong | $lat | $two_worst | $tool_cpu_min | @SRV $((w1 - w0)) $elapsed@ | $((rss / 1024)) / $((hwm / 1024)) ($((rss_max / 1024)) / $((hwm_max / 1024))) | $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1048576}') MB, $series |")
    checks+=("$v $tool x$n: num_pending_series=$raw kept=$kept once=$once/$want from_non_leader=$elsewhere wrong_values=$wrong leaders[$spread] scrapes_in_window=$scrapes window=${elapsed}s servers_ticks=$((w1 - w0)) setup=${setup_s}s one[$(for ((i = 1; i <= n; i++)); do printf ' n%d[%s]' "$i" "${one[i]}"; done) ] two[$two_raw ]")
    ((led == want)) || failures+=("$v $tool: $led of $want consumers have a leader")
    ((once == want && kept == want && elsewhere == 0 && wrong == 0)) ||
      failures+=("$v $tool: $once of $want consumers kept exactly once ($kept kept), $elsewhere kept from a non-leader, $wrong with a value other than the leader's")
    # Farrier needs no filter: each sidecar leaves the followers' series out itself.
    [[ $tool != farrier || $raw == "$want" ]] || failures+=("$v $tool: $raw num_pending series for $want consumers")
  done
  sleep 5
  s0=$(sum_ticks "${srv[@]}"); sleep "$window"; s1=$(sum_ticks "${srv[@]}"); idle_after=$((s1 - s0))
  idle=$(((idle_before + idle_after) / 2))
  # How far the baseline moved: a servers figure within ± this is noise, not the tool's cost.
  local drift k dt el
  drift=$(per_min $(((idle_before > idle_after ? idle_before - idle_after : idle_after - idle_before) / 2)) "$window")
  for k in "${!rows[@]}"; do
    [[ ${rows[k]} =~ @SRV\ ([0-9]+)\ ([0-9]+)@ ]] || continue
    dt=${BASH_REMATCH[1]} el=${BASH_REMATCH[2]}
    rows[k]=${rows[k]/"${BASH_REMATCH[0]}"/$(per_min $((dt - idle * el / window)) "$el") ± $drift}
  done
  notes+=("$v: the 3 servers idle (no tool), over ${window} s: $(per_min "$idle_before" "$window") ms/min before the tools, $(per_min "$idle_after" "$window") after ($idle_before and $idle_after ticks); assets ready in ${setup_s} s (created in ${t_created} s); n1's /jsz with consumers and config: $body_bytes bytes")
  log "${notes[-1]}"
  stop "${srv[@]}"
}

git_state=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "no git")
dirty=$({ git -C "$REPO" status --porcelain -- exporter CMakeLists.txt 2>/dev/null || true; } | wc -l)
((dirty == 0)) || git_state+=" + $dirty uncommitted change(s) under exporter/"
fingerprints=("farrier $("$farrier" --version 2>&1 | head -1), sha256 $(sha256sum "$farrier" | cut -c1-16)")
for tool in "${tools[@]:1}"; do
  fingerprints+=("$tool $("${BIN_OF[$tool]}" --version 2>&1 | head -1 | tr -d '\n' || true), sha256 $(sha256sum "${BIN_OF[$tool]}" | cut -c1-16)")
done
for v in "${version_list[@]}"; do
  fingerprints+=("nats-server $v: ${SERVER_OF[$v]}, sha256 $(sha256sum "${SERVER_OF[$v]}" | cut -c1-16)")
done
log "versions: ${version_list[*]} | tools: ${tools[*]} | $( ((cluster)) && echo "3-node cluster, R3, " )$streams x $consumers consumers | window ${window}s, a scrape every ${scrape_interval}s"
for v in "${version_list[@]}"; do
  if ((cluster)); then run_cluster_version "$v"; else run_version "$v"; fi
done

report_cluster() {
  echo "# JetStream bench, 3-node cluster, $(date +%F)"
  echo
  echo "\`bench/jetstream.sh${args[*]:+ ${args[*]}}\`: $streams R3 streams x $consumers R3 durable pull"
  echo "consumers with $backlog messages pending each, on a 3-node cluster (n1..n3, loopback routes, memory"
  echo "storage); farrier and prometheus-nats-exporter one sidecar per server, nats-surveyor one for"
  echo "the cluster, each at its defaults; every instance scraped every ${scrape_interval} s (gzip) for ${window} s,"
  echo "then ${requests} timed plain scrapes per instance (one scraper, then two at once). CPU is summed over"
  echo "the tool's instances and over the 3 servers. A consumer is correct when exactly one series"
  echo "is kept as its value (farrier: every series; prometheus-nats-exporter: is_consumer_leader=\"true\";"
  echo "nats-surveyor: server_name = consumer_leader), from its leader, with the leader's num_pending."
  echo "Machine: $(nproc) cores, load after the run: $(cut -d' ' -f1-3 /proc/loadavg). Commit $git_state."
  echo
  echo "| server | tool | instances | num_pending series | consumers kept once, from the leader | kept from a follower / values ≠ leader's | scrape p50 / p99 ms per instance | two scrapers p50 / p99 ms, worst instance | tool CPU ms/min, all instances | servers CPU ms/min, 3 above idle ± half its drift | RSS / peak MB, sum (largest) | /metrics, series, all instances |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  printf -- '- %s\n' "${notes[@]}"
}

{
  if ((cluster)); then
    report_cluster
  else
    echo "# JetStream bench, $(date +%F)"
    echo
    echo "\`bench/jetstream.sh${args[*]:+ ${args[*]}}\`: $streams streams x $consumers durable pull consumers"
    echo "with $backlog messages pending each, on one nats-server (memory storage); each tool at its"
    echo "defaults, scraped every ${scrape_interval} s (gzip) for ${window} s; then ${requests} timed plain scrapes"
    echo "(one scraper, then two at once). Machine: $(nproc) cores, load before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Commit $git_state."
    echo
    echo "| server | tool | consumers exported | values ≠ backlog | scrape p50 / p99 ms | two scrapers p50 / p99 ms | tool CPU ms/min | server CPU ms/min (above idle) | RSS / peak MB | /metrics, series |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
  fi
  echo
  echo "Binaries:"
  printf -- '- %s\n' "${fingerprints[@]}"
  echo
  echo "Raw:"
  printf -- '- %s\n' "${checks[@]}"
} | tee "$out"

if ((${#failures[@]})); then
  printf '!!!!! BENCH FAILED !!!!!\n' >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
rm -rf "$work"
