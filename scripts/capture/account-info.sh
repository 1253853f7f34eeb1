#!/usr/bin/env bash
# shellcheck disable=SC2016  # $JS.API... and $SYS.REQ... subjects are literal
# Captures what a client of an account with JetStream limits is told about them, on one
# nats-server release, into tests/fixtures/account-info/nats-<version>/:
#
#   account_info.json              $JS.API.INFO of account APP (max_mem 64MB, max_file 256MB,
#                                  max_streams 10, max_consumers 20) holding 3 streams and 2
#                                  consumers, 1 message in stream S1
#   account_info-not_enabled.json  $JS.API.INFO of account NOJS, which has no JetStream
#   user_info.json                 $SYS.REQ.USER.INFO of APP's user, where the release answers it
#                                  (2.10+); absent where nobody answers (2.9.10)
#
#   scripts/capture/account-info.sh NATS_SERVER_BINARY [NATSKIT_BINARY]
#
# /jsz shows an account's max_mem/max_file but not its max_streams/max_consumers on any release:
# $JS.API.INFO, asked by a client of the account, is where farrier's
# --jetstream.account-info reads them (services/js_account_info.h).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
source "$here/scripts/lib.sh"
capture_begin account-info "$@"

port=$(free_port)
cat >"$work/server.conf" <<CONF
listen: "127.0.0.1:$port"
jetstream { store_dir: "$work/js" }
accounts {
  APP {
    jetstream { max_mem: 64MB, max_file: 256MB, max_streams: 10, max_consumers: 20 }
    users [ { user: app, password: app } ]
  }
  NOJS { users [ { user: nojs, password: nojs } ] }
}
CONF
capture_serve "$port"
app=nats://app:app@127.0.0.1:$port
nojs=nats://nojs:nojs@127.0.0.1:$port
req() { capture_req "$@"; }
capture_await_jetstream "$app"
for s in S1 S2 S3; do
  req "$app" "\$JS.API.STREAM.CREATE.$s" "{\"name\":\"$s\",\"subjects\":[\"${s,,}.>\"],\"storage\":\"file\"}" >/dev/null
done
for c in C1 C2; do
  req "$app" "\$JS.API.CONSUMER.DURABLE.CREATE.S1.$c" \
    "{\"stream_name\":\"S1\",\"config\":{\"durable_name\":\"$c\",\"ack_policy\":\"explicit\"}}" >/dev/null
done
"$natskit" pub --url "$app" --subject s1.one --count 1 >/dev/null

mkdir -p "$out"
rm -f "$out"/*.json
req "$app" '$JS.API.INFO' | jq . >"$out/account_info.json"
req "$nojs" '$JS.API.INFO' | jq . >"$out/account_info-not_enabled.json"
if info=$(req "$app" '$SYS.REQ.USER.INFO' 2>"$work/user-info.err"); then
  jq . <<<"$info" >"$out/user_info.json"
else
  log "no answer to \$SYS.REQ.USER.INFO: $(cat "$work/user-info.err")"
fi

# What the captures promise (the unit tests assert these as literals).
expect() { jq -e "$2" "$out/$1" >/dev/null || { log "$1: expected $2"; exit 1; }; }
expect account_info.json '.type == "io.nats.jetstream.api.v1.account_info_response"
  and .streams == 3 and .consumers == 2 and .storage > 0
  and .limits.max_memory == 67108864 and .limits.max_storage == 268435456
  and .limits.max_streams == 10 and .limits.max_consumers == 20'
expect account_info-not_enabled.json '.error.code == 503 and .error.err_code == 10039'
[[ ! -e $out/user_info.json ]] || expect user_info.json '.data.account == "APP" and .data.user == "app"'
log "captured into ${out#"$here"/}: $(cd "$out" && echo *.json)"
