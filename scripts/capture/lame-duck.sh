# shellcheck shell=bash disable=SC2016  # $G, $SYS, $JS.API..., jq programs and Markdown backquotes in single quotes are literal
# Sourced by scripts/capture-fixtures.sh (uses its helpers): a server in lame duck mode.
#
# SIGUSR2 puts nats-server into lame duck mode: it closes its client listener at once, waits
# lame_duck_grace_period, then closes the clients one by one spread over the rest of
# lame_duck_duration (at most 1 s apart) and shuts down; the monitoring port serves until then.
# A server without clients shuts down immediately, so 20 idle clients keep it up for 2 s +
# 19 x 0.5-1 s. Config rules (opts.go): duration at least 30 s, grace period not negative and
# strictly below the duration.
scenario_lame_duck() {
  log "scenario: lame duck mode"
  local pid t0
  new_server ldm farrier-ldm
  cat >>"$WORK/ldm.conf" <<CONF
lame_duck_duration: "60s"
lame_duck_grace_period: "2s"
CONF
  start_server ldm
  pid=$LAST_PID
  bg ldm-idle "$NATSKIT" idle-conns --url "nats://127.0.0.1:${CPORT[ldm]}" --count 20 \
    --name-prefix ldmclient
  wait_ready ldm-idle "$LAST_PID"
  capture ldm /healthz ldm-before-healthz.json

  t0=$(date +%s%N)
  kill -USR2 "$pid"
  wait_status ldm /healthz '5[0-9][0-9]' "/healthz to fail in lame duck mode" 5
  capture ldm /healthz ldm-healthz.json any
  capture ldm '/healthz?details=true' ldm-healthz-details.json any
  capture ldm /varz ldm-varz.json
  capture ldm /connz ldm-connz.json
  fact ldm_captured_within_ms "$((($(date +%s%N) - t0) / 1000000))"
  if (exec 3<>"/dev/tcp/127.0.0.1/${CPORT[ldm]}") 2>/dev/null; then
    die "the client port still accepts connections in lame duck mode"
  fi

  local want=503
  version_ge 2.10.0 && want=500
  for f in ldm-healthz.json ldm-healthz-details.json; do
    [[ $(status "$f") == "$want" ]] || die "$f: HTTP $(status "$f"), expected $want"
  done
  expect ldm-before-healthz.json '.status == "ok"' "healthy before SIGUSR2"
  expect ldm-healthz.json '.status == "error" and (.error | length) > 0' "not ready"
  if version_ge 2.10.0; then
    expect ldm-healthz-details.json '.status == "error"
        and ([.errors[].type] | unique) == ["CONNECTION"]' "a CONNECTION error"
  fi
  expect ldm-connz.json '.num_connections == 20' "the 20 clients still connected (grace period)"
  # In lame duck mode nats-server ignores SIGTERM ("graceful shutdown already in progress",
  # signal.go); SIGINT stops it at once.
  kill -INT "$pid" 2>/dev/null || true
  end_scenario
}
