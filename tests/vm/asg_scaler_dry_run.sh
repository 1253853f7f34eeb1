#!/usr/bin/env bash
# ctest asg_scaler_dry_run: deploy/vm/autoscaling/farrier-asg-scaler --dry-run against live
# farriers, no mocks. One real nats-server (JetStream on) with a stream ORDERS, a pull consumer
# "worker" holding a backlog (50 messages: 40 pending, 10 ack-pending) and two queue
# subscribers of service "orders"; three farriers polling it with different configurations, as
# three sidecars would answer differently:
#
#   farrier  service orders (min_workers = max_workers)  consumer ORDERS/worker lag_threshold
#   A        5                                            10  -> ceil(50/10) = 5
#   B        4                                            25  -> 2
#   C        3                                            50  -> 1
#
# The services' figures are pinned by their bounds so that they hold still on a busy machine
# (the model's own answer for a near-idle pool wobbles with the probes' latency); the consumer's
# come from the backlog. A fourth farrier polls a port where nothing listens, so it answers 503
# (stale). Each farrier also lists a consumer "retired" that does not exist (found: false, so
# nobody leads it and its figures are unknown). Every expected capacity is computed here from each farrier's /api/v1/scaling with
# curl + jq (sum for services, max for consumers, ceil, clamp) and compared with the aws
# command the scaler prints; the figures are also checked against the table above, so a scaler
# that averaged, took the max of services, summed consumers or rounded down fails.
#
#   asg_scaler_dry_run.sh SOURCE_DIR FARRIER NATSKIT
#
# FARRIER_BINARY and FARRIER_NATS_SERVER override the farrier and the nats-server (default:
# Debian's /usr/sbin/nats-server), as for the integration tests. A tripwire `aws` first on PATH
# fails the test if a dry run calls the AWS CLI at all.
set -euo pipefail

source_dir=$(cd "$1" && pwd)
farrier=${FARRIER_BINARY:-$2}
natskit=$3
nats_server=${FARRIER_NATS_SERVER:-}
if [[ -z $nats_server ]]; then
  if [[ -x /usr/sbin/nats-server ]]; then nats_server=/usr/sbin/nats-server; else nats_server=$(command -v nats-server || true); fi
fi
scaler=$source_dir/deploy/vm/autoscaling/farrier-asg-scaler
# shellcheck disable=SC1091  # free_port, wait_http, start_bg, stop, start_run_lifecycle
source "$source_dir/scripts/lib.sh"

log() { printf 'asg_scaler_dry_run: %s\n' "$*" >&2; }
fail() {
  log "FAIL: $*"
  exit 1
}
for tool in jq curl; do command -v "$tool" >/dev/null || fail "$tool is missing (scripts/deps.sh installs it)"; done
[[ -x $nats_server ]] || fail "no nats-server (Debian: apt-get install nats-server; or FARRIER_NATS_SERVER)"
[[ -x $farrier && -x $natskit && -x $scaler ]] || fail "missing: $farrier, $natskit or $scaler"

work=$(mktemp -d "${TMPDIR:-/tmp}/asg-scaler-test.XXXXXX")
# shellcheck disable=SC2034  # read by lib.sh (start_bg, stop, the exit handler)
pids=()
# shellcheck disable=SC2034
declare -A NAME_OF=()
start_run_lifecycle 90

# --- a tripwire for the AWS CLI ------------------------------------------------------------------
mkdir "$work/bin"
cat >"$work/bin/aws" <<EOF
#!/bin/sh
echo "aws \$*" >>"$work/aws-called"
exit 1
EOF
chmod +x "$work/bin/aws"
export PATH="$work/bin:$PATH"

