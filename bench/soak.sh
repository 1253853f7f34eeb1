#!/usr/bin/env bash
# Farrier soak: one farrier polling a real nats-server (JetStream on) every second for DURATION,
# under connection churn, server restarts, regular scrapes and (when farrier supports it)
# configuration reloads. Samples farrier's RSS, open fds and threads every few seconds into a
# CSV and checks that they stay flat. See bench/README.md ("Soak").
#
# usage: bench/soak.sh [options] [DURATION]      (DURATION: 30m by default; 90s, 2m, 1h ...)
#   --restart-every SEC   SIGTERM nats-server and start it again on the same ports (default 300)
#   --down SEC            how long the server stays down per restart (default 3)
#   --reload-every SEC    SIGHUP farrier, if it supports reloads, with the probe interval
#                         toggled in its config file (default 240; 0: never)
#   --scrape-every SEC    GET /metrics like Prometheus (default 5)
#   --sample-every SEC    RSS / fds / threads sample (default 10)
#   --warmup SEC          samples before this are not judged (default 120, at most DURATION/4)
#   --poll-interval D     farrier --poll.interval (default 1s; the timeout is 90 % of it)
#   --page-size N         farrier --connz.page-size (default 100, so the churn varies the pages)
#   --churn-max N         most idle clients per churn wave (default 400; waves of 50..N)
#   --rss-tolerance-kb K  allowed RSS growth, last vs first after warm-up (default 2048)
#   --fd-slack N          allowed fd growth, last vs first after warm-up (default 4)
#   --build-dir DIR       CMake build directory with farrier, natskit and the samples (default
#                         $BUILD_DIR, else <repo>/build; nothing is built)
#   --farrier PATH        soak this farrier binary (the helpers still come from --build-dir)
#   --out FILE            results file (default bench/results-soak-<YYYY-MM-DD>.md)
#   --csv FILE            samples CSV (default /tmp/farrier-soak-<YYYY-MM-DD-HHMMSS>.csv)
#   --time-limit SEC      abort (and clean up) after this long (default DURATION + 600)
#
# Environment: BUILD_DIR=DIR is the same as --build-dir DIR (the option wins).
#
# Exits 1 if farrier died or did not exit cleanly, if a scrape failed or a SIGHUP reload was not
# reported successful, if its open fds grew by more than --fd-slack or its RSS by more than
# --rss-tolerance-kb (last sample vs the first after warm-up, both taken while the server was
# up), or if the soak could not run (a process did not start). Needs
# nats-server (Debian 12: 2.9.10), curl, procps and gawk; installs them with apt as root when
# missing. Every process it starts is stopped by PID on exit, also on failure or Ctrl-C.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

duration=30m
restart_every=300
down=3
reload_every=240
scrape_every=5
sample_every=10
warmup=
poll_interval=1s
page_size=100
churn_max=400
rss_tol_kb=2048
fd_slack=4
build_dir=${BUILD_DIR:-$REPO/build}
farrier_override=
out=
csv=
time_limit=
while (($#)); do
  case $1 in
    --restart-every) restart_every=$2; shift 2 ;;
    --down) down=$2; shift 2 ;;
    --reload-every) reload_every=$2; shift 2 ;;
    --scrape-every) scrape_every=$2; shift 2 ;;
    --sample-every) sample_every=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --poll-interval) poll_interval=$2; shift 2 ;;
    --page-size) page_size=$2; shift 2 ;;
    --churn-max) churn_max=$2; shift 2 ;;
    --rss-tolerance-kb) rss_tol_kb=$2; shift 2 ;;
    --fd-slack) fd_slack=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --farrier) farrier_override=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --csv) csv=$2; shift 2 ;;
    --time-limit) time_limit=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) duration=$1; shift ;;
  esac
done
# DURATION in whole seconds: 90, 90s, 2m, 1h.
dur_s=$(awk -v d="$duration" 'BEGIN {
    if (match(d, /^[0-9]+(s|m|h)?$/) == 0) exit 1
    n = d + 0; u = substr(d, length(d))
    printf "%d\n", n * (u == "m" ? 60 : u == "h" ? 3600 : 1) }') ||
  { echo "soak.sh: DURATION must look like 90, 90s, 30m or 1h" >&2; exit 2; }
