#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, starts a local nats-server with
# JetStream (plus a stream, a consumer with a backlog and some idle clients), an API worker pool
# in a queue group with the load generator playing the front door, and farrier probing that
# pool; prints the URLs and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
# Only what the demo starts (a minute or two on two cores), not the test suite.
echo "demo: building farrier, the sample worker, the load generator and natskit (not the tests)" >&2
BUILD_TARGETS="farrier farrier-sample-worker farrier-loadgen natskit" ./scripts/build.sh
build=${BUILD_DIR:-build}

work=$(mktemp -d /tmp/farrier-demo.XXXXXX)
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
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
  trap 'kill $child 2>/dev/null; exit 0' TERM
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

cat >"$work/farrier.json" <<JSON
{
  "nats": {"url": "nats://127.0.0.1:$nats_port", "monitor_url": "http://127.0.0.1:$monitor_port"},
  "poll": {"interval": "2s", "timeout": "1s"},
  "scaling": {"window": "20s", "down_window": "30s"},
  "services": [
    {"name": "echo", "subject": "api.echo", "queue_group": "workers",
     "probe": {"interval": "500ms", "timeout": "1s", "payload": "probe"},
     "worker_concurrency": 4, "overflow": "drop", "micro_service": "Echo"}
  ]
}
JSON
"$build/exporter/farrier" --config "$work/farrier.json" --web.listen-address "127.0.0.1:$web_port" &
pids+=($!)
wait_http "http://127.0.0.1:$web_port/healthz"

cat <<MSG

Farrier demo is running:
  farrier         http://127.0.0.1:$web_port/          (metrics: http://127.0.0.1:$web_port/metrics)
  nats-server     nats://127.0.0.1:$nats_port   monitoring http://127.0.0.1:$monitor_port/
  state           stream ORDERS (50 messages), durable consumer "worker" (40 pending, 10 unacked),
                  20 idle client connections
  API             3 workers x 4 slots on api.echo (queue group "workers", micro service "Echo"),
                  farrier-loadgen alternating 100 and 450 requests/s each minute;
                  farrier probes it every 500 ms and sizes it (desired workers)
  config          $work/farrier.json
Try:  curl -s http://127.0.0.1:$web_port/metrics | grep -E '^nats_(up|connz_connections|consumer_num_pending)'
      curl -s http://127.0.0.1:$web_port/metrics | grep -E '^nats_(service|micro)_'
      watch -n2 "curl -s http://127.0.0.1:$web_port/api/v1/scaling/services/echo"   # desired rises and falls
Press Ctrl-C to stop.
MSG
wait
