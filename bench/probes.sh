#!/usr/bin/env bash
# Farrier probe bench (issue 3): what request/reply probing costs farrier in CPU and memory at
# 10 and 100 probes/s, and how close farrier's probe latency is to the load generator's own
# client-side latency and to the worker-side service time. See bench/README.md ("Probe bench").
#
# usage: bench/probes.sh [options]
#   --window SEC          CPU window of the overhead part, after the warm-up (default 30)
#   --warmup SEC          warm-up before the CPU window (default 5)
#   --service-times LIST  worker service times of the accuracy part (default 1ms,20ms)
#   --load-rate R         farrier-loadgen requests/s, evenly spaced (default 50)
#   --load-seconds S      duration of one load generator run (default 20)
#   --probe-interval D    farrier's probe interval in the accuracy part (default 50ms)
#   --build-dir DIR       CMake build directory (default $BUILD_DIR, else <repo>/build)
#   --no-build            use the binaries in the build directory as they are
#   --farrier PATH        bench this farrier binary (the samples still come from --build-dir)
#   --out FILE            results file (default bench/results-probes-<YYYY-MM-DD>.md)
#   --time-limit SEC      abort (and clean up) if the run takes longer (default 420)
#
# Environment: BUILD_DIR=DIR is the same as --build-dir DIR (the option wins).
#
# Exits 1 only when the bench could not run properly (a process did not start, probes or
# requests were not answered); missed goals are reported, not failures. Needs root on a fresh
# Debian 12 for apt (only when something is missing). Every process it starts is stopped by PID
# on exit, also on failure or Ctrl-C.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