for v in restart_every down reload_every scrape_every sample_every page_size churn_max rss_tol_kb fd_slack; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "soak.sh: --${v//_/-} takes a whole number" >&2; exit 2; }
done
((dur_s >= 60)) || { echo "soak.sh: DURATION must be at least 60 s" >&2; exit 2; }
((scrape_every >= 1 && sample_every >= 1 && page_size >= 1 && churn_max >= 50)) ||
  { echo "soak.sh: --scrape-every, --sample-every, --page-size >= 1 and --churn-max >= 50" >&2; exit 2; }
if [[ -z $warmup ]]; then warmup=$((dur_s / 4 < 120 ? dur_s / 4 : 120)); fi
[[ $warmup =~ ^[0-9]+$ && $warmup -lt $dur_s ]] || { echo "soak.sh: --warmup must be below DURATION" >&2; exit 2; }
poll_ms=$(awk -v d="$poll_interval" 'BEGIN {
    if (match(d, /^[0-9]+(ms|s)$/) == 0) exit 1
    printf "%d\n", (d ~ /ms$/) ? d + 0 : (d + 0) * 1000 }') ||
  { echo "soak.sh: --poll-interval takes e.g. 1s or 500ms" >&2; exit 2; }
time_limit=${time_limit:-$((dur_s + 600))}
out=${out:-$BENCH_DIR/results-soak-$(date +%F).md}
csv=${csv:-/tmp/farrier-soak-$(date +%F-%H%M%S).csv}

log() { printf '[soak %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# ---------------------------------------------------------------- dependencies (Debian 12, apt)
need=(nats-server curl procps gawk)
# shellcheck source=../scripts/lib.sh
source "$REPO/scripts/lib.sh"  # ensure_packages, free_port, wait_http, start_bg, terminate_pids, start_run_lifecycle, stop
ensure_packages "${need[@]}"

farrier_src=$build_dir/exporter/farrier
[[ -z $farrier_override ]] || farrier_src=$farrier_override
natskit_src=$build_dir/tests/tools/natskit
worker_src=$build_dir/exporter/samples/farrier-sample-worker
loadgen_src=$build_dir/exporter/samples/farrier-loadgen
for b in "$farrier_src" "$natskit_src" "$worker_src" "$loadgen_src"; do
  [[ -x $b ]] || die "missing $b (build farrier, natskit, farrier-sample-worker and farrier-loadgen in $build_dir)"
done


work=$(mktemp -d /tmp/farrier-soak.XXXXXX)
# The build directory may be shared and rebuilt during a long run: soak copies of the binaries
# (the helpers are started again after every server restart).
mkdir "$work/bin"
cp "$farrier_src" "$work/bin/farrier"
cp "$natskit_src" "$work/bin/natskit"
cp "$worker_src" "$work/bin/farrier-sample-worker"
cp "$loadgen_src" "$work/bin/farrier-loadgen"
farrier=$work/bin/farrier natskit=$work/bin/natskit worker_bin=$work/bin/farrier-sample-worker loadgen_bin=$work/bin/farrier-loadgen

# ---------------------------------------------------------------- process bookkeeping
declare -A NAME_OF=()  # read by terminate_pids (scripts/lib.sh)
pids=()  # every background process still running, in start order (see start_run_lifecycle)
start_run_lifecycle "$time_limit"

alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# ---------------------------------------------------------------- what is soaked
git_state=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "no git")
dirty=$({ git -C "$REPO" status --porcelain -- exporter CMakeLists.txt 2>/dev/null || true; } | wc -l)
((dirty == 0)) || git_state+=" ($dirty file(s) under exporter/ differ from it in the checkout; the binary may hold some of that)"
farrier_sum=$(sha256sum "$farrier" | cut -c1-12)
farrier_built=$(date -r "$farrier_src" '+%F %T')
nats_version=$(nats-server --version 2>&1 | head -1)
farrier_version=$("$farrier" --version 2>&1 | head -1)
build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/{print $2}' "$build_dir/CMakeCache.txt" 2>/dev/null || true)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
tck=$(getconf CLK_TCK)

