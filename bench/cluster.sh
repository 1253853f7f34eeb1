#!/usr/bin/env bash
# Cluster-mode bench (issue 14): one farrier polling every server of an N-server loopback
# cluster over $SYS requests (--nats.system-account), next to the baseline of the same run: one
# HTTP sidecar farrier per server. Per mode: farrier's CPU per poll (all its processes), memory
# (RSS summed, peak), how long a poll takes (the slowest source of the slowest server), servers
# answered, and the nats-servers' own CPU per poll above their idle use. The peers are not in the
# table: the Go module proxy here serves neither nats-surveyor nor prometheus-nats-exporter
# (403 "not available" for every version on 2026-12-05), so they cannot be built.
#
# usage: bench/cluster.sh [options]
#   --servers N        cluster size (default 20)
#   --window SEC       measuring window per mode, after a 5 s warm-up (default 60)
#   --interval SEC     farrier's --poll.interval in both modes (default 5)
#   --build-dir DIR    CMake build directory (default $BUILD_DIR, else <repo>/build)
#   --no-build         use the binaries in the build directory as they are
#   --out FILE         results file (default bench/results-cluster-<YYYY-MM-DD>.md)
#   --time-limit SEC   abort (and clean up) if the run takes longer (default 480)
#
# Exits 1 when the bench could not run properly (a server or farrier did not start, a server
# was not counted); figures are reported, not judged. Needs root on a fresh Debian 12 for apt
# (only when something is missing). Every process it starts is stopped by PID on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$REPO/scripts/lib.sh"

servers=20
window=60
interval=5
build_dir=${BUILD_DIR:-$REPO/build}
do_build=1
out=
time_limit=480
while (($#)); do
  case $1 in
    --servers) servers=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --out) out=$2; shift 2 ;;
    --time-limit) time_limit=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "cluster.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in servers window interval; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 2 ]] || { echo "cluster.sh: --${v} takes a whole number >= 2" >&2; exit 2; }
done
out=${out:-$BENCH_DIR/results-cluster-$(date -u +%F).md}

log() { echo "cluster.sh: $*" >&2; }
die() { log "$*"; echo '!!!!! BENCH FAILED !!!!!' >&2; exit 1; }

ensure_packages nats-server curl procps gawk
if ((do_build)); then
  "$REPO/scripts/deps.sh" >&2
  cmake -S "$REPO" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build_dir" -j"$(nproc)" --target farrier >&2
fi
farrier=$build_dir/exporter/farrier
[[ -x $farrier ]] || die "no farrier binary at $farrier (build it, or drop --no-build)"
nats_server=$(command -v nats-server)

work=$(mktemp -d)
pids=()
declare -A NAME_OF
start_run_lifecycle "$time_limit"