window=30
warmup=5
service_times=1ms,20ms
load_rate=50
load_seconds=20
probe_interval=50ms
build_dir=${BUILD_DIR:-$REPO/build}
do_build=1
farrier_override=
out=
time_limit=420
while (($#)); do
  case $1 in
    --window) window=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --service-times) service_times=$2; shift 2 ;;
    --load-rate) load_rate=$2; shift 2 ;;
    --load-seconds) load_seconds=$2; shift 2 ;;
    --probe-interval) probe_interval=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --farrier) farrier_override=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --time-limit) time_limit=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "probes.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in window warmup load_seconds; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || { echo "probes.sh: --${v//_/-} takes whole seconds >= 1" >&2; exit 2; }
done
[[ $load_rate =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "probes.sh: --load-rate takes a number" >&2; exit 2; }
# Durations as the samples and farrier spell them; converted to microseconds here.
dur_us() {
  awk -v d="$1" 'BEGIN {
      if (match(d, /^[0-9]+([.][0-9]+)?(us|ms|s)$/) == 0) exit 1
      n = d + 0; u = substr(d, length(d) - 1)
      if (u == "us") f = 1; else if (u == "ms") f = 1000; else f = 1000000
      printf "%d\n", n * f }'
}
IFS=, read -r -a t_list <<<"$service_times"
for t in "${t_list[@]}"; do
  dur_us "$t" >/dev/null || { echo "probes.sh: --service-times: bad duration $t (use us, ms or s)" >&2; exit 2; }
done
dur_us "$probe_interval" >/dev/null || { echo "probes.sh: --probe-interval: bad duration" >&2; exit 2; }
out=${out:-$BENCH_DIR/results-probes-$(date +%F).md}

log() { printf '[probes %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# ---------------------------------------------------------------- dependencies (Debian 12, apt)
need=(g++ nats-server curl procps gawk libnats-dev)
# shellcheck source=../scripts/lib.sh
source "$REPO/scripts/lib.sh"  # ensure_packages, free_port, wait_http, start_bg, terminate_pids, start_run_lifecycle, stop
ensure_packages "${need[@]}"

farrier=$build_dir/exporter/farrier
worker_bin=$build_dir/exporter/samples/farrier-sample-worker
loadgen_bin=$build_dir/exporter/samples/farrier-loadgen
if ((do_build)); then bench_build "$build_dir" farrier farrier-sample-worker farrier-loadgen; fi
[[ -z $farrier_override ]] || farrier=$(cd "$(dirname "$farrier_override")" && pwd)/$(basename "$farrier_override")
for b in "$farrier" "$worker_bin" "$loadgen_bin"; do
  [[ -x $b ]] || die "missing $b (drop --no-build, or build it)"
done
# The accuracy part compares like for like only if the samples send each message at once, as
# farrier does (natsOptions_SetSendAsap, exporter/samples/common.h); samples built before that
# change wait 0-1 ms in libnats' flusher on every publish.
for b in "$worker_bin" "$loadgen_bin"; do
  grep -qa natsOptions_SetSendAsap "$b" || die "$b does not call natsOptions_SetSendAsap: rebuild the samples"
done
build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/{print $2}' "$build_dir/CMakeCache.txt" 2>/dev/null || true)


# Listening ports below the kernel's ephemeral range: lib.sh's free_port picks from 20000-60000,
# where an outgoing connection (farrier connects to NATS before it listens) can take the same
# number as its local port between the check and the bind.
eph_low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
listen_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((10000 + RANDOM % (eph_low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  die "no free port found below $eph_low"
}

work=$(mktemp -d /tmp/farrier-probes.XXXXXX)

# ---------------------------------------------------------------- process bookkeeping
declare -A NAME_OF=()  # read by terminate_pids (scripts/lib.sh)
pids=()  # every background process still running, in start order (see start_run_lifecycle)
start_run_lifecycle "$time_limit"


# ---------------------------------------------------------------- helpers
tck=$(getconf CLK_TCK)
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }  # utime+stime, all threads
sys_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $13}'; }        # stime (kernel) alone
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
now_s() { date +%s.%N; }
fmt() { awk -v v="$1" -v d="${2:-2}" 'BEGIN {printf "%.*f", d, v}'; }
scrape() { curl -s --max-time 5 "http://127.0.0.1:$1/metrics" >"$2" || die "cannot scrape farrier on port $1"; }
# value FILE SERIES: the sample whose name{labels} is exactly SERIES (0 when absent)
value() { awk -v s="$2" '$1 == s {print $2 + 0; f = 1} END {if (!f) print 0}' "$1"; }
# sum_family FILE NAME [SERVICE]: sum of one family's series (of one service, or of all).
sum_family() {
  awk -v n="$2" -v svc="${3:+service=\"$3\"}" 'index($1, n "{") == 1 && (svc == "" || index($1, svc)) {s += $2}
    END {print s + 0}' "$1"
}

# hist_delta M0 M1 SERVICE -> "le cumulative" lines of the bucket deltas between two scrapes,
# ascending, +Inf last.
hist_delta() {
  local name=nats_service_request_duration_seconds_bucket
  awk -v n="$name{service=\"$3\",le=\"" '
    index($1, n) == 1 { le = substr($1, length(n) + 1); sub(/"}$/, "", le)
                        if (FNR == NR) a[le] = $2; else print le, $2 - a[le] }' "$1" "$2" |
    awk '{print ($1 == "+Inf" ? "inf" : $1), $2}' | sort -g | sed 's/^inf /+Inf /'
}
# quantile Q < hist_delta output -> "value where" like histogram_quantile: linear interpolation
# inside the bucket, 0 as the lower edge of the first; where = in | below (first bucket, so the
# estimate is not resolved) | above (+Inf bucket: the highest finite bound is printed) | none.
quantile() {
  awk -v q="$1" '{le[NR] = $1; c[NR] = $2} END {
      total = c[NR]; if (total <= 0) {print "nan none"; exit}
      rank = q * total; pb = 0; pc = 0
      for (i = 1; i <= NR; i++) {
        if (c[i] >= rank) {
          if (le[i] == "+Inf") {printf "%.9f above\n", pb; exit}
          v = pb + (le[i] - pb) * (rank - pc) / (c[i] - pc)
          printf "%.9f %s\n", v, (i == 1 ? "below" : "in"); exit
        }
        pb = le[i]; pc = c[i]
      }
    }'
}
json_num() { sed -E "s/.*\"$2\":([-0-9.e]+).*/\1/" <<<"$1"; }  # json_num LINE KEY (first match)
secs() { awk -v u="$1" 'BEGIN {printf "%.6f", u / 1e6}'; }

# What was measured.
git_state=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "no git")
dirty=$({ git -C "$REPO" status --porcelain -- exporter CMakeLists.txt 2>/dev/null || true; } | wc -l)
((dirty == 0)) || git_state+=" + $dirty uncommitted change(s) under exporter/"
farrier_sum=$(sha256sum "$farrier" | cut -c1-12)
farrier_built=$(date -r "$farrier" '+%F %T')
nats_version=$(nats-server --version 2>&1 | head -1)
farrier_version=$("$farrier" --version 2>&1 | head -1)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
awk -v l="${load_start%% *}" 'BEGIN {exit !(l > 0.5)}' &&
  log "warning: load average is $load_start before the run; other work on this machine adds noise"
log "farrier: $farrier_version ($build_type) | $nats_version | window ${window}s after ${warmup}s | T: ${t_list[*]} | load ${load_rate}/s x ${load_seconds}s"
started=$SECONDS
failures=()
fail_row() { failures+=("$1"); log "!!!!! $1"; }

# ---------------------------------------------------------------- NATS and the worker pool
cport=$(listen_port)
mport=$(listen_port)
cat >"$work/nats.conf" <<EOF
listen: "127.0.0.1:$cport"
http: "127.0.0.1:$mport"
EOF
start_bg nats-server "$work/nats.out" "$work/nats.log" nats-server -c "$work/nats.conf"
nats_pid=$LAST_PID
wait_http "http://127.0.0.1:$mport/healthz" 10 || die "nats-server did not start (see $work/nats.log)"
nats_url=nats://127.0.0.1:$cport

pool=()
# start_pool T: two queue-mode workers, 8 slots each, fixed service time T, micro STATS on (the
# worker-side service time comes from their processing_time).
start_pool() {
  local t=$1 i tag
  pool=()
  for i in 1 2; do
    tag=worker$i-$t
    start_bg "$tag" "$work/$tag.out" "$work/$tag.err" \
      "$worker_bin" --url "$nats_url" --subject api.echo --queue workers --concurrency 8 \
      --service-time "$t" --overflow queue --seed "$i" --name "bench-worker-$i" \
      --micro-name EchoService --micro-endpoint echo
    pool+=("$LAST_PID")
  done
  for i in 1 2; do
    tag=worker$i-$t
    local deadline=$((SECONDS + 10))
    until grep -q '^ready' "$work/$tag.out" 2>/dev/null; do
      kill -0 "${pool[i - 1]}" 2>/dev/null || die "$tag exited: $(tail -3 "$work/$tag.err")"
      ((SECONDS < deadline)) || die "$tag not ready after 10 s"
      sleep 0.05
    done
  done
}
stop_pool() { stop "${pool[@]}"; pool=(); }

# start_farrier TAG SERVICES_JSON POLL_INTERVAL POLL_TIMEOUT ; sets FARRIER_PID, FARRIER_PORT
start_farrier() {
  local tag=$1 services=$2 interval=$3 timeout=$4 port attempt i
  local nats_part=""
  [[ $services == "[]" ]] || nats_part="\"url\": \"$nats_url\","
  for attempt in 1 2 3; do  # a port taken between the check and the bind: try another
    port=$(listen_port)
    cat >"$work/farrier-$tag.json" <<EOF
{
  "nats": { $nats_part "monitor_url": "http://127.0.0.1:$mport" },
  "web": { "listen_address": "127.0.0.1:$port" },
  "poll": { "interval": "$interval", "timeout": "$timeout" },
  "services": $services
}
EOF
    start_bg "farrier($tag)" "$work/farrier-$tag.out" "$work/farrier-$tag.log" "$farrier" --config "$work/farrier-$tag.json"
    FARRIER_PID=$LAST_PID
    FARRIER_PORT=$port
    for ((i = 0; i < 100; i++)); do
      curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
      kill -0 "$FARRIER_PID" 2>/dev/null || break
      sleep 0.1
    done
    stop "$FARRIER_PID"
    grep -q "Address already in use" "$work/farrier-$tag.log" || break
    log "farrier ($tag): port $port was taken meanwhile (attempt $attempt)"
  done
  die "farrier ($tag) did not start (see $work/farrier-$tag.log)"
}

# services_json COUNT INTERVAL ENABLED [BUCKETS] [MICRO]
services_json() {
  local n=$1 iv=$2 enabled=$3 buckets=${4:-} micro=${5:-} i sep="" out="["
  for ((i = 1; i <= n; i++)); do
    out+="$sep{\"name\": \"svc$i\", \"subject\": \"api.echo\", \"queue_group\": \"workers\", \"worker_concurrency\": 8,"
    out+=" \"probe\": {\"enabled\": $enabled, \"interval\": \"$iv\", \"timeout\": \"1s\"}"
    [[ -z $buckets ]] || out+=", \"buckets\": [$buckets]"
    [[ -z $micro ]] || out+=", \"micro_service\": \"$micro\""
    out+="}"
    sep=", "
  done
  echo "$out]"
}

# ================================================================ 1. overhead
# Five farriers side by side, polling the same nats-server every 60 s or more (one poll at start,
# none in the window) and probing the same pool: the CPU window is the same for all, so the
# machine's background noise is shared by the baselines and the probing configurations.
start_pool 1ms
poll_long=$((warmup + window + 30))
((poll_long >= 60)) || poll_long=60
# tag | services | probes/s | description
configs=(
  "none|0|0|baseline: no services (no NATS connection)"
  "off|10|0|baseline: 10 services, probes disabled (NATS connection open)"
  "r10|10|10|10 services x 1/s"
  "r100|10|100|10 services x 10/s"
  "r100x1|1|100|1 service x 100/s"
)
declare -A FPID=() FPORT=()
for c in "${configs[@]}"; do
  IFS='|' read -r tag n rate _ <<<"$c"
  if ((n == 0)); then
    svc="[]"
  elif ((rate == 0)); then
    svc=$(services_json "$n" 1s false)
  else
    svc=$(services_json "$n" "$((1000 * n / rate))ms" true)
  fi
  start_farrier "$tag" "$svc" "${poll_long}s" 3s
  FPID[$tag]=$FARRIER_PID
  FPORT[$tag]=$FARRIER_PORT
done
log "overhead: ${#configs[@]} farriers up; warm-up ${warmup}s, then a ${window}s CPU window"
sleep "$warmup"
declare -A T0=() T1=() S0=() S1=()
for c in "${configs[@]}"; do
  IFS='|' read -r tag _ <<<"$c"
  scrape "${FPORT[$tag]}" "$work/ov-$tag-0.txt"
done
w0=$(now_s)
for c in "${configs[@]}"; do
  IFS='|' read -r tag _ <<<"$c"
  T0[$tag]=$(cpu_ticks "${FPID[$tag]}") S0[$tag]=$(sys_ticks "${FPID[$tag]}")
done
sleep "$window"
for c in "${configs[@]}"; do
  IFS='|' read -r tag _ <<<"$c"
  T1[$tag]=$(cpu_ticks "${FPID[$tag]}") S1[$tag]=$(sys_ticks "${FPID[$tag]}")
done
w1=$(now_s)
for c in "${configs[@]}"; do
  IFS='|' read -r tag _ <<<"$c"
  scrape "${FPORT[$tag]}" "$work/ov-$tag-1.txt"
done
win=$(awk -v a="$w0" -v b="$w1" 'BEGIN {print b - a}')
ov_rows=()
ov_details=()
declare -A PCT=()
base_ticks=$((T1[none] - T0[none]))
off_ticks=$((T1[off] - T0[off]))
for c in "${configs[@]}"; do
  IFS='|' read -r tag n rate desc <<<"$c"
  pid=${FPID[$tag]}
  d=$((T1[$tag] - T0[$tag]))
  pct=$(awk -v d=$d -v t="$tck" -v w="$win" 'BEGIN {print d / t / w * 100}')
  PCT[$tag]=$pct
  delta=$(awk -v d=$((d - base_ticks)) -v t="$tck" -v w="$win" 'BEGIN {print d / t / w * 100}')
  delta_cell=-
  [[ $tag == none ]] || delta_cell=$(fmt "$delta" 2)
  rss=$(status_kb "$pid" VmRSS)
  hwm=$(status_kb "$pid" VmHWM)
  f0=$work/ov-$tag-0.txt f1=$work/ov-$tag-1.txt
  polls0=$(value "$f0" nats_exporter_polls_total) polls1=$(value "$f1" nats_exporter_polls_total)
  probes=0 answered=0 failed=0 per_probe="" probes_cell="-"
  if ((rate > 0)); then
    probes=$(awk -v a="$(sum_family "$f0" nats_service_probes_total)" -v b="$(sum_family "$f1" nats_service_probes_total)" 'BEGIN {print b - a}')
    answered=$(awk -v a="$(sum_family "$f0" nats_service_request_duration_seconds_count)" \
      -v b="$(sum_family "$f1" nats_service_request_duration_seconds_count)" 'BEGIN {print b - a}')
    failed=$(awk -v a="$(sum_family "$f0" nats_service_probe_failures_total)" \
      -v b="$(sum_family "$f1" nats_service_probe_failures_total)" 'BEGIN {print b - a}')
    # The window is measured between scrapes a few ms wider than the tick readings; allow 10 %.
    expected=$(awk -v r="$rate" -v w="$win" 'BEGIN {printf "%d", r * w}')
    awk -v a="$answered" -v e="$expected" 'BEGIN {exit !(a >= 0.9 * e)}' ||
      fail_row "overhead $tag: $answered probes answered in the window, expected about $expected"
    [[ $failed == 0 ]] || fail_row "overhead $tag: $failed probe failures in the window"
    per_probe=$(awk -v d=$((d - off_ticks)) -v t="$tck" -v p="$answered" 'BEGIN {printf "%.0f", (p > 0 ? d / t / p * 1e6 : 0)}')
    probes_cell="$answered ($(fmt "$(awk -v p="$answered" -v w="$win" 'BEGIN {print p / w}')" 1)/s)"
  fi
  [[ $polls0 == "$polls1" ]] || ov_details+=("- $tag: a monitoring poll landed in the window ($polls0 -> $polls1 polls); its cost is included")
  ov_rows+=("| $desc | $rate | $probes_cell | $d | $(fmt "$pct" 2) | $delta_cell | ${per_probe:--} | $(fmt "$(awk -v v="$rss" 'BEGIN {print v / 1024}')" 1) | $(fmt "$(awk -v v="$hwm" 'BEGIN {print v / 1024}')" 1) |")
  ov_details+=("- $tag: $d ticks in $(fmt "$win" 1) s ($((S1[$tag] - S0[$tag])) of them in the kernel); probes counted $probes, answered $answered, failed $failed; monitoring polls $polls0 -> $polls1; VmRSS $rss kB, VmHWM $hwm kB")
done
for c in "${configs[@]}"; do IFS='|' read -r tag _ <<<"$c"; stop "${FPID[$tag]}"; done
pct_r100=$(awk -v a="${PCT[r100]}" -v b="${PCT[none]}" 'BEGIN {print a - b}')
pct_r100x1=$(awk -v a="${PCT[r100x1]}" -v b="${PCT[none]}" 'BEGIN {print a - b}')
goal_cpu=$(awk -v a="$pct_r100" -v b="$pct_r100x1" 'BEGIN {print (a <= 2 && b <= 2) ? "met" : "NOT met"}')
ov_checks=("- 100 probes/s cost <= 2 % of one core (farrier CPU above the no-services baseline): $(fmt "$pct_r100" 2) % with 10 services x 10/s, $(fmt "$pct_r100x1" 2) % with 1 service x 100/s: **$goal_cpu** (absolute farrier CPU $(fmt "${PCT[r100]}" 2) % and $(fmt "${PCT[r100x1]}" 2) %)")
stop_pool

# ================================================================ 2. accuracy
# Per service time T: a fresh pool, a pilot to place the fine buckets, then farrier probing while
# farrier-loadgen runs; farrier's window is the load generator's run. The workers and the load
# generator send each message at once (natsOptions_SetSendAsap in exporter/samples/common.h), as
# farrier's prober does, so the load generator measures the requests the way farrier does.
acc_rows=()
acc_details=()
acc_checks=()
pi_us=$(dur_us "$probe_interval")
for t in "${t_list[@]}"; do
  t_us=$(dur_us "$t")
  start_pool "$t"
  # Pilot: 100 µs buckets from T to T + 5.9 ms, probes every 20 ms for 3 s; its p50 centres
  # the fine grid of the measurement (60 bounds, 25 µs apart, from p50 - 0.7 ms).
  coarse=$(awk -v t="$t_us" 'BEGIN {for (i = 0; i < 60; i++) printf "%s%.6f", (i ? ", " : ""), (t + i * 100) / 1e6}')
  start_farrier "pilot-$t" "$(services_json 1 20ms true "$coarse")" 1s 900ms
  scrape "$FARRIER_PORT" "$work/pilot-$t-0.txt"
  sleep 3
  scrape "$FARRIER_PORT" "$work/pilot-$t-1.txt"
  stop "$FARRIER_PID"
  read -r pilot_p50 pilot_where < <(hist_delta "$work/pilot-$t-0.txt" "$work/pilot-$t-1.txt" svc1 | quantile 0.5)
  [[ $pilot_where != none ]] || die "accuracy T=$t: no probe answered in the pilot (see $work/farrier-pilot-$t.log)"
  lo_us=$(awk -v p="$pilot_p50" 'BEGIN {v = int((p * 1e6 - 700) / 25) * 25; print (v < 25 ? 25 : v)}')
  fine=$(awk -v lo="$lo_us" 'BEGIN {for (i = 0; i < 60; i++) printf "%s%.6f", (i ? ", " : ""), (lo + i * 25) / 1e6}')
  # The measurement: one service probing every --probe-interval with the fine grid, and
  # $SRV.STATS of the pool every second (worker-side processing time).
  start_farrier "acc-$t" "$(services_json 1 "$probe_interval" true "$fine" EchoService)" 1s 900ms
  apid=$FARRIER_PID
  aport=$FARRIER_PORT
  sleep 2
  m0=$work/acc-$t-0.txt m1=$work/acc-$t-1.txt
  scrape "$aport" "$m0"
  log "accuracy T=$t: farrier-loadgen ${load_rate}/s for ${load_seconds}s while farrier probes every $probe_interval"
  "$loadgen_bin" --url "$nats_url" --subject api.echo --rate "$load_rate" --duration "${load_seconds}s" \
    --arrivals even --timeout 1s >"$work/loadgen-$t.out" 2>"$work/loadgen-$t.err" ||
    die "farrier-loadgen failed: $(tail -3 "$work/loadgen-$t.err")"
  scrape "$aport" "$m1"
  stop "$apid"
  stop_pool
  lg=$(tail -1 "$work/loadgen-$t.out")
  sent=$(json_num "$lg" sent) replies=$(json_num "$lg" replies)
  lg_p50=$(json_num "$lg" p50) lg_p90=$(json_num "$lg" p90) lg_p99=$(json_num "$lg" p99)
  awk -v r="$replies" -v s="$sent" 'BEGIN {exit !(s > 0 && r >= 0.99 * s)}' ||
    fail_row "accuracy T=$t: the load generator got $replies replies to $sent requests"
  hist_delta "$m0" "$m1" svc1 >"$work/hist-$t.txt"
  read -r f_p50 f_where < <(quantile 0.5 <"$work/hist-$t.txt")
  read -r f_p90 f90_where < <(quantile 0.9 <"$work/hist-$t.txt")
  n_probes=$(awk '$1 == "+Inf" {print $2}' "$work/hist-$t.txt")
  f_sum=$(awk -v a="$(value "$m0" 'nats_service_request_duration_seconds_sum{service="svc1"}')" \
    -v b="$(value "$m1" 'nats_service_request_duration_seconds_sum{service="svc1"}')" 'BEGIN {print b - a}')
  f_fail=$(awk -v a="$(sum_family "$m0" nats_service_probe_failures_total svc1)" -v b="$(sum_family "$m1" nats_service_probe_failures_total svc1)" 'BEGIN {print b - a}')
  [[ $f_fail == 0 ]] || fail_row "accuracy T=$t: $f_fail probe failures"
  awk -v n="$n_probes" -v w="$load_seconds" -v i="$pi_us" 'BEGIN {exit !(n >= 0.8 * w * 1e6 / i)}' ||
    fail_row "accuracy T=$t: only $n_probes probes answered during the load"
  # Worker side: sum of processing_time / requests from $SRV.STATS (both workers), over the
  # same window (STATS is polled every second, so its window lags by up to 1 s).
  ep='{service="svc1",endpoint="echo"}'
  w_req=$(awk -v a="$(value "$m0" "nats_micro_requests_total$ep")" -v b="$(value "$m1" "nats_micro_requests_total$ep")" 'BEGIN {print b - a}')
  w_sec=$(awk -v a="$(value "$m0" "nats_micro_processing_seconds_total$ep")" -v b="$(value "$m1" "nats_micro_processing_seconds_total$ep")" 'BEGIN {print b - a}')
  w_mean_us=$(awk -v s="$w_sec" -v n="$w_req" 'BEGIN {print (n > 0 ? s / n * 1e6 : 0)}')
  f_mean_us=$(awk -v s="$f_sum" -v n="$n_probes" 'BEGIN {print (n > 0 ? s / n * 1e6 : 0)}')
  f_p50_us=$(awk -v v="$f_p50" 'BEGIN {print v * 1e6}')
  f_p90_us=$(awk -v v="$f_p90" 'BEGIN {print v * 1e6}')
  lg_p50_us=$(awk -v v="$lg_p50" 'BEGIN {print v * 1000}')
  diff_us=$(awk -v f="$f_p50_us" -v l="$lg_p50_us" 'BEGIN {print f - l}')
  diff_pct=$(awk -v d="$diff_us" -v l="$lg_p50_us" 'BEGIN {print (l > 0 ? d / l * 100 : 0)}')
  goal=$(awk -v d="$diff_us" -v p="$diff_pct" 'BEGIN {d = d < 0 ? -d : d; p = p < 0 ? -p : p; print (d <= 50 || p <= 5) ? "met" : "NOT met"}')
  note=""
  [[ $f_where == in ]] || { goal="not resolved"; note=" (p50 $f_where the 25 µs grid)"; }
  acc_rows+=("| $t | $(fmt "$w_mean_us" 0) | $(fmt "$lg_p50_us" 0) | $(fmt "$f_p50_us" 0)$note | $(fmt "$diff_us" 0) | $(fmt "$diff_pct" 1) | $goal |")
  acc_checks+=("- T = $t: farrier p50 $(fmt "$f_p50_us" 0) µs vs load generator p50 $(fmt "$lg_p50_us" 0) µs, difference $(fmt "$diff_us" 0) µs ($(fmt "$diff_pct" 1) %) (goal: within 50 µs or 5 %): **$goal**")
  acc_details+=("- T = $t: loadgen $lg; farrier: $n_probes probes in the window, mean $(fmt "$f_mean_us" 0) µs, p50 $(fmt "$f_p50_us" 0) µs ($f_where), p90 $(fmt "$f_p90_us" 0) µs ($f90_where; loadgen p90 $(fmt "$(awk -v v="$lg_p90" 'BEGIN {print v * 1000}')" 0) µs, p99 $(fmt "$(awk -v v="$lg_p99" 'BEGIN {print v * 1000}')" 0) µs); fine grid $lo_us-$((lo_us + 59 * 25)) µs (pilot p50 $(fmt "$(awk -v v="$pilot_p50" 'BEGIN {print v * 1e6}')" 0) µs); worker side: $w_req requests, mean processing time $(fmt "$w_mean_us" 0) µs; farrier p50 − worker-side mean $(fmt "$(awk -v f="$f_p50_us" -v w="$w_mean_us" 'BEGIN {print f - w}')" 0) µs")
done
stop "$nats_pid"
elapsed=$((SECONDS - started))
# The build directory may be shared: say so if the binary was replaced while the bench ran
# (farriers started after that ran the new one).
farrier_sum_end=$(sha256sum "$farrier" | cut -c1-12)
binary_note=""
[[ $farrier_sum_end == "$farrier_sum" ]] ||
  binary_note=" **The farrier binary was replaced during the run** (sha256 $farrier_sum_end... at the end, built $(date -r "$farrier" '+%F %T')): farriers started after that ran the new one."
[[ -z $binary_note ]] || log "warning: the farrier binary changed during the run"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
ov_header="| configuration | probes/s | probes answered in window | CPU ticks | farrier CPU % of one core | above no-services baseline, % | CPU per probe µs | RSS MB | HWM MB |
|---|---:|---:|---:|---:|---:|---:|---:|---:|"
acc_header="| T | worker-side mean service µs | loadgen p50 µs | farrier p50 µs (interpolated) | farrier − loadgen µs | farrier − loadgen % | goal (50 µs or 5 %) |
|---|---:|---:|---:|---:|---:|---|"
{
  echo "# Farrier probe bench results, $(date '+%F %T %Z')"
  echo
  echo "Code: $git_state; farrier binary sha256 $farrier_sum..., built $farrier_built."
  echo "Machine: $(nproc) cores, $(uname -r); $nats_version; $farrier_version (CMAKE_BUILD_TYPE=${build_type:-unset, so the project default RelWithDebInfo}); 1 tick = $((1000 / tck)) ms."
  echo "Run took ${elapsed}s; load average $load_start at the start, $load_end at the end.$binary_note"
  echo
  echo "## Overhead"
  echo
  echo "Five farriers side by side over the same $(fmt "$win" 1) s window (after ${warmup} s of warm-up), probing one pool of 2 sample workers (queue mode, 8 slots each, service time 1 ms); monitoring polls every ${poll_long} s, so none in the window. CPU per probe = (CPU − the probes-disabled baseline) / probes answered."
  echo
  echo "$ov_header"
  printf '%s\n' "${ov_rows[@]}"
  echo
  echo "## Accuracy"
  echo
  echo "Per T: a fresh pool of 2 sample workers (queue mode, 8 slots each, fixed service time T); farrier probes every $probe_interval (60 buckets 25 µs apart around a pilot's p50; p50 interpolated like histogram_quantile) while farrier-loadgen sends ${load_rate} req/s evenly for ${load_seconds} s; farrier's window is the load generator's run. Worker-side service time = Δ processing_time / Δ requests from \$SRV.STATS (loadgen and probe requests). The workers and the load generator send each message at once (natsOptions_SetSendAsap), as farrier's prober does."
  echo
  echo "$acc_header"
  printf '%s\n' "${acc_rows[@]}"
  echo
  echo "## Goals"
  echo
  printf '%s\n' "${ov_checks[@]}" "${acc_checks[@]}"
  echo
  echo "## Details"
  echo
  printf '%s\n' "${ov_details[@]}" "${acc_details[@]}"
  if ((${#failures[@]})); then
    echo
    echo "## FAILURES"
    echo
    printf -- '- %s\n' "${failures[@]}"
  fi
} >"$out"

echo
echo "$ov_header"
printf '%s\n' "${ov_rows[@]}"
echo
echo "$acc_header"
printf '%s\n' "${acc_rows[@]}"
echo
printf '%s\n' "${ov_checks[@]}" "${acc_checks[@]}"
echo
log "results written to $out (run ${elapsed}s)"
if ((${#failures[@]})); then
  printf '\n!!!!! BENCH FAILED !!!!!\n' >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