# ---------------------------------------------------------------- nats-server
cport=$(free_port)
mport=$(free_port)
[[ $cport != "$mport" ]] || mport=$(free_port)
mkdir "$work/js"
cat >"$work/nats.conf" <<EOF
listen: "127.0.0.1:$cport"
http: "127.0.0.1:$mport"
jetstream { store_dir: "$work/js", max_memory_store: 64MB, max_file_store: 256MB }
EOF
nats_url=nats://127.0.0.1:$cport
nats_pid='' epoch=0
pool=() loadgen_pid='' holder_pid=''
restarts=0 restart_notes=()
start_nats() {
  epoch=$((epoch + 1))
  start_bg "nats-server#$epoch" "$work/nats-$epoch.out" "$work/nats-$epoch.log" nats-server -c "$work/nats.conf"
  nats_pid=$LAST_PID
  wait_http "http://127.0.0.1:$mport/healthz" 20 || die "nats-server did not start (see $work/nats-$epoch.log)"
}
# The rest of the system, after each (re)start: JetStream state, a pool of two sample workers in
# a queue group (micro STATS on), an open-loop load generator for this server's lifetime, and a
# holder of ephemeral consumers. The samples do not reconnect (by design), so they are started
# again with the server.
start_system() {
  "$natskit" js-setup --url "$nats_url" --stream SOAK --subjects 'js.soak.>' --publish 200 \
    --consumer durable1 --fetch 50 --ack 40 --name "js-setup-$epoch" \
    >"$work/js-setup-$epoch.out" 2>"$work/js-setup-$epoch.err" ||
    die "js-setup failed: $(tail -3 "$work/js-setup-$epoch.err")"
  start_bg "ephemerals#$epoch" "$work/holder-$epoch.out" "$work/holder-$epoch.err" \
    "$natskit" js-setup --url "$nats_url" --stream SOAK2 --subjects 'js.soak2.*' --storage memory \
    --publish 20 --ephemeral 3 --name "holder-$epoch"
  holder_pid=$LAST_PID
  local i tag deadline
  pool=()
  for i in 1 2; do
    tag=worker$i-$epoch
    start_bg "$tag" "$work/$tag.out" "$work/$tag.err" \
      "$worker_bin" --url "$nats_url" --subject api.echo --queue workers --concurrency 4 \
      --service-time 2ms --overflow queue --seed "$i" --name "soak-worker-$i" \
      --micro-name EchoService --micro-endpoint echo
    pool+=("$LAST_PID")
  done
  for i in 1 2; do
    tag=worker$i-$epoch
    deadline=$((SECONDS + 15))
    until grep -q '^ready' "$work/$tag.out" 2>/dev/null; do
      alive "${pool[i - 1]}" || die "$tag exited: $(tail -3 "$work/$tag.err")"
      ((SECONDS < deadline)) || die "$tag not ready after 15 s"
      sleep 0.1
    done
  done
  # 20 requests/s for longer than the soak: it exits with an error when its server goes away.
  start_bg "loadgen#$epoch" "$work/loadgen-$epoch.out" "$work/loadgen-$epoch.err" \
    "$loadgen_bin" --url "$nats_url" --subject api.echo --rate 20 --duration "$((dur_s + 60))s" \
    --arrivals poisson --seed "$epoch" --timeout 1s --name "soak-loadgen-$epoch"
  loadgen_pid=$LAST_PID
}
stop_system() {
  local p=() x
  for x in "$loadgen_pid" "$holder_pid" "${pool[@]}"; do [[ -n $x ]] && p+=("$x"); done
  ((${#p[@]} == 0)) || stop "${p[@]}"
  loadgen_pid='' holder_pid='' pool=()
}

# ---------------------------------------------------------------- farrier
fport=$(free_port)
while [[ $fport == "$cport" || $fport == "$mport" ]]; do fport=$(free_port); done
timeout_ms=$((poll_ms * 9 / 10))
reload_toggle=0
write_config() {  # the probe interval alternates between reloads, so each one changes something
  local probe_iv=$((reload_toggle ? 800 : 1000))
  cat >"$work/farrier.json.tmp" <<EOF
{
  "nats": { "url": "$nats_url", "monitor_url": "http://127.0.0.1:$mport", "name": "farrier-soak" },
  "web": { "listen_address": "127.0.0.1:$fport" },
  "poll": { "interval": "${poll_ms}ms", "timeout": "${timeout_ms}ms" },
  "connz": { "page_size": $page_size },
  "services": [
    { "name": "echo", "subject": "api.echo", "queue_group": "workers", "worker_concurrency": 4,
      "overflow": "queue", "micro_service": "EchoService",
      "probe": { "interval": "${probe_iv}ms", "timeout": "1s" } }
  ]
}
EOF
  mv "$work/farrier.json.tmp" "$work/farrier.json"
}

metrics_url=http://127.0.0.1:$fport/metrics
# value FILE SERIES: the sample whose name{labels} is exactly SERIES (empty when absent)
# (%.15g: awk's default %.6g would print every Unix timestamp of the day as 1.76474e+09, so a
# reload's new success timestamp would look the same as the old one.)
value() { awk -v s="$2" '$1 == s {printf "%.15g\n", $2; exit}' "$1" 2>/dev/null; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
now() { awk -v t0="$t0" -v n="$(date +%s.%N)" 'BEGIN {printf "%.1f", n - t0}'; }

# ---------------------------------------------------------------- start
log "farrier: $farrier_version (sha256 $farrier_sum, $build_type) | $nats_version | ${duration} soak"
awk -v l="${load_start%% *}" 'BEGIN {exit !(l > 1.0)}' &&
  log "warning: load average is $load_start before the run; other work on this machine adds noise"
start_nats
start_system
write_config
start_bg farrier "$work/farrier.out" "$work/farrier.log" "$farrier" --config "$work/farrier.json"
farrier_pid=$LAST_PID
wait_http "http://127.0.0.1:$fport/healthz" 20 || die "farrier did not start (see $work/farrier.log)"
t0=$(date +%s.%N)
start_epoch=$(date +%s)

scrapes=0 scrape_fail=0 scrape_max_ms=0 scrapes_down=0
last=$work/last.txt
scrape() {  # GET /metrics into $last; counts failures and nats_up 0
  local w
  w=$(curl -s -o "$work/scrape.tmp" -w '%{http_code} %{time_total}' --max-time 5 "$metrics_url" || true)
  scrapes=$((scrapes + 1))
  if [[ ${w%% *} != 200 ]]; then
    scrape_fail=$((scrape_fail + 1))
    log "scrape $scrapes failed (${w:-no answer})"
    return 1
  fi
  mv "$work/scrape.tmp" "$last"
  scrape_max_ms=$(awk -v a="$scrape_max_ms" -v b="${w#* }" 'BEGIN {b *= 1000; printf "%.1f", (b > a ? b : a)}')
  [[ $(value "$last" nats_up) == 1 ]] || scrapes_down=$((scrapes_down + 1))
  return 0
}
sleep 2
scrape || die "first scrape failed"
reload_supported=0
grep -q '^nats_exporter_config_last_reload_successful ' "$last" && reload_supported=1
((reload_every > 0)) || reload_supported=0
if ((reload_supported)); then
  log "farrier exports nats_exporter_config_last_reload_successful: SIGHUP every ${reload_every}s"
else
  log "no reload support detected (no nats_exporter_config_last_reload_successful) or --reload-every 0: no SIGHUPs"
fi

echo "t_s,rss_kb,hwm_kb,fds,threads,cpu_ticks,nats_up,nats_connected,probe_up,connz_connections,connz_pages,polls,churn_clients" >"$csv"
samples=0 churn_now=0
sample() {
  alive "$farrier_pid" || die "farrier (pid $farrier_pid) is gone: $(tail -3 "$work/farrier.log")"
  local rss hwm thr fds cpu
  rss=$(status_kb "$farrier_pid" VmRSS) hwm=$(status_kb "$farrier_pid" VmHWM) thr=$(status_kb "$farrier_pid" Threads)
  fds=$(find "/proc/$farrier_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  cpu=$(cpu_ticks "$farrier_pid")
  echo "$(now),$rss,$hwm,$fds,$thr,$cpu,$(value "$last" nats_up),$(value "$last" nats_exporter_nats_connected),$(value "$last" 'nats_service_probe_up{service="echo"}'),$(value "$last" 'nats_connz_connections{kind="client"}'),$(value "$last" nats_exporter_connz_pages),$(value "$last" nats_exporter_polls_total),$churn_now" >>"$csv"
  samples=$((samples + 1))
}

# Connection churn: waves of 50..churn_max idle clients held for 15-40 s, 3-10 s apart.
RANDOM=42
wave_pid='' wave_end=0 next_wave=5 waves=0 waves_ready=0 waves_failed=0
churn_tick() {
  local t=$1
  if [[ -n $wave_pid ]]; then
    if ((t >= wave_end)) || ! alive "$wave_pid"; then
      if alive "$wave_pid"; then stop "$wave_pid"; else wait "$wave_pid" 2>/dev/null || true; forget "$wave_pid"; fi
      if grep -q '^ready' "$work/wave.out" 2>/dev/null; then waves_ready=$((waves_ready + 1)); else waves_failed=$((waves_failed + 1)); fi
      wave_pid='' churn_now=0
      next_wave=$((t + 3 + RANDOM % 8))
    fi
  elif ((t >= next_wave)); then
    churn_now=$((50 * (1 + RANDOM % (churn_max / 50))))
    waves=$((waves + 1))
    start_bg "churn#$waves" "$work/wave.out" "$work/wave-$waves.err" \
      "$natskit" idle-conns --url "$nats_url" --count "$churn_now" --subs 1 --name-prefix "churn$waves"
    wave_pid=$LAST_PID
    wave_end=$((t + 15 + RANDOM % 26))
  fi
}

# A restart: SIGTERM, down for --down seconds (farrier must see nats_up 0), the same ports again;
# then the time until farrier reports the server up and its NATS connection back.
restart_server() {
  local t_stop t_start rec_up='' rec_conn='' rec_probe='' saw_down=no i
  restarts=$((restarts + 1))
  log "restart $restarts: SIGTERM nats-server (pid $nats_pid)"
  t_stop=$(date +%s.%N)
  stop "$nats_pid"
  sleep "$down"
  scrape && [[ $(value "$last" nats_up) == 0 ]] && saw_down=yes
  stop_system
  start_nats
  t_start=$(date +%s.%N)
  start_system
  for ((i = 0; i < 300; i++)); do
    scrape || true
    local el
    el=$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    [[ -z $rec_up && $(value "$last" nats_up) == 1 ]] && rec_up=$el
    [[ -z $rec_conn && $(value "$last" nats_exporter_nats_connected) == 1 ]] && rec_conn=$el
    [[ -z $rec_probe && $(value "$last" 'nats_service_probe_up{service="echo"}') == 1 ]] && rec_probe=$el
    [[ -n $rec_up && -n $rec_conn && -n $rec_probe ]] && break
    sleep 0.2
  done
  alive "$farrier_pid" || die "farrier died around restart $restarts: $(tail -3 "$work/farrier.log")"
  restart_notes+=("| $restarts | $(awk -v a="$t0" -v b="$t_stop" 'BEGIN {printf "%.0f", b - a}') | $saw_down | ${rec_up:-not within 60 s} | ${rec_conn:-not within 60 s} | ${rec_probe:-not within 60 s} |")
  log "restart $restarts: farrier saw it down: $saw_down; back after: nats_up ${rec_up:-?} s, NATS connection ${rec_conn:-?} s, probe ${rec_probe:-?} s (from the server's start)"
}

reloads=0 reloads_ok=0 reload_notes=()
reload_farrier() {
  local before after ok i
  before=$(value "$last" nats_exporter_config_last_reload_success_timestamp_seconds)
  reload_toggle=$((1 - reload_toggle))
  write_config
  reloads=$((reloads + 1))
  kill -HUP "$farrier_pid"
  for ((i = 0; i < 50; i++)); do
    sleep 0.2
    scrape || continue
    after=$(value "$last" nats_exporter_config_last_reload_success_timestamp_seconds)
    ok=$(value "$last" nats_exporter_config_last_reload_successful)
    [[ $after != "$before" || $ok == 0 ]] && break
  done
  alive "$farrier_pid" || die "farrier died on SIGHUP $reloads: $(tail -3 "$work/farrier.log")"
  if [[ $ok == 1 && $after != "$before" ]]; then reloads_ok=$((reloads_ok + 1)); else
    reload_notes+=("- SIGHUP $reloads: last_reload_successful=$ok, success timestamp $before -> $after")
    log "SIGHUP $reloads did not report a successful reload"
  fi
}

# ---------------------------------------------------------------- the soak
log "soaking for ${dur_s}s: poll every ${poll_ms} ms, page size $page_size, churn up to $churn_max clients, restart every ${restart_every}s, scrape every ${scrape_every}s, sample every ${sample_every}s; samples in $csv"
next_scrape=0 next_sample=0
next_restart=$((restart_every > 0 ? restart_every : dur_s + 1))
next_reload=$((reload_supported ? reload_every : dur_s + 1))
# No restart or reload in the last minute: the last samples are taken with the server up.
quiet_from=$((dur_s - 60))
while :; do
  t=$(($(date +%s) - start_epoch))
  ((t < dur_s)) || break
  churn_tick "$t"
  if ((t >= next_restart)); then
    ((t < quiet_from)) && restart_server
    next_restart=$((next_restart + restart_every))
  elif ((t >= next_reload)); then
    ((t < quiet_from)) && reload_farrier
    next_reload=$((next_reload + reload_every))
  fi
  t=$(($(date +%s) - start_epoch))
  if ((t >= next_scrape)); then scrape || true; next_scrape=$((t + scrape_every)); fi
  if ((t >= next_sample)); then sample; next_sample=$((next_sample + sample_every)); ((next_sample > t)) || next_sample=$((t + 1)); fi
  sleep 0.5
done
[[ -z $wave_pid ]] || { stop "$wave_pid"; churn_now=0; }
scrape || true
sample
cp "$last" "$work/final-metrics.txt"
final=$work/final-metrics.txt
cpu_total=$(cpu_ticks "$farrier_pid")
elapsed=$(now)

# farrier must stop cleanly on SIGTERM after all that.
kill -TERM "$farrier_pid"
farrier_rc=0
for ((i = 0; i < 50; i++)); do alive "$farrier_pid" || break; sleep 0.1; done
if alive "$farrier_pid"; then farrier_rc=timeout; stop "$farrier_pid"; else
  wait "$farrier_pid" || farrier_rc=$?
  forget "$farrier_pid"
fi
stop_system
stop "$nats_pid"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- summary
# Samples judged: after the warm-up, with nats_up 1 (fds depend on whether the server is up:
# farrier's keep-alive monitoring connections close while it is down).
stats=$(awk -F, -v w="$warmup" -v half="$(awk -v w="$warmup" -v d="$elapsed" 'BEGIN {print w + (d - w) / 2}')" '
  NR > 1 && $1 >= w {
    n++; if (n == 1) {r0 = $2; f0 = -1}
    if (rmin == "" || $2 < rmin) rmin = $2; if ($2 > rmax) rmax = $2
    if (fmin == "" || $4 < fmin) fmin = $4; if ($4 > fmax) fmax = $4
    if (tmin == "" || $5 < tmin) tmin = $5; if ($5 > tmax) tmax = $5
    r1 = $2; h1 = $3
    if ($7 == 1) { if (f0 < 0) {f0 = $4; fr0 = $2}; f1 = $4; fr1 = $2 }
    if ($1 >= half) { m++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
  }
  END {
    slope = (m > 2 && m * sxx - sx * sx > 0) ? (m * sxy - sx * sy) / (m * sxx - sx * sx) : 0
    # kB per second -> MiB per hour
    printf "%d %d %d %d %d %d %d %d %d %d %d %d %d %d %.3f %d\n",
      n, r0, r1, rmin, rmax, h1, f0, f1, fmin, fmax, tmin, tmax, fr0, fr1, slope * 3600 / 1024, m
  }' "$csv")
read -r n rss_first rss_last rss_min rss_max hwm_last fd_first fd_last fd_min fd_max thr_min thr_max \
  rss_up_first rss_up_last slope_mib_h half_n <<<"$stats"
polls=$(value "$final" nats_exporter_polls_total)
reconnects=$(value "$final" nats_exporter_nats_reconnects_total)
mib() { awk -v k="$1" 'BEGIN {printf "%.2f", k / 1024}'; }
rss_growth=$((rss_up_last - rss_up_first))
fd_growth=$((fd_last - fd_first))
failures=()
((n > 2)) || failures+=("only $n samples after the warm-up")
((fd_first >= 0)) || failures+=("no sample after the warm-up with the server up")
((fd_growth <= fd_slack)) || failures+=("open fds grew from $fd_first to $fd_last (slack $fd_slack)")
((rss_growth <= rss_tol_kb)) || failures+=("RSS grew from $rss_up_first kB to $rss_up_last kB (tolerance $rss_tol_kb kB)")
[[ $farrier_rc == 0 ]] || failures+=("farrier did not exit cleanly on SIGTERM (status $farrier_rc)")
((scrape_fail == 0)) || failures+=("$scrape_fail scrape(s) failed")
((reloads_ok == reloads)) || failures+=("$((reloads - reloads_ok)) of $reloads SIGHUP reload(s) not reported successful")
verdict=$( ((${#failures[@]} == 0)) && echo "flat (within tolerance)" || echo "NOT flat / failed")

# Errors from the last /metrics, summed by the label named (reason or source).
poll_errors_by() {
  awk -F'[{}", ]+' -v label="$1=" '/^nats_exporter_poll_errors_total\{/ {
      for (i = 2; i < NF; i++) if ($i == label) k = $(i + 1)
      v = $NF + 0; if (v > 0) T[k] += v }
    END { for (k in T) printf "%s %d, ", k, T[k] }' "$final" | sed 's/, $//'
}
poll_err_reasons=$(poll_errors_by reason) poll_err_sources=$(poll_errors_by source)
probe_fail=$(awk -F'[{}", ]+' '/^nats_service_probe_failures_total\{/ {
    for (i = 2; i < NF; i++) if ($i == "reason=") r = $(i + 1); printf "%s %d, ", r, $NF + 0 }' "$final" | sed 's/, $//')
probes=$(value "$final" 'nats_service_probes_total{service="echo"}')
series_dropped=$(awk '/^nats_exporter_series_dropped[{ ]/ {s += $2} END {print s + 0}' "$final")
# Log lines by level, and the distinct messages (numbers and addresses folded).
log_levels=$(awk '{c[$2]++} END {for (l in c) printf "%s %d, ", l, c[l]}' "$work/farrier.log" | sed 's/, $//')
log_kinds=$(awk '$2 != "info" || /reconnect|lost|down|recovered|back|reload/ {
    $1 = ""; line = $0; gsub(/[0-9]+(\.[0-9]+)*/, "N", line); c[line]++ }
  END {for (l in c) printf "%6d %s\n", c[l], l}' "$work/farrier.log" | sort -rn | head -25)
loadgen_lines=$(for f in "$work"/loadgen-*.err; do [[ -s $f ]] && tail -1 "$f"; done | sort | uniq -c | sort -rn | head -3 || true)
# Coarse series: one sample every 3 minutes (1/10 of the run below 25 min), plus the last.
step=$(awk -v d="$elapsed" 'BEGIN {s = (d >= 1500) ? 180 : int(d / 10); print (s < 10 ? 10 : s)}')
series=$(awk -F, -v step="$step" 'NR > 1 {
    if ($1 >= nextt) { printf "| %d:%02d | %.1f | %s | %s | %s | %s | %s | %s |\n", int($1 / 60), int($1) % 60, $2 / 1024, $4, $5, ($7 == 1 ? "up" : "down"), $10, $11, $13; nextt = (int($1 / step) + 1) * step; lastp = NR }
    row = sprintf("| %d:%02d | %.1f | %s | %s | %s | %s | %s | %s |", int($1 / 60), int($1) % 60, $2 / 1024, $4, $5, ($7 == 1 ? "up" : "down"), $10, $11, $13); lr = NR }
  END { if (lr != lastp) print row }' "$csv")
cpu_pct=$(awk -v c="$cpu_total" -v t="$tck" -v e="$elapsed" 'BEGIN {printf "%.2f", c / t / e * 100}')

summary="| figure | value |
|---|---|
| duration | $(awk -v e="$elapsed" 'BEGIN {printf "%.0f s", e}') (warm-up ${warmup} s; $n samples after it, every ${sample_every} s) |
| RSS after warm-up: first / last / min / max | $(mib "$rss_first") / $(mib "$rss_last") / $(mib "$rss_min") / $(mib "$rss_max") MiB |
| RSS growth (last vs first sample with the server up after warm-up) | $(mib "$rss_growth") MiB ($rss_up_first → $rss_up_last kB; tolerance $(mib "$rss_tol_kb") MiB) |
| RSS slope, least squares over the second half ($half_n samples) | $slope_mib_h MiB/h |
| peak RSS (VmHWM) at the end | $(mib "$hwm_last") MiB |
| open fds after warm-up: first / last / min / max | $fd_first / $fd_last / $fd_min / $fd_max (first/last: samples with the server up; slack $fd_slack) |
| threads after warm-up: min / max | $thr_min / $thr_max |
| farrier CPU over the run | $(awk -v c="$cpu_total" -v t="$tck" 'BEGIN {printf "%.1f", c / t}') s ($cpu_pct % of one core) |
| polls (nats_exporter_polls_total) | $polls (one per ${poll_ms} ms would be $(awk -v e="$elapsed" -v p="$poll_ms" 'BEGIN {printf "%d", e * 1000 / p}')) |
| nats-server restarts | $restarts (SIGTERM, down ${down} s, same ports) |
| SIGHUP reloads | $( ((reload_supported)) && echo "$reloads sent, $reloads_ok reported successful" || echo "none: this farrier exports no reload metrics (no reload support)") |
| NATS reconnects (nats_exporter_nats_reconnects_total) | $reconnects |
| scrapes of /metrics | $scrapes, $scrape_fail failed, slowest $scrape_max_ms ms; $scrapes_down saw nats_up 0 |
| churn waves (natskit idle-conns, 50-$churn_max clients) | $waves started, $waves_ready reached ready, $waves_failed did not (cut by a restart) |
| poll errors by reason | ${poll_err_reasons:-none} |
| poll errors by source | ${poll_err_sources:-none} |
| probes / probe failures by reason | $probes / $probe_fail |
| series dropped (caps) | $series_dropped |
| farrier log lines by level | $log_levels |
| farrier exit on SIGTERM at the end | $farrier_rc |
| verdict | **$verdict** |"

restart_table="| restart | at s | farrier saw nats_up 0 | nats_up 1 after s | NATS connection after s | probe answered after s |
|---:|---:|---|---:|---:|---:|"
series_header="| t (m:s) | RSS MiB | fds | threads | server | connz connections | connz pages | churn wave (clients asked) |
|---|---:|---:|---:|---|---:|---:|---:|"

{
  echo "# Farrier soak results, $(date '+%F %T %Z')"
  echo
  echo "Command: \`bench/soak.sh $duration\` (restart every ${restart_every} s, reload every ${reload_every} s, scrape every ${scrape_every} s, sample every ${sample_every} s, poll ${poll_ms} ms, page size $page_size)."
  echo "Code: $git_state; farrier binary sha256 $farrier_sum..., built $farrier_built ($farrier_version, CMAKE_BUILD_TYPE=${build_type:-unset})."
  echo "Machine: $(nproc) cores, $(uname -r); $nats_version; load average $load_start at the start, $load_end at the end."
  echo "Samples: \`$csv\`."
  echo
  echo "## Summary"
  echo
  echo "$summary"
  echo
  echo "## Restarts"
  echo
  echo "$restart_table"
  ((${#restart_notes[@]} == 0)) || printf '%s\n' "${restart_notes[@]}"
  ((${#reload_notes[@]} == 0)) || { echo; printf '%s\n' "${reload_notes[@]}"; }
  echo
  echo "## Time series (every ${step} s)"
  echo
  echo "$series_header"
  echo "$series"
  echo
  echo "## Farrier log (warnings, errors and connection changes; numbers folded to N)"
  echo
  echo '```'
  echo "$log_kinds"
  echo '```'
  if [[ -n $loadgen_lines ]]; then
    echo
    echo "Load generator exits (each loses its server at a restart; count, last line):"
    echo
    echo '```'
    echo "$loadgen_lines"
    echo '```'
  fi
  if ((${#failures[@]})); then
    echo
    echo "## FAILURES"
    echo
    printf -- '- %s\n' "${failures[@]}"
  fi
} >"$out"

echo
echo "$summary"
echo
echo "$series_header"
echo "$series"
echo
log "results written to $out, samples in $csv"
if ((${#failures[@]})); then
  printf '\n!!!!! SOAK FAILED !!!!!\n' >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
