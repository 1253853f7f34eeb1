#!/usr/bin/env bash
# Farrier benchmark: scrape latency, CPU per poll (farrier vs nats-server), memory, correctness,
# against a real nats-server holding N idle client connections. See bench/README.md.
#
# usage: bench/run.sh [options] [N ...]            (default N: 1000 10000)
#   --page-sizes LIST   comma-separated --connz.page-size values to run per N (default 1024,4096,10000;
#                       a size that gives the same page count as an earlier one is skipped)
#   --interval SEC      farrier --poll.interval in whole seconds (default 2; timeout = SEC-0.1s)
#   --polls K           polls per CPU window (default: 20 for N < 5000, else 10; CPU time is
#                       counted in 10 ms ticks, so small N needs more polls to resolve)
#   --requests R        timed /metrics requests per row and mode (default 2000, after 50
#                       warm-up; each mode stops early after --scrape-seconds, default 15)
#   --build-dir DIR     CMake build directory (default <repo>/build)
#   --no-build          use the binaries in the build directory as they are
#   --farrier PATH      benchmark this farrier binary instead of <build-dir>/exporter/farrier
#                       (e.g. a patched build to compare; natskit still comes from <build-dir>)
#   --profile           also perf-record farrier for 2 polls per row (after the measurements,
#                       so it does not disturb them) and write the top symbols next to --out
#   --out FILE          results file (default bench/results-<YYYY-MM-DD>.md)
#   --time-limit SEC    abort (and clean up) if the measurements take longer (default 420; with
#                       --peers, 420 plus an estimate of the peer tables)
#   --peers DIR         after farrier's rows for each N, a peers table against the same server and
#                       clients: prometheus-nats-exporter (-connz -varz) and/or nats-surveyor
#                       (over the server's system account), whichever DIR holds, next to farrier
#                       as deployed (5 s poll) and polling at the scrape interval
#   --build-peers       the same with prometheus-nats-exporter built from the Go module proxy
#                       (pinned by bench/peers/go.mod), unless DIR has one; the proxy refuses
#                       nats-surveyor, so only --peers DIR adds it (bench/README.md)
#   --peer-window SEC   CPU window per tool in the peers table (default 60)
#   --scrape-interval S scrape (gzip) every S seconds inside that window (default 15, Prometheus')
#   --peer-requests R   timed /metrics requests per latency test in the peers table (default
#                       200; one scraper, then two at once, each test 20 s at most)
#
# Needs root on a fresh Debian 12 for apt (only when something is missing). Every process it
# starts is stopped by PID on exit, also on failure or Ctrl-C.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

args=("$@")
ns=()
page_sizes=1024,4096,10000
interval=2
polls=auto
requests=2000
scrape_seconds=15
build_dir=$REPO/build
do_build=1
profile=0
farrier_override=
out=
time_limit=
peers_dir=
build_peers=0
peer_window=60
scrape_interval=15
peer_requests=200
while (($#)); do
  case $1 in
    --page-sizes) page_sizes=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --polls) polls=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --scrape-seconds) scrape_seconds=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --farrier) farrier_override=$2; shift 2 ;;
    --profile) profile=1; shift ;;
    --out) out=$2; shift 2 ;;
    --time-limit) time_limit=$2; shift 2 ;;
    --peers) peers_dir=$2; shift 2 ;;
    --build-peers) build_peers=1; shift ;;
    --peer-window) peer_window=$2; shift 2 ;;
    --scrape-interval) scrape_interval=$2; shift 2 ;;
    --peer-requests) peer_requests=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [[ $1 =~ ^[0-9]+$ && $1 -gt 0 ]] || { echo "run.sh: N must be a positive integer, got $1" >&2; exit 2; }
       ns+=("$1"); shift ;;
  esac