# --- ports, nats-server, JetStream state, queue subscribers ---------------------------------------
taken=" "
port() {
  local p
  for _ in $(seq 1 20); do
    p=$(free_port)
    [[ $taken == *" $p "* ]] || { taken+="$p "; echo "$p"; return; }
  done
  fail "no free port"
}
nats_port=$(port)
monitor_port=$(port)
dead_port=$(port) # nothing listens here: the stale farrier's upstream and the unreachable URL
nats_url=nats://127.0.0.1:$nats_port
start_bg nats-server "$work/nats-server.out" "$work/nats-server.log" \
  "$nats_server" -a 127.0.0.1 -p "$nats_port" -m "$monitor_port" -js -sd "$work/js" -n asg-test
wait_http "http://127.0.0.1:$monitor_port/healthz" 10 || fail "nats-server did not start ($work/nats-server.log)"
# JetStream may still be starting when the port opens.
for attempt in $(seq 1 25); do
  "$natskit" js-setup --url "$nats_url" --stream ORDERS --subjects 'orders.>' --publish 50 \
    --consumer worker --fetch 10 --ack-wait 600 >"$work/js-setup.log" 2>&1 && break
  ((attempt < 25)) || fail "natskit js-setup failed: $(cat "$work/js-setup.log")"
  sleep 0.2
done
start_bg qsub "$work/qsub.out" "$work/qsub.err" \
  "$natskit" qsub --url "$nats_url" --subject api.orders --queue orders --count 2
for _ in $(seq 1 50); do grep -q ready "$work/qsub.out" && break; sleep 0.1; done
grep -q ready "$work/qsub.out" || fail "natskit qsub did not get ready: $(cat "$work/qsub.err")"

# --- the farriers ------------------------------------------------------------------------------
declare -A url=() farrier_pid=()
start_farrier() { # NAME SERVICE_WORKERS LAG_THRESHOLD NATS_PORT MONITOR_PORT
  local name=$1 p
  p=$(port)
  cat >"$work/$name.json" <<JSON
{
  "nats": {"url": "nats://127.0.0.1:$4", "monitor_url": "http://127.0.0.1:$5"},
  "poll": {"interval": "500ms"},
  "scaling": {"window": "2s"},
  "services": [
    {"name": "orders", "subject": "api.orders", "queue_group": "orders", "worker_concurrency": 100,
     "min_workers": $2, "max_workers": $2, "probe": {"interval": "1s"}}
  ],
  "consumers": [{"stream": "ORDERS", "consumer": "worker", "lag_threshold": $3},
                {"stream": "ORDERS", "consumer": "retired", "lag_threshold": 10}]
}
JSON
  start_bg "farrier $name" "$work/$name.out" "$work/$name.log" \
    "$farrier" --config "$work/$name.json" --web.listen-address "127.0.0.1:$p"
  farrier_pid[$name]=$LAST_PID
  url[$name]=http://127.0.0.1:$p
}
start_farrier A 5 10 "$nats_port" "$monitor_port"
start_farrier B 4 25 "$nats_port" "$monitor_port"
start_farrier C 3 50 "$nats_port" "$monitor_port"
start_farrier stale 3 10 "$dead_port" "$dead_port"
for name in A B C stale; do
  wait_http "${url[$name]}/healthz" 10 || fail "farrier $name did not start ($work/$name.log)"
done

