#!/usr/bin/env bash
# shellcheck disable=SC2016  # $JS.API... subjects are literal
# Captures the JetStream advisories and metrics ($JS.EVENT.ADVISORY.>, $JS.EVENT.METRIC.>) of
# one nats-server release, each caused for real, into tests/fixtures/advisories/nats-<version>/:
# one file per event type (<type's last part>.json, the first event of that type, as published),
# plus api_audit-error.json (an API call answered with an error).
#
#   scripts/capture/advisories.sh NATS_SERVER_BINARY [NATSKIT_BINARY]
#
# NATSKIT_BINARY defaults to build/tests/tools/natskit. What is caused: a stream (create, update,
# delete); a pull consumer with max_deliver 2 whose message is NAKed twice (nak, max_deliver), one
# whose message is TERMed (terminated), one with sample_freq 100% that acks (consumer_ack); a
# snapshot (snapshot_create/complete); an ephemeral consumer, whose creation's API audit (like the
# durable NAKS's) is kept apart; INFO of a missing stream (api_audit with an error); and,
# on a 3-node cluster, an R3 stream and consumer whose leaders step down (leader elections).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
source "$here/scripts/lib.sh"
capture_begin advisories "$@"

# start_node NAME PORT [CLUSTER_PORT ROUTES]: a JetStream server in the background.
start_node() {
  local name=$1 port=$2 conf=$work/$1.conf
  printf 'server_name: %s\nlisten: "127.0.0.1:%s"\njetstream { store_dir: "%s" }\n' \
    "$name" "$port" "$work/$name-store" >"$conf"
  if (($# > 2)); then
    printf 'cluster { name: adv, listen: "127.0.0.1:%s", routes: [%s] }\n' "$3" "$4" >>"$conf"
  fi
  "$server" -c "$conf" >"$work/$name.log" 2>&1 &
  pids+=($!)
}
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
req() { "$natskit" request --url "$url" --subject "$1" --data "${2:-}" --timeout 5000; }
# req_until SUBJECT DATA: retried until the reply has no error (a cluster's meta leader may be
# elected but not yet ready to place R3 assets).
req_until() {
  local r
  for _ in $(seq 1 50); do
    r=$(req "$1" "$2" || true)
    if [[ -n $r && $r != *'"error"'* ]]; then echo "$r"; return 0; fi
    sleep 0.2
  done
  echo "advisories: $1 kept failing: $r" >&2
  return 1
}
consumer() {  # consumer STREAM NAME EXTRA_CONFIG
  req_until "\$JS.API.CONSUMER.DURABLE.CREATE.$1.$2" \
    "{\"stream_name\":\"$1\",\"config\":{\"durable_name\":\"$2\",\"ack_policy\":\"explicit\"$3}}" >/dev/null
}

# --- one server: everything but leader elections
port=$(free_port)
start_node adv "$port"
wait_port "$port"
url=nats://127.0.0.1:$port
"$natskit" sub --url "$url" --subject '$JS.EVENT.>' --timeout 60 >"$work/events.jsonl" 2>"$work/sub.err" &
pids+=($!)
sleep 0.5
req_until '$JS.API.STREAM.CREATE.ADV' '{"name":"ADV","subjects":["adv.>"],"storage":"file"}' >/dev/null
req_until '$JS.API.STREAM.UPDATE.ADV' '{"name":"ADV","subjects":["adv.>"],"storage":"file","max_msgs":1000}' >/dev/null
consumer ADV NAKS ',"max_deliver":2'
consumer ADV TERMS ''
consumer ADV ACKS ',"sample_freq":"100%"'
"$natskit" pub --url "$url" --subject adv.one --count 1 >/dev/null
"$natskit" js-reply --url "$url" --stream ADV --consumer NAKS --reply -NAK --count 3 --timeout 1000 >/dev/null
"$natskit" js-reply --url "$url" --stream ADV --consumer TERMS --reply +TERM --count 1 >/dev/null
"$natskit" js-reply --url "$url" --stream ADV --consumer ACKS --reply +ACK --count 1 >/dev/null
# An ephemeral pull consumer (no durable_name): its creation's API audit tells it from a durable.
eph=$(req_until '$JS.API.CONSUMER.CREATE.ADV' '{"stream_name":"ADV","config":{"ack_policy":"explicit"}}' | jq -r .name)
"$natskit" js-reply --url "$url" --stream ADV --consumer "$eph" --reply -NAK --count 1 >/dev/null
req '$JS.API.STREAM.SNAPSHOT.ADV' '{"deliver_subject":"adv-snapshot.chunks","chunk_size":1024}' >/dev/null
req '$JS.API.STREAM.INFO.MISSING' '' >/dev/null
req '$JS.API.CONSUMER.DELETE.ADV.ACKS' '' >/dev/null
req '$JS.API.STREAM.DELETE.ADV' '' >/dev/null
sleep 1

# --- three nodes: stream and consumer leader elections
mapfile -t p < <(for _ in 1 2 3 4 5 6; do free_port; done)
routes="nats-route://127.0.0.1:${p[3]},nats-route://127.0.0.1:${p[4]},nats-route://127.0.0.1:${p[5]}"
for i in 0 1 2; do start_node "n$i" "${p[$i]}" "${p[$((i + 3))]}" "$routes"; done
for i in 0 1 2; do wait_port "${p[$i]}"; done
url=nats://127.0.0.1:${p[0]}
"$natskit" sub --url "$url" --subject '$JS.EVENT.ADVISORY.>' --timeout 60 >"$work/cluster.jsonl" 2>"$work/cluster-sub.err" &
pids+=($!)
sleep 0.5
req_until '$JS.API.STREAM.CREATE.R3' '{"name":"R3","subjects":["r3.>"],"storage":"file","num_replicas":3}' >/dev/null
consumer R3 C3 ''
sleep 1
req_until '$JS.API.CONSUMER.LEADER.STEPDOWN.R3.C3' '' >/dev/null
req_until '$JS.API.STREAM.LEADER.STEPDOWN.R3' '' >/dev/null
sleep 2

mkdir -p "$out"
rm -f "$out"/*.json
cat "$work/events.jsonl" "$work/cluster.jsonl" | grep '^{' | while IFS= read -r line; do
  type=$(jq -r .type <<<"$line")
  file=$out/${type##*.}.json
  if [[ ${type##*.} == api_audit ]]; then
    if jq -e '.response | fromjson | has("error")' <<<"$line" >/dev/null; then
      file=$out/api_audit-error.json
    elif jq -e '.subject | startswith("$JS.API.CONSUMER.DURABLE.CREATE.ADV.NAKS")' <<<"$line" >/dev/null; then
      file=$out/api_audit-durable_create.json
    elif jq -e '.subject == "$JS.API.CONSUMER.CREATE.ADV"' <<<"$line" >/dev/null; then
      file=$out/api_audit-ephemeral_create.json
    fi
  fi
  [[ -e $file ]] || jq . <<<"$line" >"$file"
done
log "captured: $(cd "$out" && ls | tr '\n' ' ')"
for want in stream_action consumer_action nak max_deliver terminated consumer_ack snapshot_create \
  snapshot_complete api_audit api_audit-error api_audit-durable_create api_audit-ephemeral_create \
  stream_leader_elected consumer_leader_elected; do
  [[ -e $out/$want.json ]] || { log "missing: $want"; exit 1; }
done
