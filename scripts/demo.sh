#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, starts a local nats-server with
# JetStream (plus a stream, a consumer with a backlog and some idle clients), an API worker pool
# in a queue group with the load generator playing the front door, farrier probing that pool and
# sizing it and the consumer, and Prometheus scraping farrier with the rules of alerts/; prints
# the URLs and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh disable=SC1091  # followed with shellcheck -x
source scripts/lib.sh
# Only what the demo starts (a minute or two on two cores), not the test suite.
echo "demo: building farrier, the sample worker, the load generator and natskit (not the tests)" >&2
BUILD_TARGETS="farrier farrier-sample-worker farrier-loadgen natskit" ./scripts/build.sh
build=${BUILD_DIR:-build}

work=$(mktemp -d /tmp/farrier-demo.XXXXXX)
pids=()
log() { echo "demo: $*" >&2; }
cleanup() {
  trap - EXIT INT TERM
  # SIGTERM, then SIGKILL for whatever is still running 5 s later: no child can keep the demo
  # from ending.
  terminate_pids "${pids[@]}"
  rm -rf "$work"
  echo "demo stopped"
}
trap cleanup EXIT INT TERM

nats_port=$(free_port 4222)
monitor_port=$(free_port 8222)
web_port=$(free_port 7778)
nats-server -a 127.0.0.1 -p "$nats_port" -m "$monitor_port" -js -sd "$work/js" -n demo \
  >"$work/nats-server.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$monitor_port/healthz"

"$build/tests/tools/natskit" js-setup --url "nats://127.0.0.1:$nats_port" --stream ORDERS \
  --subjects 'orders.>' --publish 50 --consumer worker --fetch 10 >/dev/null
"$build/tests/tools/natskit" idle-conns --url "nats://127.0.0.1:$nats_port" --count 20 --subs 2 \
  >"$work/idle.log" 2>&1 &
pids+=($!)

# The API: three workers in queue group "workers" on api.echo, each serving at most 4 requests at
# once (20 ms on average, exponential) and dropping what arrives while full, like the seed's
# workers; they also answer the NATS micro API ($SRV.*) as service "Echo".
for i in 1 2 3; do
  "$build/exporter/samples/farrier-sample-worker" --url "nats://127.0.0.1:$nats_port" \
    --subject api.echo --queue workers --concurrency 4 --service-time 20ms \
    --service-time-dist exponential --overflow drop --name "echo-worker-$i" --micro-name Echo \
    >"$work/worker-$i.log" 2>&1 &
  pids+=($!)
done
# The front door: Poisson arrivals alternating a minute at 100 requests/s (utilization 0.17)
# and a minute at 450/s (0.75: a fifth of the requests time out), so the desired-workers signal
# rises and falls.
(
  child=
  trap 'kill $child 2>/dev/null; exit 0' TERM INT
  while true; do
    for rate in 100 450; do
      "$build/exporter/samples/farrier-loadgen" --url "nats://127.0.0.1:$nats_port" --subject api.echo \
        --rate "$rate" --arrivals poisson --duration 60s --timeout 1s >>"$work/loadgen.log" 2>&1 &
      child=$!
      wait "$child" || sleep 1
    done
  done
) &
pids+=($!)

demo_farrier_config "$nats_port" "$monitor_port" >"$work/farrier.json"
"$build/exporter/farrier" --config "$work/farrier.json" --web.listen-address "127.0.0.1:$web_port" &
pids+=($!)
wait_http "http://127.0.0.1:$web_port/healthz"

# Prometheus scrapes farrier as often as farrier polls and evaluates the repository's rules (the
# alerts need minutes of data to fire). Its port is picked now that the others are listening.
prom_port=$(free_port 9090)
prom=http://127.0.0.1:$prom_port
rule_files=$(for f in capacity.rules nats.rules farrier.alerts nats.alerts services.alerts; do
  echo "  - $PWD/alerts/$f.yml"
done)
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 2s
  scrape_timeout: 2s
  evaluation_interval: 10s
rule_files:
$rule_files
scrape_configs:
  - job_name: farrier
    static_configs:
      - targets: ["127.0.0.1:$web_port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus" \
  --storage.tsdb.retention.time=1h --web.listen-address="127.0.0.1:$prom_port" \
  >"$work/prometheus.log" 2>&1 &
prom_pid=$!
pids+=("$prom_pid")
# /-/ready answers 503 while the TSDB opens, so wait_http (any status) is not enough.
for _ in $(seq 1 300); do
  curl -sf -o /dev/null "$prom/-/ready" && break
  kill -0 "$prom_pid" 2>/dev/null || break
  sleep 0.1
done
if ! curl -sf -o /dev/null "$prom/-/ready"; then
  tail -n 20 "$work/prometheus.log" >&2
  echo "demo: prometheus did not become ready" >&2
  exit 1
fi
# Debian's build serves its (classic) UI under /classic: /alerts and /rules are 404 there.
ui=$prom/classic
curl -sf -o /dev/null "$ui/graph" || ui=$prom
# {__name__=~"nats_service_(workers|desired_workers)",service="echo"}, encoded for the URL (the
# classic UI splits its parameters at every & and =).
workers_expr='%7B__name__%3D~%22nats_service_%28workers%7Cdesired_workers%29%22%2Cservice%3D%22echo%22%7D'

cat <<MSG

Farrier demo is running. Open this, farrier's status page (current vs desired workers,
utilization, timeouts, probe latency, consumer lag; 15-minute charts, refreshing itself):
  http://127.0.0.1:$web_port/
Prometheus scrapes farrier every 2 s and evaluates the rules of alerts/. Current vs desired
workers of service echo over the last 15 minutes, while the load alternates:
  $ui/graph?g0.expr=$workers_expr&g0.tab=0&g0.range_input=15m
  alerts: $ui/alerts   rules: $ui/rules
Also running:
  nats-server     nats://127.0.0.1:$nats_port   monitoring http://127.0.0.1:$monitor_port/
  state           stream ORDERS (50 messages), durable consumer "worker" (40 pending, 10 unacked;
                  farrier sizes it at 1 message/s per worker), 20 idle client connections
  API             3 workers x 4 slots on api.echo (queue group "workers", micro service "Echo"),
                  farrier-loadgen alternating 100 and 450 requests/s each minute;
                  farrier probes it every 500 ms and sizes it (desired workers)
  files           $work (configs and logs; removed on exit)
Try:  curl -s http://127.0.0.1:$web_port/api/v1/scaling   # the same signals as JSON, for KEDA
      curl -s http://127.0.0.1:$web_port/metrics | grep -E '^nats_(service|consumer)_'
Press Ctrl-C to stop.
MSG
wait