# GET /api/v1/scaling of farrier NAME into $body and $status.
scaling() {
  status=$(curl -s -o "$work/body" -w '%{http_code}' "${url[$1]}/api/v1/scaling") || status=000
  body=$(cat "$work/body")
}
# Wait until every live farrier answers 200 with the figures of the table above.
declare -A want_service=([A]=5 [B]=4 [C]=3) want_consumer=([A]=5 [B]=2 [C]=1)
for name in A B C; do
  for _ in $(seq 1 100); do
    scaling "$name"
    if [[ $status == 200 ]] &&
      jq -e --argjson s "${want_service[$name]}" --argjson c "${want_consumer[$name]}" \
        '.stale == false and .services.orders.desired_workers == $s and
         .consumers.ORDERS.worker.lag == 50 and .consumers.ORDERS.worker.desired_workers == $c' \
        <<<"$body" >/dev/null; then
      break
    fi
    sleep 0.2
  done
  [[ $status == 200 ]] || fail "farrier $name answers $status: $body"
  jq -e --argjson s "${want_service[$name]}" --argjson c "${want_consumer[$name]}" \
    '.services.orders.desired_workers == $s and .consumers.ORDERS.worker.desired_workers == $c' <<<"$body" \
    >/dev/null || fail "farrier $name never showed service $((want_service[$name])) / consumer ${want_consumer[$name]}: $body"
  log "farrier $name (${url[$name]}): service orders desired $(jq .services.orders.desired_workers <<<"$body"), consumer ORDERS/worker lag $(jq .consumers.ORDERS.worker.lag <<<"$body") desired $(jq .consumers.ORDERS.worker.desired_workers <<<"$body")"
done
for _ in $(seq 1 50); do
  scaling stale
  [[ $status == 503 ]] && break
  sleep 0.2
done
[[ $status == 503 ]] || fail "the stale farrier answers $status, not 503: $body"
log "farrier stale (${url[stale]}): 503, $(jq -c .stale_reasons <<<"$body")"

# --- what the capacity should be, computed here -------------------------------------------------
# expected KIND WPI MIN MAX NAME...: sum (service) or max (consumer) of each farrier's
# desired_workers, ceil(/WPI), clamped to [MIN, MAX].
expected() {
  local kind=$1 wpi=$2 lo=$3 hi=$4 total=0 v n name
  shift 4
  for name in "$@"; do
    scaling "$name"
    [[ $status == 200 ]] || fail "farrier $name answers $status while computing the expectation"
    if [[ $kind == service ]]; then
      v=$(jq -e '.services.orders.desired_workers' <<<"$body") || fail "no service figure: $body"
      total=$((total + v))
    else
      v=$(jq -e '.consumers.ORDERS.worker.desired_workers' <<<"$body") || fail "no consumer figure: $body"
      ((v > total)) && total=$v
    fi
  done
  n=$(((total + wpi - 1) / wpi))
  ((n < lo)) && n=$lo
  ((n > hi)) && n=$hi
  echo "$n"
}
urls_of() { local name; for name in "$@"; do printf -- '--url\n%s\n' "${url[$name]}"; done; }

# run_scaler ARGS...: runs the scaler into $out/$err/$rc. With FARRIER_ASG_TRANSCRIPT=FILE each
# run is appended to FILE as a transcript (README.md's worked example comes from one).
run_scaler() {
  rc=0
  "$scaler" "$@" >"$work/out" 2>"$work/err" || rc=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
  if [[ -n ${FARRIER_ASG_TRANSCRIPT:-} ]]; then
    {
      printf '$ farrier-asg-scaler'
      printf ' %q' "$@"
      printf '\n%s\n' "$out"
      [[ -z $err ]] || printf '%s\n' "$err"
      printf '(exit status %s)\n\n' "$rc"
    } >>"$FARRIER_ASG_TRANSCRIPT"
  fi
}
aws_lines() { grep -c '^aws autoscaling set-desired-capacity ' <<<"$out" || true; }
# expect_command WANT_CAPACITY LABEL ARGS...: a dry run exits 0 and prints exactly one aws
# command, the expected one (the figures it reads hold still: see the table at the top).
checks=0
expect_command() {
  local want=$1 label=$2
  shift 2
  run_scaler --dry-run --asg orders-workers "$@"
  ((rc == 0)) || fail "$label: exit status $rc; stderr: $err"
  [[ $(aws_lines) == 1 ]] || fail "$label: expected one aws command, got: $out"
  local line
  line=$(grep '^aws autoscaling set-desired-capacity ' <<<"$out")
  [[ $line == "aws autoscaling set-desired-capacity --auto-scaling-group-name orders-workers --desired-capacity $want --no-honor-cooldown" ]] ||
    fail "$label: expected --desired-capacity $want, the scaler printed: $line"$'\n'"$out"
  checks=$((checks + 1))
  log "ok: $label -> $want"
}

