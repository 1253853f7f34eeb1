#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, starts a local nats-server with
# JetStream (plus a stream, a consumer with a backlog and some idle clients) and farrier, prints
# the URLs and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
./scripts/build.sh
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

"$build/exporter/farrier" --nats.monitor-url "http://127.0.0.1:$monitor_port" \
  --web.listen-address "127.0.0.1:$web_port" --poll.interval 2s --poll.timeout 1s &
pids+=($!)
wait_http "http://127.0.0.1:$web_port/healthz"

cat <<MSG

Farrier demo is running:
  farrier         http://127.0.0.1:$web_port/          (metrics: http://127.0.0.1:$web_port/metrics)
  nats-server     nats://127.0.0.1:$nats_port   monitoring http://127.0.0.1:$monitor_port/
  state           stream ORDERS (50 messages), durable consumer "worker" (40 pending, 10 unacked),
                  20 idle client connections
Try:  curl -s http://127.0.0.1:$web_port/metrics | grep -E '^nats_(up|connz_connections|consumer_num_pending)'
Press Ctrl-C to stop.
MSG
wait
