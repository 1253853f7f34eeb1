#!/usr/bin/env bash
# What the status page at / costs, side by side with a baseline in the same run. See
# bench/README.md ("Status page").
#
#  1. Microbench (bench/status_page.cc, target status_page_bench): a StatusHistory filled through
#     Record() with 200 polls for a sidecar (3 services, 5 consumers, 1 server), for cluster mode
#     at the page's caps (256 services, 1,024 consumers, 128 servers) and over them; history
#     memory, render CPU per page (median, p99), page and gzip size, against rendering the same
#     figures as the /api/v1/scaling JSON.
#  2. Live: nats-server (JetStream), 3 sample workers behind the load generator and a stream with
#     a consumer, as scripts/demo.sh starts them; farrier probing and sizing that service and
#     consumer. After --fill-seconds of history: farrier's CPU per request (utime+stime from
#     /proc, above its idle rate) and latency for GET /metrics, GET / and GET /api/v1/scaling,
#     plain (bench/scrape.cc) and gzip (curl --compressed, as a browser or Prometheus asks),
#     and farrier's RSS.
#
# usage: bench/status-page.sh [options]
#   --renders N         microbench: timed renders per case, page and JSON each (default 200; fewer
#                       when they take longer than --micro-seconds)
#   --micro-seconds S   microbench: time bound per case and kind (default 30)
#   --fill-seconds S    live: history before measuring (default 60: about 12 points per chart
#                       line; 900: the whole 15 minutes, 180 points)
#   --requests N        live: timed requests per row (default 10000, 20 s at most per row)
#   --no-live           the microbench only
#   --build-dir DIR     CMake build directory (default $BUILD_DIR, else <repo>/build)
#   --no-build          use the binaries in the build directory as they are
#   --commit-note TEXT  appended to the commit in the results (e.g. "+ uncommitted status page")
#   --out FILE          also write the results to FILE (markdown)
#   --time-limit SEC    abort (and clean up) after this long (default 480 + --fill-seconds)
#
# Needs root on a fresh Debian 12 for apt (only when something is missing). Every process it
# starts is stopped by PID on exit, also on failure or Ctrl-C.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

args=("$@")
renders=200
micro_seconds=30
fill_seconds=60
requests=10000
live=1
build_dir=${BUILD_DIR:-$REPO/build}
do_build=1
commit_note=
out=
time_limit=
while (($#)); do
  case $1 in
    --renders) renders=$2; shift 2 ;;
    --micro-seconds) micro_seconds=$2; shift 2 ;;
    --fill-seconds) fill_seconds=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --no-live) live=0; shift ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --commit-note) commit_note=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --time-limit) time_limit=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "status-page.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in renders micro_seconds fill_seconds requests; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || { echo "status-page.sh: --${v//_/-} takes a positive integer" >&2; exit 2; }
done
time_limit=${time_limit:-$((480 + fill_seconds))}
[[ $time_limit =~ ^[0-9]+$ && $time_limit -gt 0 ]] || { echo "status-page.sh: --time-limit takes a positive integer" >&2; exit 2; }
[[ -z $out ]] || out=$(realpath -m "$out")

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# shellcheck source-path=SCRIPTDIR source=../scripts/lib.sh disable=SC1091  # SC1091: without -x
source "$REPO/scripts/lib.sh"  # ensure_packages, bench_build, free_port, wait_http, start_bg, stop, start_run_lifecycle
ensure_packages g++ nats-server curl procps gawk

farrier=$build_dir/exporter/farrier
worker=$build_dir/exporter/samples/farrier-sample-worker
loadgen=$build_dir/exporter/samples/farrier-loadgen
natskit=$build_dir/tests/tools/natskit
micro=$build_dir/bench/status_page_bench
if ((do_build)); then
  bench_build "$build_dir" farrier farrier-sample-worker farrier-loadgen natskit status_page_bench
fi
for b in "$farrier" "$worker" "$loadgen" "$natskit" "$micro"; do
  [[ -x $b ]] || die "no $b (drop --no-build, or build it)"
done

work=$(mktemp -d /tmp/farrier-statusbench.XXXXXX)
scrape=$work/scrape
g++ -O2 -std=c++17 -o "$scrape" "$BENCH_DIR/scrape.cc"
# shellcheck disable=SC2034  # NAME_OF: read by terminate_pids (scripts/lib.sh)
declare -A NAME_OF=()
pids=()
start_run_lifecycle "$time_limit"
# A signal cuts a nap (below) short at once; lib.sh's exit trap would then wait for the watchdog,
# which bash may have reaped already: that wait hung until every other child had exited (4 runs
# of 12 when the watchdog fired during a nap). So these traps stop the watchdog themselves and
# leave the exit trap nothing to wait for.
# shellcheck disable=SC2154  # watchdog: set by start_run_lifecycle (scripts/lib.sh)
trap 'log "time limit or SIGTERM: stopping"; kill -TERM "${watchdog:-}" 2>/dev/null || true; watchdog=; exit 124' TERM
trap 'log "interrupted"; kill -TERM "${watchdog:-}" 2>/dev/null || true; watchdog=; exit 130' INT

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$SECONDS

# ---------------------------------------------------------------- 1. microbench
log "microbench: $micro --renders $renders --max-seconds $micro_seconds"
"$micro" --renders "$renders" --max-seconds "$micro_seconds" >"$work/micro.md" ||
  { cat "$work/micro.md" >&2; die "status_page_bench failed"; }

# ---------------------------------------------------------------- 2. live
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }  # utime+stime
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
tck=$(getconf CLK_TCK)
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
# sleep SEC that a signal (Ctrl-C, the watchdog) cuts short: a foreground sleep would hold the
# traps until it ends. The sleep is in pids while it runs, so the exit trap stops it too.
nap() {
  local s
  sleep "$1" &
  s=$!
  pids+=("$s")
  wait "$s" || true
  forget "$s"
}
now_s() { date +%s.%N; }

