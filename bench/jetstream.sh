#!/usr/bin/env bash
# JetStream at scale: farrier (and, when given, the peers) against one nats-server holding
# S streams x C durable pull consumers with a backlog, for each server version asked for. Per
# tool: its CPU and the server's CPU per minute while scraped every --scrape-interval (gzip, as
# Prometheus asks), /metrics latency for one scraper and for two at once, RSS and peak, size and
# series of /metrics, and whether every consumer is exported with the server's value. See
# bench/README.md ("JetStream bench").
#
# usage: bench/jetstream.sh [options]
#   --streams S          streams (default 1000)
#   --consumers C        durable consumers per stream (default 10)
#   --backlog M          messages per stream, pending for every consumer (default 20)
#   --versions LIST      nats-server versions, comma-separated, from tests/nats-versions.txt
#                        (default: 2.9.10 and the newest listed)
#   --peers DIR          also run the peers found in DIR: prometheus-nats-exporter and/or
#                        nats-surveyor (built by you: the Go module proxy refuses both modules,
#                        so this bench cannot fetch them; bench/README.md says how they were built)
#   --window SEC         CPU window per tool (default 60)
#   --scrape-interval S  scrape interval inside the window (default 15)
#   --requests R         timed /metrics requests per latency test (default 200, 20 s at most)
#   --build-dir DIR      CMake build directory (default <repo>/build)
#   --no-build           use the binaries in the build directory as they are
#   --out FILE           results file (default bench/results-jetstream-<YYYY-MM-DD>.md)
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
window=60
scrape_interval=15
requests=200
build_dir=$REPO/build
do_build=1
out=
time_limit=2400
while (($#)); do
  case $1 in
    --streams) streams=$2; shift 2 ;;
    --consumers) consumers=$2; shift 2 ;;
    --backlog) backlog=$2; shift 2 ;;
    --versions) versions=$2; shift 2 ;;
    --peers) peers_dir=$2; shift 2 ;;
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
out=${out:-$BENCH_DIR/results-jetstream-$(date +%F).md}

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# shellcheck source=../scripts/lib.sh
source "$REPO/scripts/lib.sh"  # ensure_packages, free_port, wait_http, start_bg, stop, start_run_lifecycle
ensure_packages g++ nats-server curl procps gawk

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
if [[ -n $peers_dir ]]; then
  for peer in prometheus-nats-exporter nats-surveyor; do
    if [[ -x $peers_dir/$peer ]]; then
      tools+=("$peer")
      BIN_OF[$peer]=$peers_dir/$peer
    else
      log "no $peers_dir/$peer: left out"
    fi
  done
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

# start_tool TOOL PORT CPORT MPORT: the tool at its defaults, as each one's documentation starts
# it, with what it needs to export consumers.
start_tool() {
  local tool=$1 port=$2 cport=$3 mport=$4
  case $tool in
    farrier)
      start_bg farrier "$work/tool.out" "$work/tool.log" "${BIN_OF[$tool]}" \
        --nats.monitor-url "http://127.0.0.1:$mport" --web.listen-address "127.0.0.1:$port" ;;
    prometheus-nats-exporter)
      start_bg "$tool" "$work/tool.out" "$work/tool.log" "${BIN_OF[$tool]}" \
        -varz -connz -jsz=all -addr 127.0.0.1 -port "$port" "http://127.0.0.1:$mport" ;;
    nats-surveyor)
      start_bg "$tool" "$work/tool.out" "$work/tool.log" "${BIN_OF[$tool]}" \
        -s "nats://sys:sys@127.0.0.1:$cport" -c 1 -a 127.0.0.1 -p "$port" --jsz all --accounts ;;
  esac
}

rows=()
checks=()
failures=()

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
jetstream { store_dir: "$work/js", max_memory_store: 4GB }
accounts {
  SYS { users: [{ user: sys, password: sys }] }
  APP { jetstream: enabled, users: [{ user: app, password: app }] }
}
system_account: SYS
no_auth_user: app
EOF
  start_bg "nats-server $v" "$work/nats-$v.out" "$work/nats-$v.log" "$server" -c "$work/nats-$v.conf"
  local srv=$LAST_PID
  wait_http "http://127.0.0.1:$mport/healthz" 10 || die "nats-server $v did not start (see $work/nats-$v.log)"

  log "$v: creating $streams streams x $consumers durable consumers, $backlog messages each"
  local t0=$SECONDS i j setup=()
  for ((i = 0; i < streams; i++)); do
    "$natskit" js-setup --url "nats://127.0.0.1:$cport" --stream "S$i" --subjects "s$i.>" --storage memory \
      --publish "$backlog" --consumer c0 >/dev/null 2>&1 || die "js-setup S$i failed"
    # Eight at a time; waited for by PID (a bare wait would also wait for the watchdog).
    for ((j = 1; j < consumers; j++)); do
      "$natskit" js-setup --url "nats://127.0.0.1:$cport" --stream "S$i" --subjects "s$i.>" --storage memory \
        --consumer "c$j" >/dev/null 2>&1 &
      setup+=($!)
      if ((${#setup[@]} == 8 || j == consumers - 1)); then
        wait "${setup[@]}" || die "js-setup of a consumer of S$i failed"
        setup=()
      fi
    done
  done
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
    kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {printf "%.1f", $2 / 1000}'; }
    rows+=("| $v | $tool | $exported / $want | $wrong | $(kv "$one" p50_us) / $(kv "$one" p99_us) | $(kv "$two_a" p50_us) / $(kv "$two_a" p99_us), $(kv "$two_b" p50_us) / $(kv "$two_b" p99_us) | $tool_cpu_min | $srv_cpu_min | $((rss / 1024)) / $((hwm / 1024)) | $(awk -v b="$(wc -c <"$body")" 'BEGIN {printf "%.1f", b / 1048576}') MB, $series |")
    checks+=("$v $tool: exported=$exported/$want wrong_values=$wrong scrapes_in_window=$scrapes window=${elapsed}s idle_server_ticks=$idle one[$one] two[$two_a] [$two_b]")
    ((exported == want && wrong == 0)) || failures+=("$v $tool: $exported of $want consumers exported, $wrong with a value other than $backlog")
  done
  stop "$srv"
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
log "versions: ${version_list[*]} | tools: ${tools[*]} | $streams x $consumers consumers | window ${window}s, a scrape every ${scrape_interval}s"
for v in "${version_list[@]}"; do run_version "$v"; done

{
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