# --- (a) sum for services, max for consumers, ceil ---------------------------------------------
mapfile -t abc < <(urls_of A B C)
mapfile -t ab < <(urls_of A B)

want=$(expected service 4 1 10 A B C)
((want == 3)) || fail "the expectation itself is off: service over A B C / 4 = $want, not ceil(12/4) = 3"
expect_command "$want" "service, 3 farriers, 4 per instance" --service orders --workers-per-instance 4 --min 1 --max 10 "${abc[@]}"

want=$(expected service 2 1 10 A B)
((want == 5)) || fail "the expectation itself is off: ceil((5+4)/2) = 5, got $want"
expect_command "$want" "service, 2 farriers, 2 per instance" --service orders --workers-per-instance 2 --min 1 --max 10 "${ab[@]}"

want=$(expected service 5 0 10 A B C)
((want == 3)) || fail "the expectation itself is off: ceil(12/5) = 3, got $want"
expect_command "$want" "service, ceil not floor (12 / 5)" --service orders --workers-per-instance 5 --min 0 --max 10 "${abc[@]}"

want=$(expected consumer 2 1 10 A B C)
((want == 3)) || fail "the expectation itself is off: ceil(max(5,2,1)/2) = 3, got $want"
expect_command "$want" "consumer, max over 3 farriers, 2 per instance" --consumer ORDERS/worker --workers-per-instance 2 --min 1 --max 10 "${abc[@]}"

want=$(expected consumer 1 1 10 B C)
((want == 2)) || fail "the expectation itself is off: max(2,1) = 2, got $want"
expect_command "$want" "consumer, max over 2 farriers" --consumer ORDERS/worker --min 1 --max 10 --url "${url[B]}/" --url "${url[C]}/api/v1/scaling"

# --json: one object with the same figures and the command as an array.
want=$(expected service 4 1 10 A B C)
run_scaler --dry-run --json --asg orders-workers --service orders --workers-per-instance 4 --max 10 "${abc[@]}"
((rc == 0)) || fail "--json: exit status $rc; $err"
jq -e --argjson want "$want" '.action == "dry_run" and .workers == 12 and .instances == 3 and
    .desired_capacity == $want and (.farriers | map(.desired_workers)) == [5, 4, 3] and
    .command == ["aws", "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "orders-workers",
                 "--desired-capacity", ($want | tostring), "--no-honor-cooldown"]' <<<"$out" >/dev/null ||
  fail "--json: unexpected object: $out"
checks=$((checks + 1))
log "ok: --json"

# --- (b) clamping and the scale-down guard -------------------------------------------------------
want=$(expected service 4 1 2 A B C)
((want == 2)) || fail "expectation: min(3, 2) = 2, got $want"
expect_command "$want" "--max 2 caps 3" --service orders --workers-per-instance 4 --min 1 --max 2 "${abc[@]}"
want=$(expected service 4 5 10 A B C)
((want == 5)) || fail "expectation: max(3, 5) = 5, got $want"
expect_command "$want" "--min 5 raises 3" --service orders --workers-per-instance 4 --min 5 --max 10 "${abc[@]}"
expect_command 8 "--max-scale-down 2 from 10" --service orders --workers-per-instance 4 --max 10 \
  --max-scale-down 2 --current 10 "${abc[@]}"
expect_command 3 "--max-scale-down 2 from 4 (no limit needed)" --service orders --workers-per-instance 4 --max 10 \
  --max-scale-down 2 --current 4 "${abc[@]}"