# The load generator as scripts/demo.sh runs it: Poisson arrivals, a minute at 100 requests/s
# (utilization 0.17), a minute at 450/s (0.75: a fifth of the requests time out), and again.
loadgen_loop() {
  local child=
  trap 'kill "$child" 2>/dev/null; wait "$child" 2>/dev/null || true; exit 0' TERM
  while true; do
    for rate in 100 450; do
      "$loadgen" --url "nats://127.0.0.1:$nats_port" --subject api.echo --rate "$rate" --arrivals poisson \
        --duration 60s --timeout 1s >>"$work/loadgen.log" 2>&1 &
      child=$!
      wait "$child" || sleep 1
    done
  done
}

live_rows=()
live_raw=()
live_head=
if ((live)); then
  ports=()
  while ((${#ports[@]} < 3)); do
    p=$(free_port 0)
    [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
  done
  nats_port=${ports[0]} monitor_port=${ports[1]} web_port=${ports[2]}
  base=http://127.0.0.1:$web_port

  start_bg nats-server "$work/nats-server.out" "$work/nats-server.log" nats-server -a 127.0.0.1 -p "$nats_port" \
    -m "$monitor_port" -js -sd "$work/js" -n bench
  wait_http "http://127.0.0.1:$monitor_port/healthz" 10 || die "nats-server did not start (see $work/nats-server.log)"
  # As scripts/demo.sh: stream ORDERS with 50 messages, durable pull consumer "worker" (40 pending,
  # 10 fetched and not acked).
  "$natskit" js-setup --url "nats://127.0.0.1:$nats_port" --stream ORDERS --subjects 'orders.>' --publish 50 \
    --consumer worker --fetch 10 >"$work/js-setup.log" 2>&1 || die "natskit js-setup failed (see $work/js-setup.log)"
  for i in 1 2 3; do
    start_bg "worker-$i" "$work/worker-$i.out" "$work/worker-$i.log" "$worker" --url "nats://127.0.0.1:$nats_port" \
      --subject api.echo --queue workers --concurrency 4 --service-time 20ms --service-time-dist exponential \
      --overflow drop --name "echo-worker-$i" --micro-name Echo
  done
  start_bg loadgen "$work/loadgen.out" "$work/loadgen.err" loadgen_loop

  demo_farrier_config "$nats_port" "$monitor_port" >"$work/farrier.json"  # the demo's
  "$farrier" --config "$work/farrier.json" --check-config >"$work/check.log" 2>&1 ||
    die "farrier --check-config rejected the configuration: $(tail -3 "$work/check.log")"
  start_bg farrier "$work/farrier.out" "$work/farrier.log" "$farrier" --config "$work/farrier.json" \
    --web.listen-address "127.0.0.1:$web_port"
  fpid=$LAST_PID
  wait_http "$base/healthz" 15 || die "farrier did not start (see $work/farrier.log)"

  log "live: history fills for ${fill_seconds}s (farrier pid $fpid on $base)"
  nap "$fill_seconds"
  kill -0 "$fpid" 2>/dev/null || die "farrier exited (see $work/farrier.log)"
  curl -s "$base/" -o "$work/page.html" || die "GET / failed"
  grep -q 'data-service="echo"' "$work/page.html" || die "the page has no row for service echo"
  grep -q 'data-consumer="ORDERS / worker"' "$work/page.html" || die "the page has no row for consumer ORDERS / worker"
  polylines=$(grep -o '<polyline' "$work/page.html" | wc -l)
  # Points of the longest chart line: how much of the 180-slot history the page draws.
  points=$(grep -o 'points="[^"]*"' "$work/page.html" | awk -F' ' '{ if (NF > m) m = NF } END {print m + 0}')
  ((polylines > 0)) || die "the page has no chart line after ${fill_seconds}s"

  # farrier's own CPU with nothing asking it anything (polls, probes), to take off each row.
  idle_window=15
  i0=$(cpu_ticks "$fpid"); w0=$(now_s); nap "$idle_window"; i1=$(cpu_ticks "$fpid"); w1=$(now_s)
  idle_rate=$(awk -v t=$((i1 - i0)) -v a="$w0" -v b="$w1" 'BEGIN {printf "%.4f", t / (b - a)}')  # ticks/s

  # row LABEL MODE PATH: MODE plain (bench/scrape, keep-alive) or gzip (one curl, keep-alive,
  # Accept-Encoding gzip); 20 untimed requests first.
  row() {
    local label=$1 mode=$2 path=$3 c0 c1 t0 t1 count p50 p99 bytes res encoding
    if [[ $mode == plain ]]; then
      "$scrape" "$web_port" "$path" 20 0 >/dev/null || die "$label: warm-up failed"
      c0=$(cpu_ticks "$fpid"); t0=$(now_s)
      res=$("$scrape" --max-seconds 20 "$web_port" "$path" "$requests" 0) || die "$label: scrape failed"
      c1=$(cpu_ticks "$fpid"); t1=$(now_s)
      count=$(kv "$res" count); p50=$(kv "$res" p50_us); p99=$(kv "$res" p99_us); bytes=$(kv "$res" bytes)
      encoding=identity
    else
      curl -s --compressed -o /dev/null "$base$path?w=[1-20]" || die "$label: warm-up failed"
      encoding=$(curl -s --compressed -o /dev/null -D - "$base$path" | tr -d '\r' |
        awk -F': ' 'tolower($1) == "content-encoding" {print $2}')
      [[ $encoding == gzip ]] || die "$label: answered with Content-Encoding '${encoding:-none}', not gzip"
      c0=$(cpu_ticks "$fpid"); t0=$(now_s)
      # One curl for every request: one connection, reused (URL globbing: ?n=1..N, which / ignores).
      timeout 20 curl -s --compressed -o /dev/null -w '%{stderr}%{http_code} %{time_total} %{size_download}\n' \
        "$base$path?n=[1-$requests]" >/dev/null 2>"$work/curl.txt" || true
      c1=$(cpu_ticks "$fpid"); t1=$(now_s)
      awk '$1 != 200 {bad++} END {exit bad > 0}' "$work/curl.txt" || die "$label: a request did not answer 200"
      count=$(wc -l <"$work/curl.txt")
      ((count > 0)) || die "$label: no request answered"
      read -r p50 p99 bytes < <(awk '{print $2 * 1e6, $3}' "$work/curl.txt" | sort -n |
        awk '{v[NR] = $1; b = $2} END {r50 = int(0.5 * NR + 0.999999); r99 = int(0.99 * NR + 0.999999);
                                      print v[r50], v[r99], b}')
    fi
    local ticks=$((c1 - c0)) cpu_ms
    cpu_ms=$(awk -v t="$ticks" -v r="$idle_rate" -v a="$t0" -v b="$t1" -v n="$count" -v hz="$tck" \
      'BEGIN {printf "%.3f", (t - r * (b - a)) * 1000 / hz / n}')
    # The CPU against GET /metrics asked the same way (the first row of each mode).
    [[ -n ${metrics_cpu[$mode]:-} ]] || metrics_cpu[$mode]=$cpu_ms
    live_rows+=("| $label | $count | $cpu_ms | $(awk -v a="$cpu_ms" -v b="${metrics_cpu[$mode]}" 'BEGIN {if (b > 0) printf "%.1f×", a / b; else print "–"}') | $(awk -v a="$p50" -v b="$p99" 'BEGIN {printf "%.2f / %.2f", a / 1000, b / 1000}') | $(awk -v b="$bytes" 'BEGIN {printf "%.1f KiB", b / 1024}') |")
    live_raw+=("$label: $count requests in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s, farrier $ticks ticks (idle rate $idle_rate ticks/s subtracted; 1 tick = $((1000 / tck)) ms), p50 ${p50} µs, p99 ${p99} µs, $bytes bytes per answer, Content-Encoding $encoding")
  }
  declare -A metrics_cpu=()
  log "live: measuring (idle rate $idle_rate ticks/s)"
  row "GET /metrics" plain /metrics
  row "GET /metrics, gzip" gzip /metrics
  row "GET / (status page)" plain /
  row "GET /, gzip" gzip /
  row "GET /api/v1/scaling (baseline)" plain /api/v1/scaling
  row "GET /api/v1/scaling, gzip" gzip /api/v1/scaling
  rss=$(status_kb "$fpid" VmRSS); hwm=$(status_kb "$fpid" VmHWM)
  live_head="Farrier with 1 service (3 sample workers × 4 slots, the load generator alternating 100 and 450 requests/s each minute, probes every 500 ms) and 1 consumer (ORDERS / worker), polling every 2 s (a history slot per max(poll interval, 5 s)), after ${fill_seconds} s of history: the longest chart line has $points points of 180, $polylines chart lines on the page. farrier RSS $(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}') MB, peak $(awk -v k="$hwm" 'BEGIN {printf "%.1f", k / 1024}') MB after the rows."
  rev=()
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do rev+=("${pids[i]}"); done
  stop "${rev[@]}"  # farrier first, nats-server last
fi

# ---------------------------------------------------------------- results
commit="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "no git")${commit_note:+ $commit_note}"
{
  echo "# Status page bench, $(date +%F)"
  echo
  echo "\`bench/status-page.sh$( ((${#args[@]})) && printf ' %q' "${args[@]}")\`. Machine: $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)),"
  echo "load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; $((SECONDS - t_start)) s."
  echo "Commit $commit; farrier sha256 $(sha256sum "$farrier" | cut -d' ' -f1)"
  echo "($("$farrier" --version 2>&1 | head -1)); $(nats-server --version 2>&1 | head -1)."
  echo
  echo "## Microbench: \`status_page_bench\` (bench/status_page.cc)"
  echo
  echo "A StatusHistory filled through Record() with 200 polls 5 s apart (every ring full), figures"
  echo "varying (sine + noise), one process per case with farrier's allocator settings; CPU from"
  echo "CLOCK_THREAD_CPUTIME_ID; gzip at zlib's default level, as cpp-httplib compresses an answer."
  echo "Baseline: the same ScalingSnapshot rendered as the /api/v1/scaling JSON (ScalingJson)."
  echo
  cat "$work/micro.md"
  if ((live)); then
    echo
    echo "## Live: GET / against GET /metrics"
    echo
    echo "$live_head"
    echo "CPU: farrier's utime+stime from /proc/<pid>/stat around each row, minus its idle rate"
    echo "(polls and probes, measured over ${idle_window} s with no requests), divided by the requests."
    echo "Latency: plain rows from bench/scrape (keep-alive), gzip rows from one \`curl --compressed\`"
    echo "(keep-alive, time_total); both from this machine's loopback."
    echo
    echo "| request | requests | farrier CPU ms per request (above idle) | CPU ÷ GET /metrics (same encoding) | p50 / p99 ms | answer size |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${live_rows[@]}"
    echo
    echo "Raw:"
    printf -- '- %s\n' "${live_raw[@]}"
  fi
} >"$work/results.md"
cat "$work/results.md"
[[ -z $out ]] || { cp "$work/results.md" "$out"; log "results in $out"; }
