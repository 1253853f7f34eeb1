#!/usr/bin/env bash
# shellcheck disable=SC2016  # $SYS.REQ... subjects and jq programs are literal
# Captures what nats-server's $SYS monitoring responders answer a system-account user, on one
# release, into tests/fixtures/sys/nats-<version>/ (cluster mode, transport/sys_request.h):
#
#   ping-statsz.json     $SYS.REQ.SERVER.PING.STATSZ, the first (only) server's answer
#   varz.json            $SYS.REQ.SERVER.<id>.VARZ
#   connz.json           .CONNZ {"offset":0,"limit":2} with 3 client connections
#   routez.json          .ROUTEZ
#   subsz.json           .SUBSZ {"subscriptions":true,"limit":100,"test":"orders.new"}
#   jsz.json             .JSZ {"accounts":true,"streams":true,"consumer":true,"config":true}, one stream
#   healthz.json         .HEALTHZ {"details":true}
#   leafz.json           .LEAFZ
#   gatewayz.json        .GATEWAYZ
#   error-options.json   .CONNZ {"offset":"not a number"}: the error reply
#
#   scripts/capture/sys.sh NATS_SERVER_BINARY [NATSKIT_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
source "$here/scripts/lib.sh"
capture_begin sys "$@"

port=$(free_port)
cat >"$work/server.conf" <<CONF
server_name: sys-capture
listen: "127.0.0.1:$port"
jetstream { store_dir: "$work/js" }
accounts {
  SYS { users [ { user: sys, password: sys } ] }
  APP { jetstream: enabled, users [ { user: app, password: app } ] }
}
system_account: SYS
no_auth_user: app
CONF
capture_serve "$port"
sys=nats://sys:sys@127.0.0.1:$port
app=nats://app:app@127.0.0.1:$port
req() { capture_req "$@"; }
capture_await_jetstream "$app"
req "$app" '$JS.API.STREAM.CREATE.ORDERS' '{"name":"ORDERS","subjects":["orders.>"],"storage":"file"}' >/dev/null
"$natskit" idle-conns --url "nats://127.0.0.1:$port" --count 3 --subs 1 >"$work/idle.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "ready 3" "$work/idle.out" && break; sleep 0.1; done
"$natskit" qsub --url "nats://127.0.0.1:$port" --subject orders.new --queue workers --count 1 >"$work/qsub.out" 2>&1 &
pids+=($!)
sleep 0.5

mkdir -p "$out"
rm -f "$out"/*.json
# Stored as sent, not through jq: jq 1.6 (Debian 12) rounds 2^64-1 (/jsz reserved_memory) to a
# float that the parsers rightly refuse as an unsigned integer.
req "$sys" '$SYS.REQ.SERVER.PING.STATSZ' >"$out/ping-statsz.json"
id=$(jq -r .server.id "$out/ping-statsz.json")
ask() { req "$sys" "\$SYS.REQ.SERVER.$id.$2" "${3:-}" >"$out/$1.json"; }
ask varz VARZ
ask connz CONNZ '{"offset":0,"limit":2}'
ask routez ROUTEZ
ask subsz SUBSZ '{"subscriptions":true,"limit":100,"test":"orders.new"}'
ask jsz JSZ '{"accounts":true,"streams":true,"consumer":true,"config":true}'
ask healthz HEALTHZ '{"details":true}'
ask leafz LEAFZ
ask gatewayz GATEWAYZ
ask error-options CONNZ '{"offset":"not a number"}'

# What the captures promise (tests/unit/sys_request_test.cc asserts these).
expect() { jq -e "$2" "$out/$1" >/dev/null || { log "$1: expected $2"; exit 1; }; }
expect ping-statsz.json '.server.name == "sys-capture" and (.server.id | length) > 0'
expect varz.json ".server.id == \"$id\" and .data.server_id == \"$id\" and .data.server_name == \"sys-capture\""
expect connz.json '.data.limit == 2 and .data.num_connections == 2 and .data.total >= 4'
expect subsz.json '.data.num_subscriptions > 0 and ([.data.subscriptions_list[] | select(.qgroup == "workers")] | length) == 1'
expect jsz.json '.data.streams == 1'
expect error-options.json '.error.code == 400 and (.data == null)'
log "captured into ${out#"$here"/}: $(cd "$out" && echo *.json)"