done
((${#ns[@]})) || ns=(1000 10000)
[[ $interval =~ ^[0-9]+$ && $interval -ge 1 ]] || { echo "run.sh: --interval takes whole seconds >= 1" >&2; exit 2; }
[[ $polls == auto ]] || [[ $polls =~ ^[0-9]+$ && $polls -ge 2 ]] || { echo "run.sh: --polls must be >= 2" >&2; exit 2; }
for v in peer_window scrape_interval peer_requests; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || { echo "run.sh: --${v//_/-} takes a positive integer" >&2; exit 2; }
done
((scrape_interval <= peer_window)) || { echo "run.sh: --scrape-interval must not exceed --peer-window" >&2; exit 2; }
[[ -z $peers_dir || -d $peers_dir ]] || { echo "run.sh: --peers $peers_dir is not a directory" >&2; exit 2; }
IFS=, read -r -a page_list <<<"$page_sizes"
out=${out:-$BENCH_DIR/results-$(date +%F).md}

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# ---------------------------------------------------------------- dependencies (Debian 12, apt)
need=(g++ nats-server curl procps gawk)
((profile)) && need+=(linux-perf)
# shellcheck source=../scripts/lib.sh
source "$REPO/scripts/lib.sh"  # ensure_packages, free_port, wait_http, start_bg, terminate_pids, start_run_lifecycle, stop
ensure_packages "${need[@]}"

farrier=$build_dir/exporter/farrier
natskit=$build_dir/tests/tools/natskit
if ((do_build)); then bench_build "$build_dir" farrier natskit; fi
if [[ -n $farrier_override ]]; then
  farrier=$(cd "$(dirname "$farrier_override")" && pwd)/$(basename "$farrier_override")
  build_type="$(awk -F= '/^CMAKE_BUILD_TYPE:/{print $2}' "$(dirname "$farrier")/../CMakeCache.txt" 2>/dev/null || true)"
fi
[[ -x $farrier && -x $natskit ]] || die "no farrier/natskit in $build_dir (drop --no-build, or build them)"
[[ -n $farrier_override ]] ||
  build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/{print $2}' "$build_dir/CMakeCache.txt" 2>/dev/null || true)

# Peers (--peers DIR, --build-peers): see bench_peers in scripts/lib.sh. Farrier is in the peers
# table twice: as deployed (its default 5 s poll, whatever the scrapes) and polling once per
# scrape interval, the cadence at which a peer polls the server under one Prometheus.
farrier_default_poll=5  # farrier's default --poll.interval, in seconds
peer_tools=()
declare -A PEER_BIN=()
if [[ -n $peers_dir ]] || ((build_peers)); then
  peer_tools=(farrier)
  ((scrape_interval == farrier_default_poll)) || peer_tools+=(farrier-matched)
  while read -r peer path; do
    peer_tools+=("$peer")
    PEER_BIN[$peer]=$path
  done < <(bench_peers "$peers_dir" "$build_peers" "$build_dir")
  ((${#PEER_BIN[@]})) || die "no peer to run: neither prometheus-nats-exporter nor nats-surveyor"
fi
# The surveyor reads the server over NATS, from the system account: only then does the server get
# accounts (the clients in APP, its default user's, so natskit connects as before).
sys_account=0
[[ -z ${PEER_BIN[nats-surveyor]:-} ]] || sys_account=1
if [[ -z $time_limit ]]; then
  # Per N: an idle baseline and, per tool, its window plus start-up and two latency tests (20 s
  # at most each).
  time_limit=$((420 + (${#peer_tools[@]} ? ${#ns[@]} * (peer_window + ${#peer_tools[@]} * (peer_window + 70)) : 0)))
fi


work=$(mktemp -d /tmp/farrier-bench.XXXXXX)
scrape=$work/scrape
g++ -O2 -std=c++17 -o "$scrape" "$BENCH_DIR/scrape.cc"

# ---------------------------------------------------------------- process bookkeeping
declare -A NAME_OF=()
pids=()  # every background process still running, in start order (see start_run_lifecycle)
start_run_lifecycle "$time_limit"

# ---------------------------------------------------------------- helpers
tck=$(getconf CLK_TCK)
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }  # utime+stime
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
metric() {  # metric FILE SAMPLE -> value of the sample written exactly so (name and labels)
  awk -v n="$2" '$1 == n {print $2; found = 1} END {if (!found) print "missing"}' "$1"
}
polls_now() {  # nats_exporter_polls_total from one scrape
  { curl -s --max-time 2 "http://127.0.0.1:$1/metrics" || true; } |
    awk '$1 == "nats_exporter_polls_total" {print $2 + 0; f = 1} END {if (!f) print -1}'
}
wait_polls_at_least() {  # PORT TARGET TIMEOUT_S -> prints the count reached
  local port=$1 target=$2 limit=$3 p deadline
  deadline=$(($(date +%s%N) + limit * 1000000000))
  while :; do
    p=$(polls_now "$port")
    ((p >= target)) && { echo "$p"; return 0; }
    (($(date +%s%N) > deadline)) && { echo "$p"; return 1; }
    sleep 0.02
  done
}
now_s() { date +%s.%N; }
fmt() { awk -v v="$1" -v d="${2:-2}" 'BEGIN {printf "%.*f", d, v}'; }


# fds: nats-server and natskit each hold one per connection.
max_n=0
for n in "${ns[@]}"; do ((n > max_n)) && max_n=$n; done
want_fds=$((max_n + 1024))
if [[ $(ulimit -Sn) != unlimited ]] && (($(ulimit -Sn) < want_fds)); then
  ulimit -n "$want_fds" 2>/dev/null ||  # raising the hard limit needs root
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
fds=$(ulimit -Sn)
[[ $fds == unlimited ]] || ((fds >= want_fds)) ||
  die "open-file limit is $fds (hard $(ulimit -Hn)); N=$max_n needs >= $want_fds: raise the hard limit (ulimit -Hn) or use a smaller N"

# What was measured: the tree may hold uncommitted work, so say so, and fingerprint the binary.
git_state=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "no git")
dirty=$({ git -C "$REPO" status --porcelain -- exporter CMakeLists.txt 2>/dev/null || true; } | wc -l)
((dirty == 0)) || git_state+=" + $dirty uncommitted change(s) under exporter/"
farrier_sum=$(sha256sum "$farrier" | cut -c1-12)
farrier_built=$(date -r "$farrier" '+%F %T')
nats_version=$(nats-server --version 2>&1 | head -1)
farrier_version=$("$farrier" --version 2>&1 | head -1)
peer_fingerprints=()
for t in "${!PEER_BIN[@]}"; do
  peer_fingerprints+=("$t $("${PEER_BIN[$t]}" --version 2>&1 | head -1 | tr -d '\n' || true), sha256 $(sha256sum "${PEER_BIN[$t]}" | cut -c1-16)")
done
((${#peer_tools[@]} == 0)) || {
  peer_fingerprints+=("farrier $farrier_version, sha256 $(sha256sum "$farrier" | cut -c1-16)" "$nats_version, $(command -v nats-server)")
  log "peers table after each N: ${peer_tools[*]} | window ${peer_window}s, a scrape every ${scrape_interval}s | time limit ${time_limit}s"
}
log "farrier: $farrier_version ($build_type) | $nats_version | N: ${ns[*]} | page sizes: $page_sizes | interval ${interval}s x $polls polls per window | $requests requests | fd limit $fds"

rows=()
details=()
checks=()
failures=()
profiles=()

# ---------------------------------------------------------------- one N
# idle_ticks PID SECONDS: "TICKS_PER_S TICKS0 TICKS1 T0 T1", the process's CPU over SECONDS of
# sleep: the server's own use with nothing polling it, subtracted from the windows after.
idle_ticks() {
  local t0 t1 c0 c1
  t0=$(now_s); c0=$(cpu_ticks "$1")
  sleep "$2"
  t1=$(now_s); c1=$(cpu_ticks "$1")
  echo "$(awk -v d=$((c1 - c0)) -v a="$t0" -v b="$t1" 'BEGIN {print d / (b - a)}') $c0 $c1 $t0 $t1"
}

run_n() {
  local n=$1
  local polls=$polls
  [[ $polls != auto ]] || { ((n < 5000)) && polls=20 || polls=10; }
  local ports cport mport
  ports=$("$natskit" free-port --count 2)
  cport=$(sed -n 1p <<<"$ports")
  mport=$(sed -n 2p <<<"$ports")
  # ping_interval far beyond the run: 10,000 idle clients connected within a second would
  # otherwise all be PINGed in the same second every 2 minutes, a burst that lands in one CPU
  # window and not another.
  cat >"$work/nats-$n.conf" <<EOF
listen: "127.0.0.1:$cport"
http: "127.0.0.1:$mport"
ping_interval: "30m"
EOF
  if ((sys_account)); then
    cat >>"$work/nats-$n.conf" <<EOF
accounts {
  SYS { users: [{ user: sys, password: sys }] }
  APP { users: [{ user: app, password: app }] }
}
system_account: SYS
no_auth_user: app
EOF
  fi
  start_bg "nats-server(N=$n)" "$work/nats-$n.out" "$work/nats-$n.log" nats-server -c "$work/nats-$n.conf"
  local srv=$LAST_PID
  wait_http "http://127.0.0.1:$mport/healthz" 10 || die "nats-server did not start (see $work/nats-$n.log)"

  log "N=$n: opening $n idle connections (--subs 2)"
  start_bg "natskit(N=$n)" "$work/kit-$n.out" "$work/kit-$n.err" \
    "$natskit" idle-conns --url "nats://127.0.0.1:$cport" --count "$n" --subs 2 --timeout 120
  local kit=$LAST_PID t_end=$((SECONDS + 150))
  until grep -q "^ready $n\$" "$work/kit-$n.out" 2>/dev/null; do
    kill -0 "$kit" 2>/dev/null || die "natskit exited: $(tail -3 "$work/kit-$n.err")"
    ((SECONDS < t_end)) || die "natskit not ready after 150 s"
    sleep 0.1
  done
  local total
  total=$(curl -s "http://127.0.0.1:$mport/connz?limit=1" | awk -F'[:,]' '/"total"/ {gsub(/ /, "", $2); print $2; exit}')
  [[ $total == "$n" ]] || die "nats-server reports $total client connections, expected $n"

  # Idle baseline: the server with N idle clients and nothing polling it. The connect burst
  # leaves a few seconds of garbage collection behind; wait until the server is quiet first.
  local window=$((interval * polls))
  # (quiet = at most 1 tick in 3 s; gives up after 30 s and measures anyway)
  local quiet=()
  for _ in $(seq 1 30); do
    quiet+=("$(cpu_ticks "$srv")")
    ((${#quiet[@]} >= 4 && quiet[-1] - quiet[-4] <= 1)) && break
    sleep 1
  done
  log "N=$n: idle server baseline over ${window}s (no farrier)"
  local i0 i1 it0 it1 idle_rate
  read -r idle_rate i0 i1 it0 it1 < <(idle_ticks "$srv" "$window")

  local prev_pages=-1 ps
  for ps in "${page_list[@]}"; do
    local pages_expected=$(((n + ps - 1) / ps))
    if ((pages_expected == prev_pages)); then
      log "N=$n: page size $ps reads the same $pages_expected page(s) as the previous size; skipped"
      continue
    fi
    prev_pages=$pages_expected
    run_row "$n" "$ps" "$srv" "$mport" "$idle_rate" "$((i1 - i0))" "$(fmt "$(awk -v a="$it0" -v b="$it1" 'BEGIN {print b - a}')" 1)"
  done
  ((${#peer_tools[@]} == 0)) || run_peers "$n" "$srv" "$cport" "$mport"
  stop "$kit" "$srv"
}

# ---------------------------------------------------------------- one farrier configuration
run_row() {
  local n=$1 ps=$2 srv=$3 mport=$4 idle_rate=$5 idle_ticks=$6 idle_window=$7
  local fport
  fport=$("$natskit" free-port --count 1)
  local tag="n$n-p$ps"
  start_bg "farrier(N=$n,page=$ps)" "$work/farrier-$tag.out" "$work/farrier-$tag.log" \
    "$farrier" --nats.monitor-url "http://127.0.0.1:$mport" --web.listen-address "127.0.0.1:$fport" \
    --poll.interval "${interval}s" --poll.timeout "$((interval * 1000 - 100))ms" \
    --connz.page-size "$ps" --log.level info
  local far=$LAST_PID
  wait_http "http://127.0.0.1:$fport/healthz" 10 || die "farrier did not start (see $work/farrier-$tag.log)"
  # Two polls first: the first one sizes buffers and the allocator's arenas.
  wait_polls_at_least "$fport" 2 $((interval * 3 + 5)) >/dev/null || die "farrier did not complete 2 polls"

  # CPU window aligned on poll completions: starts right after poll p0 ends, ends right after poll
  # p0+K ends, so it holds exactly K whole polls. No scrapes inside, except the few that detect
  # the end (cheap; they hit farrier only, never nats-server).
  log "N=$n page=$ps: CPU over $polls polls"
  local p p0 p1 f0 f1 s0 s1 t0 t1
  p=$(polls_now "$fport")
  p0=$(wait_polls_at_least "$fport" $((p + 1)) $((interval * 2 + 5))) || die "farrier stopped polling"
  f0=$(cpu_ticks "$far"); s0=$(cpu_ticks "$srv"); t0=$(now_s)
  sleep "$(awk -v w=$((interval * polls)) 'BEGIN {print w - 0.5}')"
  p1=$(wait_polls_at_least "$fport" $((p0 + polls)) $((interval * 2 + 5))) || die "farrier stopped polling"
  f1=$(cpu_ticks "$far"); s1=$(cpu_ticks "$srv"); t1=$(now_s)
  local k=$((p1 - p0))
  local rss_polls hwm_polls
  rss_polls=$(status_kb "$far" VmRSS)
  hwm_polls=$(status_kb "$far" VmHWM)
  local win far_ms srv_raw_ms srv_idle_ms srv_ms ratio
  win=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
  far_ms=$(awk -v d=$((f1 - f0)) -v k=$k -v t="$tck" 'BEGIN {print d * 1000 / t / k}')
  srv_raw_ms=$(awk -v d=$((s1 - s0)) -v k=$k -v t="$tck" 'BEGIN {print d * 1000 / t / k}')
  srv_idle_ms=$(awk -v r="$idle_rate" -v w="$win" -v k=$k -v t="$tck" 'BEGIN {print r * w * 1000 / t / k}')
  srv_ms=$(awk -v a="$srv_raw_ms" -v b="$srv_idle_ms" 'BEGIN {print a - b}')
  # A server cost below what the ticks resolve gives no ratio: say so instead of printing 0 or inf.
  ratio=$(awk -v f="$far_ms" -v s="$srv_ms" -v k=$k -v t="$tck" 'BEGIN {
      if (s * k * t / 1000 >= 2) print f / s; else print "n/a" }')
  # +-1 tick on each reading: the range the ratio can be in from tick rounding alone.
  local ratio_range
  ratio_range=$(awk -v f=$((f1 - f0)) -v s=$((s1 - s0)) -v i="$srv_idle_ms" -v k=$k -v t="$tck" 'BEGIN {
      si = i * k * t / 1000; lo = (s + 1 - si); hi = (s - 1 - si)
      printf "%.2f-%s", (f > 0 ? f - 1 : 0) / lo, ((hi > 0) ? sprintf("%.2f", (f + 1) / hi) : "inf") }')

  # Scrape latency: sequential keep-alive GETs while farrier keeps polling in the background.
  log "N=$n page=$ps: $requests timed /metrics requests"
  local sc body=$work/metrics-$tag.txt
  sc=$("$scrape" --max-seconds "$scrape_seconds" "$fport" /metrics "$requests" 50 "$body") || die "scrape client failed"
  local sc2 f50 f99
  sc2=$("$scrape" --fresh --max-seconds "$scrape_seconds" "$fport" /metrics "$requests" 50) || die "scrape client (--fresh) failed"
  f50=$(sed -E 's/.*p50_us=([^ ]+).*/\1/' <<<"$sc2")
  f99=$(sed -E 's/.*p99_us=([^ ]+).*/\1/' <<<"$sc2")
  local p50 p90 p99 pmax mean bytes connects count count2
  count=$(sed -E 's/.*count=([^ ]+).*/\1/' <<<"$sc")
  count2=$(sed -E 's/.*count=([^ ]+).*/\1/' <<<"$sc2")
  p50=$(sed -E 's/.*p50_us=([^ ]+).*/\1/' <<<"$sc")
  p90=$(sed -E 's/.*p90_us=([^ ]+).*/\1/' <<<"$sc")
  p99=$(sed -E 's/.*p99_us=([^ ]+).*/\1/' <<<"$sc")
  pmax=$(sed -E 's/.*max_us=([^ ]+).*/\1/' <<<"$sc")
  mean=$(sed -E 's/.*mean_us=([^ ]+).*/\1/' <<<"$sc")
  bytes=$(sed -E 's/.*bytes=([^ ]+).*/\1/' <<<"$sc")
  connects=$(sed -E 's/.*connects=([^ ]+).*/\1/' <<<"$sc")

  local rss hwm conns pages up_bad durations
  rss=$(status_kb "$far" VmRSS)
  hwm=$(status_kb "$far" VmHWM)
  conns=$(metric "$body" 'nats_connz_connections{kind="client"}')
  pages=$(metric "$body" nats_exporter_connz_pages)
  up_bad=$(awk '$1 ~ /^nats_exporter_source_up\{/ && $2 != 1 {printf "%s ", $1}' "$body")
  durations=$(awk '$1 ~ /^nats_exporter_poll_duration_seconds\{/ {
      match($1, /source="[^"]*"/); s = substr($1, RSTART + 8, RLENGTH - 9)
      printf "%s%s %.1f ms", sep, s, $2 * 1000; sep = ", " }' "$body")

  if ((profile)); then
    log "N=$n page=$ps: perf record, 2 polls"
    local pf=${out%.md}-profile-$tag.txt
    perf record -q -F 4999 --call-graph dwarf,16384 -p "$far" -o "$work/perf-$tag.data" \
      -- sleep $((interval * 2)) >/dev/null 2>&1 || true
    {
      echo "# perf: farrier N=$n --connz.page-size=$ps, 2 polls (threads started during the"
      echo "# recording are followed), $(perf report -i "$work/perf-$tag.data" --stdio 2>/dev/null |
        awk '/^# Samples:/ {print $3, "samples"; exit}')"
      echo
      echo "## Self time, top 25 (user and kernel)"
      perf report -i "$work/perf-$tag.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
        grep -E '^ +[0-9]' | sed -E 's/ {3,}-.*$//; s/nlohmann::json_abi_v[0-9_]+::/nlohmann::/g' |
        cut -c1-160 | head -25
      echo
      echo "## Inclusive time of farrier functions (children included)"
      perf report -i "$work/perf-$tag.data" --children --sort symbol --stdio -g none 2>/dev/null |
        grep -E '^ +[0-9]' | grep -E 'farrier::|nlohmann::.*(parse|sax_parse)|httplib::ClientImpl::(Get|send)$|__GI___clone|start_thread|do_syscall_64|exc_page_fault' |
        grep -v '__invoke\|_Function_handler\|_Async_state\|_M_invoke' |
        sed -E 's/ {3,}-.*$//; s/nlohmann::json_abi_v[0-9_]+::/nlohmann::/g' | cut -c1-160 | head -40
    } >"$pf" || true  # head closing its pipe early is not a failure
    profiles+=("$pf")
  fi
  stop "$far"

  local status=ok
  if [[ $conns != "$n" ]]; then
    status="FAIL: nats_connz_connections=$conns, expected $n"
    failures+=("N=$n page=$ps: $status")
    log "!!!!! $status !!!!!"
  fi
  [[ -z $up_bad ]] || { failures+=("N=$n page=$ps: sources down: $up_bad"); log "!!!!! sources down: $up_bad"; }
  [[ $pages == "$(((n + ps - 1) / ps))" ]] ||
    failures+=("N=$n page=$ps: nats_exporter_connz_pages=$pages, expected $(((n + ps - 1) / ps))")

  local ratio_cell=n/a
  [[ $ratio == n/a ]] || ratio_cell=$(fmt "$ratio" 2)
  local conns_cell=$conns
  [[ $conns == "$n" ]] || conns_cell="**$conns (FAIL, expected $n)**"
  rows+=("| $n | $ps | $(fmt "$(awk -v v="$p50" 'BEGIN {print v / 1000}')" 3) | $(fmt "$(awk -v v="$p99" 'BEGIN {print v / 1000}')" 3) | $(fmt "$far_ms" 1) | $(fmt "$srv_ms" 1) | $ratio_cell | $(fmt "$(awk -v v="$rss" 'BEGIN {print v / 1024}')" 1) | $(fmt "$(awk -v v="$hwm" 'BEGIN {print v / 1024}')" 1) | $bytes | $conns_cell | $pages | $(fmt "$(awk -v v="$f50" 'BEGIN {print v / 1000}')" 3) / $(fmt "$(awk -v v="$f99" 'BEGIN {print v / 1000}')" 3) |")
  details+=("- N=$n, page size $ps: CPU window $(fmt "$win" 1) s over $k polls; farrier $((f1 - f0)) ticks; nats-server $((s1 - s0)) ticks raw = $(fmt "$srv_raw_ms" 1) ms/poll, idle baseline $idle_ticks ticks in $idle_window s = $(fmt "$srv_idle_ms" 1) ms/poll subtracted (1 tick = $((1000 / tck)) ms; tick rounding alone allows a ratio of $ratio_range). Memory after the CPU window, before any scrape test: VmRSS $(fmt "$(awk -v v="$rss_polls" 'BEGIN {print v / 1024}')" 1) MB, VmHWM $(fmt "$(awk -v v="$hwm_polls" 'BEGIN {print v / 1024}')" 1) MB. Keep-alive scrapes: $count timed, mean $(fmt "$mean" 0) µs, p90 $(fmt "$p90" 0) µs, max $(fmt "$pmax" 0) µs, $connects TCP connects; new-connection scrapes: $count2 timed. Last poll wall time per source: $durations.")

  # Goals.
  local g_ratio g_rss
  if [[ $ratio == n/a ]]; then
    g_ratio="not measurable: the server used under 2 ticks in the window (use more --polls)"
  else
    g_ratio=$(awk -v r="$ratio" 'BEGIN {print (r <= 0.3) ? "met" : "NOT met"}')
  fi
  g_rss=$(awk -v a="$rss" -v b="$hwm" 'BEGIN {print (a <= 20480 && b <= 20480) ? "met" : "NOT met"}')
  checks+=("- N=$n, page size $ps: CPU ratio $ratio_cell (goal <= 0.30): $g_ratio; RSS $(fmt "$(awk -v v="$rss" 'BEGIN {print v / 1024}')" 1) MB, HWM $(fmt "$(awk -v v="$hwm" 'BEGIN {print v / 1024}')" 1) MB (goal <= 20 MB): $g_rss")
  if ((n == 10000)); then
    checks+=("- N=$n, page size $ps: /metrics p50 $(fmt "$(awk -v v="$p50" 'BEGIN {print v / 1000}')" 3) ms over keep-alive connections (goal <= 1 ms): $(awk -v v="$p50" 'BEGIN {print v <= 1000 ? "met" : "NOT met"}'); $(fmt "$(awk -v v="$f50" 'BEGIN {print v / 1000}')" 3) ms on a new connection per request: $(awk -v v="$f50" 'BEGIN {print v <= 1000 ? "met" : "NOT met"}')")
  fi
}

# ---------------------------------------------------------------- the peers table (--peers)
# Epoch seconds need printf: awk's print keeps 6 significant digits.
sleep_until() { sleep "$(awk -v t="$1" -v n="$(now_s)" 'BEGIN {d = t - n; printf "%.3f", (d > 0 ? d : 0)}')"; }
nz() { fmt "$@" | sed -E 's/^-(0(\.0*)?)$/\1/'; }  # fmt, without "-0" for a tiny negative (noise)
plus_s() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a + b}'; }
sc_ms() {  # sc_ms "SCRAPE OUTPUT" KEY_us -> milliseconds, 2 decimals below 10 ms
  tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {
      v = $2 / 1000; printf (v < 10 ? "%.2f" : (v < 100 ? "%.1f" : "%.0f")), v }'
}
series_value() {  # series_value FILE NAME -> the first sample of NAME, with or without labels
  awk -v n="$2" '!f && ($1 == n || index($1, n "{") == 1) {printf "%.0f\n", $2; f = 1}
      END {if (!f) print "missing"}' "$1"
}
tool_label() {
  case $1 in
    farrier) echo "farrier (poll ${farrier_default_poll}s, default)" ;;
    farrier-matched) echo "farrier (--poll.interval ${scrape_interval}s)" ;;
    *) echo "$1" ;;
  esac
}
# conn_series TOOL: NAME=SERIES pairs, the connection counts the tool exports. The peers' series
# carry a server label, so a bare name matches them.
conn_series() {
  case $1 in
    farrier*) echo 'connz=nats_connz_connections{kind="client"} varz=nats_server_connections' ;;
    prometheus-nats-exporter) echo 'connz=gnatsd_connz_num_connections connz_total=gnatsd_connz_total varz=gnatsd_varz_connections' ;;
    nats-surveyor) echo 'statsz=nats_core_connection_count' ;;
  esac
}
# start_peer_tool TOOL PORT CPORT MPORT N: each tool as a user monitoring connections deploys it.
# Farrier at its defaults (page size 4096, every source); prometheus-nats-exporter with the
# connz and varz collectors; the surveyor at its defaults (statsz) for one server, from the
# system account.
start_peer_tool() {
  local tool=$1 port=$2 cport=$3 mport=$4 n=$5
  local o=$work/$tool-n$n.out e=$work/$tool-n$n.log
  case $tool in
    farrier)
      start_bg "farrier(N=$n, default poll)" "$o" "$e" "$farrier" \
        --nats.monitor-url "http://127.0.0.1:$mport" --web.listen-address "127.0.0.1:$port" ;;
    farrier-matched)
      start_bg "farrier(N=$n, poll ${scrape_interval}s)" "$o" "$e" "$farrier" \
        --nats.monitor-url "http://127.0.0.1:$mport" --web.listen-address "127.0.0.1:$port" \
        --poll.interval "${scrape_interval}s" ;;
    prometheus-nats-exporter)
      start_bg "$tool(N=$n)" "$o" "$e" "${PEER_BIN[$tool]}" \
        -connz -varz -addr 127.0.0.1 -port "$port" "http://127.0.0.1:$mport" ;;
    nats-surveyor)
      start_bg "$tool(N=$n)" "$o" "$e" "${PEER_BIN[$tool]}" \
        -s "nats://sys:sys@127.0.0.1:$cport" -c 1 -a 127.0.0.1 -p "$port" ;;
  esac
}

peer_rows=()
peer_details=()
peer_notes=()

run_peers() {
  local n=$1 srv=$2 cport=$3 mport=$4
  # The server's own use with nothing polling it, over a window as long as each tool's, right
  # before them: subtracted from every tool's window, so the server column is what serving that
  # tool cost.
  log "N=$n: peers: idle server baseline over ${peer_window}s"
  local i0 i1 t0 t1 idle_rate
  read -r idle_rate i0 i1 t0 t1 < <(idle_ticks "$srv" "$peer_window")
  peer_details+=("- N=$n: idle server baseline $((i1 - i0)) ticks in $(fmt "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" 1) s, subtracted from each window below at that rate.")
  local tool
  for tool in "${peer_tools[@]}"; do run_peer_row "$n" "$tool" "$srv" "$cport" "$mport" "$idle_rate"; done
}

run_peer_row() {
  local n=$1 tool=$2 srv=$3 cport=$4 mport=$5 idle_rate=$6
  local label port
  label=$(tool_label "$tool")
  port=$("$natskit" free-port --count 1)
  log "N=$n: $label"
  start_peer_tool "$tool" "$port" "$cport" "$mport" "$n"
  local pid=$LAST_PID
  local body=$work/peer-$tool-n$n.txt pairs primary
  read -r -a pairs <<<"$(conn_series "$tool")"
  primary=${pairs[0]#*=}
  # Ready: a scrape exports a connection count (the peers poll on that scrape, the surveyor once
  # its NATS connection is up, farrier after its first poll). It also warms the peers up.
  local deadline=$((SECONDS + 60))
  until curl -s --max-time 30 "http://127.0.0.1:$port/metrics" -o "$body" 2>/dev/null &&
      [[ $(series_value "$body" "$primary") != missing ]]; do
    kill -0 "$pid" 2>/dev/null || die "$label exited: $(tail -3 "$work/$tool-n$n.log")"
    ((SECONDS < deadline)) || die "$label exported no $primary within 60 s (see $work/$tool-n$n.log)"
    sleep 0.5
  done

  # CPU window: a gzip scrape every --scrape-interval, on a fixed schedule as Prometheus keeps
  # it. For a peer the window is exactly --peer-window (each scrape polls the server). Farrier
  # polls on its own cadence, so its window starts right after a poll completes and ends right
  # after the poll that makes it --peer-window long completes: whole polls only.
  local poll=0 k_polls=0 p p0=0 p1=0
  if [[ $tool == farrier* ]]; then
    poll=$farrier_default_poll
    [[ $tool == farrier ]] || poll=$scrape_interval
    k_polls=$(((peer_window + poll / 2) / poll))
    ((k_polls >= 1)) || k_polls=1
    p=$(polls_now "$port")
    p0=$(wait_polls_at_least "$port" $((p + 1)) $((poll * 2 + 5))) || die "$label stopped polling"
  fi
  local c0 c1 s0 s1 t0 t1 k tried=0 scrapes=0 gz=0
  c0=$(cpu_ticks "$pid"); s0=$(cpu_ticks "$srv"); t0=$(now_s)
  for ((k = 0; k * scrape_interval < peer_window; k++)); do
    sleep_until "$(plus_s "$t0" $((k * scrape_interval)))"
    tried=$((tried + 1))
    gz=$(curl -s --compressed --max-time "$scrape_interval" -o /dev/null -w '%{size_download}' \
      "http://127.0.0.1:$port/metrics") && scrapes=$((scrapes + 1))
  done
  if ((k_polls)); then
    sleep_until "$(plus_s "$t0" "$(awk -v w=$((k_polls * poll)) 'BEGIN {print w - 0.5}')")"
    p1=$(wait_polls_at_least "$port" $((p0 + k_polls)) $((poll * 2 + 5))) || die "$label stopped polling"
  else
    sleep_until "$(plus_s "$t0" "$peer_window")"
  fi
  c1=$(cpu_ticks "$pid"); s1=$(cpu_ticks "$srv"); t1=$(now_s)
  local win polls_min tool_min tool_scrape srv_min srv_poll tick_min
  win=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
  # Server polls a minute: farrier's own, counted; a peer's, one per scrape.
  if ((k_polls)); then
    polls_min=$(awk -v k=$((p1 - p0)) -v w="$win" 'BEGIN {print k * 60 / w}')
  else
    polls_min=$(awk -v k="$scrapes" -v w="$win" 'BEGIN {print k * 60 / w}')
  fi
  tool_min=$(awk -v d=$((c1 - c0)) -v w="$win" -v t="$tck" 'BEGIN {print d * 1000 / t * 60 / w}')
  tool_scrape=$(awk -v d=$((c1 - c0)) -v s="$scrapes" -v t="$tck" 'BEGIN {print s ? d * 1000 / t / s : 0}')
  srv_min=$(awk -v d=$((s1 - s0)) -v r="$idle_rate" -v w="$win" -v t="$tck" 'BEGIN {print (d - r * w) * 1000 / t * 60 / w}')
  srv_poll=$(awk -v m="$srv_min" -v p="$polls_min" 'BEGIN {print p ? m / p : 0}')
  tick_min=$(awk -v w="$win" -v t="$tck" 'BEGIN {print 1000 / t * 60 / w}')  # one tick, in ms/min

  # Latency: one scraper, then two at once (an HA pair of Prometheus servers), plain text.
  log "N=$n: $label: /metrics latency, one scraper then two"
  local one two_a two_b sa sb
  one=$("$scrape" --max-seconds 20 "$port" /metrics "$peer_requests" 3 "$body") || die "$label: scrape client failed"
  start_bg "scrape A ($label)" "$work/two-a" "$work/two-a.err" "$scrape" --max-seconds 20 "$port" /metrics "$peer_requests" 3
  sa=$LAST_PID
  start_bg "scrape B ($label)" "$work/two-b" "$work/two-b.err" "$scrape" --max-seconds 20 "$port" /metrics "$peer_requests" 3
  sb=$LAST_PID
  wait "$sa" || die "$label: concurrent scrape client failed: $(cat "$work/two-a.err")"
  wait "$sb" || die "$label: concurrent scrape client failed: $(cat "$work/two-b.err")"
  forget "$sa" "$sb"
  two_a=$(cat "$work/two-a"); two_b=$(cat "$work/two-b")

  # Correctness: the counts in the last body against the server's /varz, read right after it:
  # the N idle clients plus the tools' own NATS connections (the surveyor's).
  local srv_conns rss hwm
  srv_conns=$(curl -s "http://127.0.0.1:$mport/varz" | awk -F'[:,]' '/"connections"/ {gsub(/ /, "", $2); print $2; exit}')
  rss=$(status_kb "$pid" VmRSS); hwm=$(status_kb "$pid" VmHWM)
  stop "$pid"
  local cell="" pair name value bad=()
  for pair in "${pairs[@]}"; do
    name=${pair%%=*}
    value=$(series_value "$body" "${pair#*=}")
    if [[ $value == "$srv_conns" ]]; then
      cell+="${cell:+, }$name $value"
    else
      cell+="${cell:+, }**$name $value ≠**"
      bad+=("$name = $value (${pair#*=})")
    fi
  done
  if ((${#bad[@]})); then
    local what="N=$n $label exports ${bad[*]}; the server holds $srv_conns connections"
    if [[ $tool == farrier* ]]; then failures+=("$what"); log "!!!!! $what !!!!!"; else peer_notes+=("$what"); fi
  fi
  if ((scrapes < tried)); then
    local what="N=$n $label: $((tried - scrapes)) of $tried scrapes in the CPU window failed or timed out (${scrape_interval} s)"
    if [[ $tool == farrier* ]]; then failures+=("$what"); else peer_notes+=("$what"); fi
  fi
  local bytes series
  bytes=$(wc -c <"$body")
  series=$(grep -vc '^#' "$body" || true)
  peer_rows+=("| $n | $label | $(fmt "$polls_min" 0) | $(sc_ms "$one" p50_us) / $(sc_ms "$one" p99_us) | $(sc_ms "$two_a" p50_us) / $(sc_ms "$two_a" p99_us), $(sc_ms "$two_b" p50_us) / $(sc_ms "$two_b" p99_us) | $(nz "$tool_min" 0) ($(nz "$tool_scrape" 1)) | $(nz "$srv_min" 0) ($(nz "$srv_poll" 1)) | $(fmt "$(awk -v v="$rss" 'BEGIN {print v / 1024}')" 1) / $(fmt "$(awk -v v="$hwm" 'BEGIN {print v / 1024}')" 1) | $bytes ($gz gzip), $series | $cell | $srv_conns (N + $((srv_conns - n))) |")
  local polls_note=""
  ((k_polls == 0)) || polls_note=", $((p1 - p0)) polls of its own"
  peer_details+=("- N=$n $label: CPU window $(fmt "$win" 1) s, $scrapes of $tried scrapes answered$polls_note; tool $((c1 - c0)) ticks; nats-server $((s1 - s0)) ticks, $(fmt "$(awk -v r="$idle_rate" -v w="$win" 'BEGIN {print r * w}')" 1) of them idle (1 tick = $(fmt "$tick_min" 0) ms/min here: one tick either way on each reading). Scrapes: one[$one] two[$two_a] [$two_b]")
}

# CPU per poll is CPU time, not wall time, yet it still moves when other work competes for the
# two cores (caches, frequency, thread wake-ups): say how busy the machine was.
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
awk -v l="${load_start%% *}" 'BEGIN {exit !(l > 0.5)}' &&
  log "warning: load average is $load_start before the run; other work on this machine will add noise"
started=$SECONDS
for n in "${ns[@]}"; do run_n "$n"; done
elapsed=$((SECONDS - started))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

peer_header="| N | tool | server polls/min | scrape p50 / p99 ms | two scrapers p50 / p99 ms | tool CPU ms/min (per scrape) | server CPU ms/min above idle (per poll) | RSS / peak MB | /metrics bytes (gzip), series | connections exported | server /varz connections |
|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"
accounts_note=
((sys_account == 0)) || accounts_note="; for the surveyor the server has accounts (SYS, the system account, and APP, the clients'), for the rows above too"
peer_how="\`bench/run.sh${args[*]:+ ${args[*]}}\`. Each tool alone, in turn, against the same nats-server and the same N idle clients as the rows above, after them${accounts_note}. \
Fair comparison: the peers poll the server when scraped (each scrape waits for that poll), farrier polls in the background whatever the scrapes; so every tool is scraped with gzip every ${scrape_interval} s, on a fixed schedule as Prometheus does, for ${peer_window} s, and its CPU and the server's are given per minute at that interval. \
A peer's server polls are its scrapes: $((60 / scrape_interval)) a minute with one Prometheus, twice as many with an HA pair (the two-scraper latency test), while farrier's stay the same. \
'farrier (poll ${farrier_default_poll}s, default)' is farrier as deployed; '--poll.interval ${scrape_interval}s' polls as often as a peer does under one Prometheus: the like-for-like cost, for data up to ${scrape_interval} s old. \
Server CPU: nats-server's utime+stime in the window minus its idle use (a ${peer_window} s baseline with nothing polling, just before the tools): what serving that tool cost it; per poll = per minute / polls a minute. \
Flags: farrier --nats.monitor-url only (page size 4096, every source); prometheus-nats-exporter -connz -varz; nats-surveyor -c 1 over the system account SYS (its default collectors; the clients are in account APP). \
Latency: ${peer_requests} plain keep-alive requests (20 s at most) with bench/scrape.cc, one scraper, then two at once. \
Connections: each count the tool exports, against the server's /varz connections read right after the tool's last scrape (N idle clients plus the tool's own NATS connections); a count that differs is marked ≠, listed below for a peer and a failure for farrier. \
CPU is counted in 10 ms ticks: the details give the raw ticks."
header="| N | page size | metrics p50 ms | p99 ms | farrier CPU/poll ms | server CPU/poll ms | ratio | RSS MB | HWM MB | /metrics bytes | connz_connections | connz pages | new-conn p50 / p99 ms |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
{
  echo "# Farrier bench results, $(date '+%F %T %Z')"
  echo
  echo "Code: $git_state; farrier binary sha256 $farrier_sum..., built $farrier_built."
  echo "Machine: $(nproc) cores, $(uname -r); $nats_version; farrier $farrier_version (CMAKE_BUILD_TYPE=${build_type:-unset in CMakeCache.txt, so the project default RelWithDebInfo})."
  echo "Poll interval ${interval}s, CPU over ${polls/auto/20 (N < 5000) or 10} polls per row; $requests timed /metrics requests per mode with bench/scrape.cc (p50/p99: keep-alive connections; last column: a new TCP connection per request). Measurements took ${elapsed}s; load average $load_start at the start, $load_end at the end (the bench itself adds about 1)."
  echo
  echo "$header"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Goals:"
  echo
  printf '%s\n' "${checks[@]}"
  echo
  echo "Details:"
  echo
  printf '%s\n' "${details[@]}"
  if ((${#failures[@]})); then
    echo
    echo "FAILURES:"
    echo
    printf -- '- %s\n' "${failures[@]}"
  fi
  echo
  if ((${#peer_tools[@]})); then
    echo "## Peers"
    echo
    echo "$peer_how"
    echo
    echo "$peer_header"
    printf '%s\n' "${peer_rows[@]}"
    if ((${#peer_notes[@]})); then
      echo
      echo "Peer findings (reported, not failures):"
      echo
      printf -- '- %s\n' "${peer_notes[@]}"
    fi
    echo
    echo "Peer details:"
    echo
    printf '%s\n' "${peer_details[@]}"
    echo
    echo "Binaries:"
    echo
    printf -- '- %s\n' "${peer_fingerprints[@]}"
  else
    echo "Peer baseline (prometheus-nats-exporter, measured earlier on this machine kind at N=10,000, not re-run here: it cannot be downloaded in this environment): median scrape 86-112 ms, 54-69 ms exporter CPU per scrape, 17 MB RSS, reports only 1,024 connections (never pages /connz)."
  fi
} >"$out"

echo
echo "$header"
printf '%s\n' "${rows[@]}"
echo
printf '%s\n' "${checks[@]}"
echo
if ((${#peer_tools[@]})); then
  echo "$peer_header"
  printf '%s\n' "${peer_rows[@]}"
  echo
  ((${#peer_notes[@]} == 0)) || { printf -- '- %s\n' "${peer_notes[@]}"; echo; }
fi
log "results written to $out (measurements ${elapsed}s)"
((${#profiles[@]})) && log "profiles: ${profiles[*]}"
if ((${#failures[@]})); then
  printf '\n!!!!! BENCH FAILED !!!!!\n' >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
