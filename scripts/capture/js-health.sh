# shellcheck shell=bash disable=SC2016  # $JS.API..., jq programs and Markdown backquotes in single quotes are literal
# Sourced by scripts/capture-fixtures.sh (uses its helpers): JetStream health beyond backlogs.
#
# One server with an account APP that has JetStream limits (max_mem, max_file, max_streams,
# max_consumers), a stream SRC with a durable pull consumer WORKER that has delivered and acked
# (delivered.last_active, ack_floor.last_active), a mirror BACKUP of SRC and a stream AGG that
# sources SRC (mirror / sources[] with lag and active). /jsz reports the account's non-tiered
# max_mem/max_file as reserved_memory/reserved_storage; max_streams/max_consumers it does not show.
JS_HEALTH_MAX_MEM=67108864
JS_HEALTH_MAX_FILE=268435456

scenario_js_health() {
  log "scenario: JetStream mirror, source, account limits"
  new_server health farrier-health
  mkdir -p "$WORK/health-js"
  cat >>"$WORK/health.conf" <<CONF
jetstream { store_dir: "$WORK/health-js" }
accounts {
  APP {
    jetstream { max_mem: $JS_HEALTH_MAX_MEM, max_file: $JS_HEALTH_MAX_FILE, max_streams: 10, max_consumers: 20 }
    users [ { user: app, password: app } ]
  }
}
CONF
  start_server health
  wait_for health /healthz '.status == "ok"' "JetStream ready"
  local url=nats://app:app@127.0.0.1:${CPORT[health]} api='$JS.API.STREAM.CREATE'
  run health-src "$NATSKIT" js-setup --url "$url" --stream SRC --subjects 'src.>' --storage file \
    --publish 30 --consumer WORKER --fetch 10 --ack 8 --name src-setup
  run health-mirror "$NATSKIT" request --url "$url" --name mirror-setup --subject "$api.BACKUP" \
    --data '{"name":"BACKUP","mirror":{"name":"SRC"},"storage":"file"}'
  run health-source "$NATSKIT" request --url "$url" --name source-setup --subject "$api.AGG" \
    --data '{"name":"AGG","subjects":["agg.>"],"sources":[{"name":"SRC"}],"storage":"file"}'
  local streams='.account_details[] | select(.name == "APP") | .stream_detail[]'
  wait_for health '/jsz?accounts=true&streams=true' "[$streams | select((.name == \"BACKUP\" or .name == \"AGG\")
      and .state.messages == 30)] | length == 2" "BACKUP and AGG to hold SRC's 30 messages"
  capture health /varz health-varz.json
  capture health '/jsz?accounts=true&streams=true&consumers=true&config=true' jsz-health.json

  expect jsz-health.json ".now != null" "the server's time (now)"
  expect jsz-health.json "[.account_details[] | select(.name == \"APP\" and .reserved_memory == $JS_HEALTH_MAX_MEM
      and .reserved_storage == $JS_HEALTH_MAX_FILE and .storage > 0)] | length == 1" \
    "account APP with its limits as reserved_memory/reserved_storage"
  expect jsz-health.json "[$streams | select(.name == \"BACKUP\" and .mirror.name == \"SRC\"
      and .mirror.lag == 0 and .mirror.active > 0)] | length == 1" "mirror BACKUP of SRC, caught up"
  expect jsz-health.json "[$streams | select(.name == \"AGG\" and .sources[0].name == \"SRC\"
      and .sources[0].lag == 0 and .sources[0].active > 0)] | length == 1" "AGG sourcing SRC, caught up"
  expect jsz-health.json "[$streams | .consumer_detail[]? | select(.name == \"WORKER\"
      and .delivered.stream_seq == 10 and .ack_floor.stream_seq == 8
      and .delivered.last_active != null and .ack_floor.last_active != null)] | length == 1" \
    "WORKER delivered 10, acked 8, with last_active times"
  end_scenario
}

readme_js_health() {
  cat <<MD
## Mirror, source and account limits (\`farrier-health\`)

A server whose account \`APP\` has JetStream limits (\`max_mem: $JS_HEALTH_MAX_MEM\`,
\`max_file: $JS_HEALTH_MAX_FILE\`, \`max_streams: 10\`, \`max_consumers: 20\`); /jsz shows the first
two as the account's \`reserved_memory\`/\`reserved_storage\` and not the others. Stream \`SRC\`
(\`src.>\`, 30 messages) with durable pull consumer \`WORKER\` (10 fetched, 8 acked), \`BACKUP\` a
mirror of \`SRC\`, \`AGG\` (\`agg.>\`) sourcing \`SRC\`; captured once both hold the 30 messages: mirror lag $(q jsz-health.json '[.account_details[].stream_detail[] | select(.name == "BACKUP")][0].mirror.lag'), source lag $(q jsz-health.json '[.account_details[].stream_detail[] | select(.name == "AGG")][0].sources[0].lag').

MD
  files_table health
  echo
}