run_scaler --dry-run --asg orders-workers --service orders --workers-per-instance 4 --max 10 --current 3 "${abc[@]}"
if ((rc != 0)) || [[ $(aws_lines) != 0 || $out != *unchanged* ]]; then
  fail "--current 3 = desired: expected \"unchanged\" and no command, got rc $rc: $out"
fi
checks=$((checks + 1))
log "ok: unchanged -> no command"

# --- (c) stale, unreachable, hung, missing: refuse, exit 1, name the URL -------------------------
expect_refusal() { # LABEL URL_NAMED REASON_PATTERN ARGS...
  local label=$1 named=$2 pattern=$3
  shift 3
  run_scaler --dry-run --asg orders-workers --workers-per-instance 4 --max 10 "$@"
  ((rc == 1)) || fail "$label: expected exit status 1, got $rc; stdout: $out; stderr: $err"
  [[ $(aws_lines) == 0 ]] || fail "$label: printed an aws command: $out"
  grep -F "$named" <<<"$err" | grep -Eq "$pattern" || fail "$label: stderr does not name $named with /$pattern/: $err"
  checks=$((checks + 1))
  log "ok: $label: $(head -n 1 <<<"$err")"
}
expect_refusal "a stale farrier among good ones" "${url[stale]}/api/v1/scaling" 'stale \(HTTP 503\)' \
  --service orders "${abc[@]}" --url "${url[stale]}"
expect_refusal "an unreachable farrier" "http://127.0.0.1:$dead_port/api/v1/scaling" 'unreachable' \
  --service orders --url "http://127.0.0.1:$dead_port" "${ab[@]}"
expect_refusal "a consumer with a stale farrier" "${url[stale]}/api/v1/scaling" 'stale' \
  --consumer ORDERS/worker "${abc[@]}" --url "${url[stale]}"
expect_refusal "a service no farrier has" "${url[A]}/api/v1/scaling" 'no service "payments"' \
  --service payments "${abc[@]}"
expect_refusal "a consumer no farrier has" "${url[B]}/api/v1/scaling" 'no consumer "ORDERS/other"' \
  --consumer ORDERS/other "${abc[@]}"
expect_refusal "a consumer no farrier leads" "no farrier leads consumer ORDERS/retired" 'found/leader false' \
  --consumer ORDERS/retired "${abc[@]}"
kill -STOP "${farrier_pid[C]}"
expect_refusal "a hung farrier (--timeout 1)" "${url[C]}/api/v1/scaling" 'unreachable: .*(timed out|Timeout)' \
  --service orders --timeout 1 "${abc[@]}"
kill -CONT "${farrier_pid[C]}"
run_scaler --dry-run --json --asg orders-workers --service orders --max 10 "${abc[@]}" --url "${url[stale]}"
if ((rc != 1)) || ! jq -e --arg u "${url[stale]}/api/v1/scaling" '.action == "refused" and .command == [] and
    .desired_capacity == null and (.errors | length) == 1 and (.errors[0] | startswith($u))' <<<"$out" >/dev/null; then
  fail "--json refusal: rc $rc, $out"
fi
checks=$((checks + 1))
log "ok: --json refusal"
run_scaler --dry-run --asg orders-workers --service orders "${abc[@]}"
if ((rc != 2)) || [[ $err != *"--max is required"* ]]; then
  fail "usage error: expected exit 2 naming --max, got $rc: $err"
fi
checks=$((checks + 1))

[[ ! -e $work/aws-called ]] || fail "a dry run called the AWS CLI: $(cat "$work/aws-called")"

# --- the farriers stop cleanly, without sanitizer reports ---------------------------------------
stop "${farrier_pid[@]}"
for name in A B C stale; do
  if grep -Eq 'ERROR: (Address|Leak|Thread)Sanitizer|WARNING: ThreadSanitizer|: runtime error: ' "$work/$name.log"; then
    fail "farrier $name printed a sanitizer report: $work/$name.log"
  fi
done
log "PASS: $checks checks"