# CPU time in ns of the processes (every thread's, from schedstat: finer than /proc/PID/stat's
# 10 ms ticks, which a sidecar's poll of about 1 ms would round away).
cpu_ns() {
  local p
  for p in "$@"; do cat "/proc/$p"/task/*/schedstat 2>/dev/null; done | awk '{t += $1} END {printf "%d", t}'
}
status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$2/status"; }
scrape() { curl -s --max-time 2 "http://127.0.0.1:$1/metrics"; }
# The largest nats_exporter_poll_duration_seconds in a scrape, in ms.
slowest_ms() { awk '/^nats_exporter_poll_duration_seconds/ {if ($NF > m) m = $NF} END {printf "%.1f", m * 1000}'; }

# ---------------------------------------------------------------- the cluster
echo "sys-bench-pw" >"$work/sys.pw"
seed_port=$(free_port)
server_pids=()
monitor_ports=()
client_ports=()
for i in $(seq 1 "$servers"); do
  cp=$(free_port); mp=$(free_port); rp=$seed_port
  ((i > 1)) && rp=$(free_port)
  cat >"$work/s$i.conf" <<CONF
server_name: s$i
listen: "127.0.0.1:$cp"
http: "127.0.0.1:$mp"
cluster { name: bench, listen: "127.0.0.1:$rp", routes: ["nats-route://127.0.0.1:$seed_port"] }
accounts { SYS { users: [ { user: sys, password: sys-bench-pw } ] }, APP { users: [ { user: app } ] } }
system_account: SYS
no_auth_user: app
CONF
  start_bg "nats-server s$i" "$work/s$i.out" "$work/s$i.log" "$nats_server" -c "$work/s$i.conf"
  server_pids+=("$LAST_PID")
  monitor_ports+=("$mp")
  client_ports+=("$cp")
done
log "$servers nats-servers started; waiting for the full mesh"
for _ in $(seq 1 600); do
  meshed=0
  for mp in "${monitor_ports[@]}"; do
    r=$(curl -s --max-time 1 "http://127.0.0.1:$mp/varz" | grep -o '"remotes": *[0-9]*' | grep -o '[0-9]*$' || true)
    [[ ${r:-0} -ge $((servers - 1)) ]] && meshed=$((meshed + 1))
  done
  ((meshed == servers)) && break
  sleep 0.2
done
((meshed == servers)) || die "only $meshed of $servers servers see all $((servers - 1)) peers"
version=$("$nats_server" --version)

# ---------------------------------------------------------------- idle servers
sleep 3
t0=$(cpu_ns "${server_pids[@]}")
sleep "$window"
idle_ns=$(($(cpu_ns "${server_pids[@]}") - t0))
polls=$((window / interval))

# measure NAME PORT PIDS...: warm-up, then the window; prints one table row's raw figures.
measure() {
  local name=$1 port=$2
  shift 2
  sleep 5
  local f0 s0 samples=() answered_min=999999 s
  f0=$(cpu_ns "$@"); s0=$(cpu_ns "${server_pids[@]}")
  local end=$((SECONDS + window))
  while ((SECONDS < end)); do
    local body
    body=$(scrape "$port")
    samples+=("$(slowest_ms <<<"$body")")
    s=$(awk '/^nats_exporter_servers_answered / {print $2}' <<<"$body")
    [[ -n $s ]] && ((s < answered_min)) && answered_min=$s
    sleep 1
  done
  local fcpu scpu rss=0 hwm=0 p
  fcpu=$(($(cpu_ns "$@") - f0)); scpu=$(($(cpu_ns "${server_pids[@]}") - s0 - idle_ns))
  for p in "$@"; do
    rss=$((rss + $(status_kb VmRSS "$p"))); hwm=$((hwm + $(status_kb VmHWM "$p")))
  done
  local sorted p50 pmax
  sorted=$(printf '%s\n' "${samples[@]}" | sort -g)
  p50=$(sed -n "$(((${#samples[@]} + 1) / 2))p" <<<"$sorted"); pmax=$(tail -1 <<<"$sorted")
  ((answered_min == 999999)) && answered_min="n/a"
  awk -v n="$name" -v np="$#" -v f="$fcpu" -v s="$scpu" -v polls="$polls" -v t=1e9 -v rss="$rss" -v hwm="$hwm" \
    -v p50="$p50" -v pmax="$pmax" -v a="$answered_min" \
    'BEGIN { printf "| %s | %d | %.1f | %.1f | %.1f | %s / %s | %s | %.1f |\n", n, np, f / t / polls * 1000,
             rss / 1024, hwm / 1024, p50, pmax, a, s / t / polls * 1000 }'
}

# ---------------------------------------------------------------- cluster mode
start_bg "farrier cluster mode" "$work/cluster.out" "$work/cluster.log" "$farrier" --nats.system-account \
  --nats.url "nats://127.0.0.1:${client_ports[0]}" --nats.user sys --nats.password-file "$work/sys.pw" \
  --cluster.expected-servers "$servers" --poll.interval "${interval}s" --poll.timeout "$((interval - 1))s" \
  --web.listen-address "127.0.0.1:0"
cluster_pid=$LAST_PID
for _ in $(seq 1 100); do
  cport=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/cluster.log" | grep -o '[0-9]*$' || true)
  [[ -n $cport ]] && break
  sleep 0.1
done
[[ -n $cport ]] || die "cluster-mode farrier did not start: $(tail -3 "$work/cluster.log")"
for _ in $(seq 1 100); do
  [[ $(scrape "$cport" | grep -c '^nats_up{.*} 1$') -eq $servers ]] && break
  sleep 0.2
done
[[ $(scrape "$cport" | grep -c '^nats_up{.*} 1$') -eq $servers ]] || die "cluster mode does not see $servers servers up"
log "cluster mode: measuring for ${window}s"
row_cluster=$(measure "cluster mode ($servers servers over \$SYS)" "$cport" "$cluster_pid")
stop "$cluster_pid"

# ---------------------------------------------------------------- sidecars (baseline)
side_pids=()
side_ports=()
for i in $(seq 1 "$servers"); do
  start_bg "farrier sidecar s$i" "$work/side$i.out" "$work/side$i.log" "$farrier" \
    --nats.monitor-url "http://127.0.0.1:${monitor_ports[i - 1]}" --poll.interval "${interval}s" \
    --poll.timeout "$((interval - 1))s" --web.listen-address "127.0.0.1:0"
  side_pids+=("$LAST_PID")
done
for i in $(seq 1 "$servers"); do
  p=
  for _ in $(seq 1 100); do
    p=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/side$i.log" | grep -o '[0-9]*$' || true)
    [[ -n $p ]] && break
    sleep 0.1
  done
  [[ -n $p ]] || die "sidecar $i did not start: $(tail -3 "$work/side$i.log")"
  side_ports+=("$p")
done
log "sidecars: measuring for ${window}s"
# The sidecars' poll durations: the slowest of all, sampled through the first one's view is not
# enough, so the row's duration column comes from every sidecar at the end of the window.
row_side=$(measure "sidecars (one per server, HTTP)" "${side_ports[0]}" "${side_pids[@]}")
slowest_all=0
for p in "${side_ports[@]}"; do
  s=$(scrape "$p" | slowest_ms)
  slowest_all=$(awk -v a="$slowest_all" -v b="$s" 'BEGIN {print (b > a) ? b : a}')
done
stop "${side_pids[@]}"

{
  echo "# Cluster-mode bench, $(date -u +%F)"
  echo
  echo "$servers nats-servers ($version) in one loopback cluster, farrier $(git -C "$REPO" rev-parse --short HEAD)," \
    "poll interval ${interval}s, ${window}s window per mode after a 5 s warm-up, $(nproc) cores," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| mode | farrier processes | farrier CPU per poll (ms) | RSS total (MB) | peak total (MB) | poll duration p50 / max (ms) | servers answered (min) | nats-servers' CPU per poll above idle (ms) |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "$row_cluster"
  echo "$row_side"
  echo
  echo "Sidecars' slowest poll at the end of the window, over all $servers: ${slowest_all} ms (the row's durations are the first sidecar's)."
  echo "Idle nats-servers: $(awk -v t="$idle_ns" -v w="$window" 'BEGIN {printf "%.1f", t / 1e9 / w * 1000}') ms of CPU per second, all $servers together."
  echo "nats-surveyor and prometheus-nats-exporter: not served by the Go module proxy here, not measured."
} | tee "$out"
log "results in ${out#"$REPO"/}"
