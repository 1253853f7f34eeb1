# shellcheck shell=bash disable=SC2016  # $G, $SYS, $JS.API..., jq programs and Markdown backquotes in single quotes are literal
# Sourced by scripts/capture-fixtures.sh: write_readme, the README of one fixture directory.
# Where versions differ, the sentences are read from the captures (jq on $STAGE), and the table
# "What this version does" comes from scripts/fixture-versions.sh.

# files_table LABEL...: the files captured from those servers, with request and HTTP status.
files_table() {
  local f label path request code
  echo "| File | Request | Server | HTTP status |"
  echo "|---|---|---|---|"
  for f in $(printf '%s\n' "${!CAPTURED[@]}" | sort); do
    label=${CAPTURED[$f]%% *}
    path=${CAPTURED[$f]#* }
    [[ " $* " == *" $label "* ]] || continue
    code=${STATUS_OF[$f]}
    if [[ $path == request* ]]; then
      request="NATS request to \`${path#request }\` (its reply)"
      code="-"
    else
      request="\`GET $path\`"
    fi
    printf '| `%s` | %s | %s | %s |\n' "$f" "$request" "${SERVER_NAME[$label]}" "$code"
  done
}

# q FILE [JQ_OPTION...] JQ: a value read from a staged capture, for the prose.
q() {
  local f=$1
  shift
  jq -r "$@" "$STAGE/$f"
}

readme_intro() {
  cat <<EOF
# nats-server $VERSION monitoring fixtures

Captured from **real** \`nats-server v$VERSION\` processes by \`scripts/capture-fixtures.sh\`
(last run: $(date -u +%Y-%m-%dT%H:%M:%SZ)). Nothing here is hand-written; the only edited files are the three
deliberately broken ones derived from a real capture (see the end). Bodies are saved byte-for-byte as served by curl
(the server pretty-prints with 2-space indentation; \`/raftz\` with 3). Re-run the script to refresh them; it
starts servers on ephemeral 127.0.0.1 ports with temp store dirs and stops them by PID.

Every server config sets \`server_name\` and, where JetStream is on,
\`max_memory_store: 268435456\` (256 MiB) and \`max_file_store: 1073741824\` (1 GiB) so the
JetStream limits do not depend on the capturing machine. Server IDs, ports, timestamps, uptimes
and memory figures naturally differ on every run.

Besides the bodies:

- \`status-codes.json\`: the HTTP status of every capture (file name -> status), e.g.
  \`ldm-healthz.json\` answered $(status ldm-healthz.json). Files named \`*.txt\` other than
  \`garbage.txt\` hold a non-JSON body, e.g. the 404 of an endpoint this version lacks.
- \`capture-facts.json\`: what the script observed that is not a body: the server version, what
  the requester saw in the service-latency scenario (\`latency_503_requester\`), the TLS
  certificates' notAfter (\`tls_not_after\`), the JetStream API requests that got no reply
  (\`request_*\`), the \`pause_until\` sent, how long node 1 took to lose its meta leader.
- Version differences: the table "What this version does" at the end, and
  [../VERSIONS.md](../VERSIONS.md) for all captured versions side by side.

EOF
}

readme_single() {
  cat <<EOF
## Single server (\`server_name: farrier-single\`, \`-js\` with a temp store dir)

State at capture time, created in this order with \`natskit\` (tests/tools):

1. \`natskit idle-conns --count 5 --subs 2 --name-prefix idle\` - 5 raw-TCP clients named
   \`idle-0\`..\`idle-4\` (\`lang: natskit\`, \`version: 0\`), each subscribed to
   \`idle.<i>.0\` and \`idle.<i>.1\`.
2. \`natskit qsub --subject svc.echo --queue workers --count 3 --name svc-workers\` - one cnats
   connection with 3 queue subscriptions (queue group \`workers\`).
3. \`natskit js-setup --stream ORDERS --subjects 'orders.>' --storage file --publish 50
   --consumer PROCESSOR --fetch 10 --ack 3 --ephemeral 1 --name orders-setup\` - file stream
   ORDERS with 50 messages on \`orders.msg\`; durable pull consumer PROCESSOR (AckExplicit)
   that fetched 10 and acked the first 3, so **num_pending 40, num_ack_pending 7, ack_floor 3**;
   plus one ephemeral push consumer (no durable name) which received all 50 unacked
   (num_ack_pending 50). This process stays connected (holding the ephemeral).
4. \`natskit js-setup --stream EVENTS --subjects 'events.>,audit.*' --storage memory
   --publish 20 --publish-subject audit.login --name events-setup\` - memory stream, no
   consumers; the client disconnected (shows up in \`connz-closed.json\`).
5. \`natskit pub --subject idle.0.0 --count 10\` (delivered to \`idle-0\`),
   \`natskit pub --subject nobody.listens --count 5 --size 128\` (no subscribers) and
   \`natskit pub --subject svc.echo --count 6\` (spread over the \`workers\` queue group, no reply
   subject); all three disconnected afterwards (see \`connz-closed.json\`).
6. A 1 s pause (so uptimes are not all "0s"), then the captures below.

So there are 7 open client connections (5 idle + svc-workers + orders-setup) and the JetStream
internal clients do not appear in connz.

\`garbage.txt\` is the HTML index page the monitor port serves at \`/\` (text/html);
\`not-found.txt\` the 404 body for an unknown path (\`/metrics\`). The paging captures:
\`subsz-test-limit1.json\` (\`limit=1\`, 3 subscriptions match \`svc.echo\`) has \`total\`
$(q subsz-test-limit1.json .total) and \`subsz-subs-limit2.json\` (\`limit=2\`, $(q subsz.json .num_subscriptions) subscriptions
in all) \`total\` $(q subsz-subs-limit2.json .total). \`/raftz\` answers $(status "$RAFTZ_SINGLE_FILE") here (no cluster, no raft groups):
\`$(head -n1 "$STAGE/$RAFTZ_SINGLE_FILE")\` (\`$RAFTZ_SINGLE_FILE\`).

**After** those captures (so none of the files above shows it), three JetStream API requests
(\`natskit request\`) and one more capture, \`jsz-paused.json\`:

1. \`\$JS.API.CONSUMER.PAUSE.ORDERS.PROCESSOR\` with \`{"pause_until":"$(q capture-facts.json .pause_until)"}\`
   (an hour ahead): $(if [[ -f $STAGE/consumer-pause-reply.json ]]; then
    echo "the reply is \`consumer-pause-reply.json\`; PROCESSOR reports \`paused\` $(q jsz-paused.json '[.account_details[].stream_detail[].consumer_detail[]? | select(.name == "PROCESSOR")][0].paused')."
  else
    echo "**no reply** within 2 s (\`request_pause\` in capture-facts.json): this version has no pause API, and PROCESSOR is not paused."
  fi)
2. \`\$JS.API.CONSUMER.CREATE.ORDERS.GROUPED\` with a durable pull consumer config that has
   \`priority_groups: ["jobs"]\`, \`priority_policy: "pinned_client"\`, \`priority_timeout\` 2 min:
   $(if [[ -f $STAGE/consumer-create-grouped-reply.json ]]; then
    echo "the reply is \`consumer-create-grouped-reply.json\`; in \`jsz-paused.json\` GROUPED has \`config.priority_policy\` $(q jsz-paused.json '[.account_details[].stream_detail[].consumer_detail[]? | select(.name == "GROUPED")][0].config.priority_policy // "absent (this version ignores the priority fields)"')."
  else
    echo "**no reply** within 2 s (\`request_create-grouped\` in capture-facts.json)."
  fi)
3. \`\$JS.API.CONSUMER.MSG.NEXT.ORDERS.GROUPED\` with \`{"batch":1,"expires":2000000000,"group":"jobs"}\`
   (when GROUPED exists): one message delivered (left unacked), which pins the requesting
   client on versions with priority groups.

EOF
  files_table single
  echo
}

readme_cluster() {
  cat <<EOF
## 3-node cluster (\`farrier-n1\`..\`farrier-n3\`, cluster \`farrier-c3\`)

Three servers with explicit routes to each other on loopback, JetStream on each (own store
dir); node 1 also listens for leafnodes. The script waited until every node had routes to both
peers and **$ROUTES_EXPECTED route connections** (\`/routez\` \`num_routes\`: $(if ((ROUTES_EXPECTED > 2)); then
    echo "route pooling, \`cluster.pool_size\` $(q cluster-node1-varz.json .cluster.pool_size) connections per peer plus one pinned to \`\$SYS\`; \`/varz\` \`remotes\` counts peers"
  else
    echo "one per peer"
  fi)), a JetStream meta leader on every node and \`/healthz\` ok, then ran (against
farrier-n1's client port):

\`natskit js-setup --stream JOBS --subjects 'jobs.>' --storage memory --replicas 3 --publish 50
--consumer WORKERS --fetch 10 --ack 0 --name jobs-setup\`

i.e. an R3 memory stream JOBS with 50 messages and an R3 durable pull consumer WORKERS with 10
delivered and none acked. jsz was captured from all three nodes immediately afterwards (first),
then varz and routez.

Leaders at capture time: **JetStream meta leader \`$META_LEADER\`**, **stream JOBS leader
\`$STREAM_LEADER\`**, **consumer WORKERS leader \`$CONSUMER_LEADER\`**.

Consumer WORKERS as each node reports it (followers may lag the leader or report differently):

| File | cluster.leader | delivered.stream_seq | ack_floor.stream_seq | num_pending | num_ack_pending | num_waiting |
|---|---|---|---|---|---|---|
$CLUSTER_NODE_STATE
Then, in this order:

1. **Raft**: \`/raftz\` on every node, on node 1 also \`?acc=\$G\` (the stream's and consumer's
   groups), \`?group=_meta_\` and \`?acc=\$G&group=<JOBS' group>\`; \`/jsz?...&raft=true\` and
   \`/healthz?details=true\`. Before 2.10.17 \`/raftz\` is a 404 (\`*.txt\` files).
2. **A leaf on a node without clients**: \`farrier-c3-leaf\` (no JetStream) connects to node 1's
   leafnode port; node 1 has no client connection. \`cluster-node1-leaf-connz.json\`
   \`num_connections\` $(q cluster-node1-leaf-connz.json .num_connections) ($(q cluster-node1-leaf-connz.json '[.connections[]?.kind] | if length == 0 then "no connection listed" else "kinds: " + join(",") end')), \`cluster-node1-leaf-varz.json\`
   \`connections\` $(q cluster-node1-leaf-varz.json .connections), \`leafnodes\` $(q cluster-node1-leaf-varz.json .leafnodes).
3. **No meta leader**: the leaf, then nodes 2 and 3 are stopped (by PID). The script waits until
   node 1's \`/jsz\` shows no meta leader ($(q capture-facts.json .nometa_jsz_after_s) s this run; at once when node 1
   did not lead the meta group, after some seconds when it did) and \`/healthz\` fails, then
   captures \`cluster-node1-nometa-*\`: \`/healthz\` answered $(status cluster-node1-nometa-healthz.json) \`$(q cluster-node1-nometa-healthz.json -c .)\`,
   \`/jsz\` $(status cluster-node1-nometa-jsz.json) (\`meta_cluster.leader\` $(q cluster-node1-nometa-jsz.json '.meta_cluster.leader // "absent"')).

EOF
  files_table node1 node2 node3
  echo
}

readme_leaf_gateway() {
  cat <<EOF
## Leafnode pair and gateway pair

- \`farrier-hub\` listens for leafnodes on loopback; \`farrier-leaf\` has one remote
  \`nats-leaf://127.0.0.1:<hub leaf port>\`. On the leaf,
  \`natskit idle-conns --count 2 --subs 3 --name-prefix leafclient --subject-prefix leafsub\`
  holds 6 subscriptions (propagated to the hub over the leaf connection); then
  \`natskit pub --subject leafsub.0.0 --count 10\` ran on the hub (crosses the leaf link).
- \`farrier-gw-east\` (gateway \`east\`) and \`farrier-gw-west\` (gateway \`west\`) point at each
  other's gateway port. On west, \`natskit idle-conns --count 1 --subs 2 --subject-prefix gwsub\`
  subscribes to \`gwsub.0.0\`/\`gwsub.0.1\`; on east, \`natskit pub --subject gwsub.0.0 --count 10\`
  (delivered across the gateway) and \`natskit pub --subject gw.nobody --count 5\` (nobody in
  west is interested). In \`gatewayz-accs.json\` the accounts report
  $(q gatewayz-accs.json '[.outbound_gateways.west.accounts[] | "`\(.name)`: `\(.interest_mode)`"] | sort | join(", ")').

EOF
  files_table hub leaf gwa gwb
  echo
}

readme_latency() {
  local seen
  seen=$(q capture-facts.json '.latency_503_requester | if .no_responders == 1 then "**gets a no-responders status** (farrier-loadgen counts `no_responders`)" else "does **not** get a no-responders status across the import: farrier-loadgen counts a timeout" end')
  cat <<EOF
## Service-latency events (\`farrier-latency\`)

Not monitoring bodies but NATS messages: the \`io.nats.server.metric.v1.service_latency\` events
the server publishes when a service export has latency tracking. Each file is one message
payload as published (one line of compact JSON) plus a newline, printed by
\`natskit sub --subject latency.echo\` running as a user of the exporting account.

Server config (users with throw-away passwords generated per run):

\`\`\`
accounts {
  SVC {                       # user svc
    exports: [ { service: "api.echo", response_threshold: "1s",
                 latency: { sampling: 100, subject: "latency.echo" } } ]
  }
  CLIENT {                    # user client
    imports: [ { service: { account: SVC, subject: "api.echo" } } ]
  }
}
\`\`\`

Requests come from \`farrier-loadgen\` in CLIENT; responders are \`farrier-sample-worker\` in SVC
(queue group \`workers\`, \`--concurrency 1\`). Each step saved the first event with its status:

| File | Status, \`description\` | Provoked by |
|---|---|---|
| \`service-latency-200.json\` | 200, none | one request, worker \`worker-20ms\` (\`--service-time 20ms\`) answers |
| \`service-latency-504.json\` | 504 \`$(q service-latency-504.json .description)\` | worker \`worker-300ms\` (\`--service-time 300ms --overflow drop\`); two requests 50 ms apart, the second is delivered but dropped; the server gives up once the export's \`response_threshold\` (1 s) has passed, at its next check, so 1-2 s after the request (the default threshold is 2 min) |
| \`service-latency-408.json\` | 408 \`$(q service-latency-408.json .description)\` | one request to \`worker-300ms\` whose requester gives up after 50 ms (unsubscribes, disconnects) before the answer: sent when the reply interest goes away |
| \`service-latency-400.json\` | 400 \`$(q service-latency-400.json .description)\` | \`natskit pub --subject api.echo\` in CLIENT (no reply subject) |
| \`service-latency-503.json\` | 503 \`$(q service-latency-503.json .description)\` | one request with no worker subscribed; sent at once. The requester $seen |

Shape:

- Envelope \`type\` (the constant above), \`id\`, \`timestamp\` (RFC 3339 UTC); then \`status\`
  (HTTP-like integer), \`description\` (only when not 200), \`requestor\`, \`responder\` (only on
  200), \`start\` (RFC 3339: the request's start, backdated by the requestor's RTT).
- \`service\`, \`system\`, \`total\` are integer **nanoseconds** (Go \`time.Duration\`), as are
  \`requestor.rtt\` and \`responder.rtt\`. On 200: \`service\` = time from forwarding the request
  to receiving the answer minus the responder's RTT (about the worker's 20 ms; the RTTs are
  the server's PING-based estimates), \`system\` = server-internal time (microseconds),
  \`total\` = \`requestor.rtt + responder.rtt + service + system\` exactly. All other statuses
  carry \`service\`, \`system\` and \`total\` = 0 and no \`responder\`.
- \`requestor\` holds $(q service-latency-200.json '.requestor | keys | map("`" + . + "`") | join(", ")'); \`responder\` is the full client info
  ($(q service-latency-200.json '.responder | keys | map("`" + . + "`") | join(", ")')).

EOF
}

readme_lame_duck_tls() {
  local l
  cat <<EOF
## Lame duck mode (\`farrier-ldm\`)

A server without JetStream, \`lame_duck_duration: "60s"\`, \`lame_duck_grace_period: "2s"\`
(nats-server requires a duration of at least 30 s and a grace period strictly below it), with 20
idle clients (\`natskit idle-conns --count 20\`; without clients lame duck mode shuts the server
down at once). \`ldm-before-healthz.json\` is \`/healthz\` before the signal. Then \`SIGUSR2\` to
the server's PID: it closes its client listener (the script checks that the client port refuses
connections) while the monitoring port keeps serving, and closes the clients only after the
grace period. Captured $(q capture-facts.json .ldm_captured_within_ms) ms after the signal, within the grace period (so
\`ldm-connz.json\` still lists the 20 clients): \`/healthz\` answered **$(status ldm-healthz.json)**
\`$(q ldm-healthz.json -c .)\`, \`/healthz?details=true\` $(status ldm-healthz-details.json) \`$(q ldm-healthz-details.json -c .)\`.
In lame duck mode nats-server ignores SIGTERM; the script stops it with SIGINT.

EOF
  files_table ldm
  cat <<EOF

## TLS certificate expiry and optional settings (\`farrier-tls\`)

One server, no clients, with a TLS listener of each kind, each with its own certificate from a
throw-away CA made with openssl for this run (CN \`farrier-tls-<listener>\`, SAN 127.0.0.1),
valid for a different number of days. Cluster, gateway and leafnode listeners have no remotes;
a system account \`SYS\` is configured (nats-server wants one with gateways and leafnodes).
The server also runs with \`GOMEMLIMIT=1GiB\` and, where this version knows them,
\`write_timeout: "retry"\` (2.11.11, 2.12.2+), \`server_metadata { team: "farrier" }\` (2.12.0+),
\`feature_flags { js_ack_fc_v2: false }\` (2.14.0+), which \`/varz\` shows only when set.

| Listener | Days | notAfter (openssl) | \`tls-varz.json\` path | Value there |
|---|---|---|---|---|
EOF
  local -A path=([client]=.tls_cert_not_after [cluster]=.cluster.tls_cert_not_after
    [gateway]=.gateway.tls_cert_not_after [leafnode]=.leaf.tls_cert_not_after
    [websocket]=.websocket.tls_cert_not_after)
  for l in client cluster gateway leafnode websocket; do
    printf '| %s | %s | %s | `%s` | %s |\n' "$l" "${TLS_DAYS[$l]}" "${TLS_NOT_AFTER[$l]}" \
      "${path[$l]}" "$(q tls-varz.json "${path[$l]} // \"absent\"")"
  done
  echo
  files_table tls
  echo
}

readme_broken_and_shapes() {
  local reserved envelope gw_keys names stream_cluster consumer_cluster js_keys meta
  # The last one is an account's (the first is the server-wide figure).
  reserved=$(grep -o '"reserved_memory": [0-9]*' "$STAGE/jsz-full.json" | tail -n1 | sed 's/.*: //')
  envelope=$(q subsz.json 'if has("server_id") then "has `server_id`, `now` and `total`"
    else "has no `server_id`/`now`; `/subsz?subs=1&...` does" end')
  gw_keys=$(q gatewayz-none.json 'keys | map("`" + . + "`") | join(", ")')
  names=$(q cluster-node1-routez.json 'if all(.routes[]; .remote_name != null)
    then "`remote_id` and `remote_name` (the peer\u0027s server name)"
    else "only `remote_id` (no peer server name)" end')
  stream_cluster=$(q jsz-full.json -c '.account_details[0].stream_detail[0].cluster
    | with_entries(.value = "…")')
  consumer_cluster=$(q jsz-full.json 'if [.account_details[].stream_detail[].consumer_detail[]?
    | has("cluster")] | any then "a `cluster` key" else "**no** `cluster` key" end')
  js_keys=$(q varz.json '.jetstream | keys | map("`" + . + "`") | join(", ")')
  meta=$(q jsz.json 'if has("meta_cluster") then "has" else "has no" end')
  cat <<EOF
## Deliberately broken files (parser error tests)

| File | Derived how |
|---|---|
| \`garbage.txt\` | real non-JSON body: the monitor port's HTML index (\`GET /\`) |
| \`not-found.txt\` | real 404 body for an unknown path |
| \`truncated-varz.json\` | first half (by bytes, \`head -c \$((size/2))\`) of \`varz.json\` |
| \`empty.json\` | empty file (0 bytes) |
| \`wrong-type-varz.json\` | \`jq '.connections = "many"' varz.json\` (valid JSON, wrong type; jq re-indents) |

Every other \`.json\` file here parses (\`jq empty\`).

## Shapes worth knowing

Structural facts visible in these captures (the per-run numbers above change, these do not).
They were first read on 2.9.10; the ones that depend on the version are computed from this
version's files.

- **Units.** Integer nanoseconds: varz \`ping_interval\`, \`write_deadline\`; consumer \`ack_wait\`,
  \`inactive_threshold\`; stream \`max_age\`, \`duplicate_window\`; cluster replica \`active\`.
  Plain seconds (number): varz \`auth_timeout\`, \`tls_timeout\`. Go duration *strings*:
  \`uptime\`, \`idle\`, \`rtt\` (\`"1s"\`, \`"2.539236ms"\`, \`"340µs"\` with U+00B5 MICRO SIGN;
  gateway \`rtt\` can be \`"0s"\`). Timestamps are RFC 3339 UTC with 0-9 fractional digits
  (trailing zeros dropped).
- **UINT64_MAX.** \`jsz\` \`account_details[].reserved_memory\` / \`reserved_storage\` are
  \`$reserved\` here (\`18446744073709551615\` is unlimited). That does not fit int64 and
  double-based tools mangle it (jq prints \`18446744073709552000\`); nlohmann::json reads it as
  uint64.
- **Optional envelope.** Plain \`/subsz\` $envelope.
- **Empty collections differ by endpoint.** No leafnodes: \`"leafs": $(q leafz-none.json '.leafs | tojson')\`; no routes:
  \`"routes": $(q routez.json '.routes | tojson')\`; no gateways: \`/gatewayz\` has only $gw_keys.
- **Subscription fields.** \`subscriptions\` is always the count; \`?subs=1\` adds
  \`subscriptions_list\` (subjects), \`?subs=detail\` adds \`subscriptions_list_detail\` (objects
  with \`subject\`, \`sid\`, \`msgs\`, \`cid\`; \`/subsz\` entries also have \`account\` and, for queue
  subs, \`qgroup\`). In routez details the \`sid\` is \`"<account> <subject>"\`. Leaf
  \`subscriptions\` counts include internal \`\$SYS.*\`/\`\$LDS.*\` interest.
- **Names.** routez entries carry $names; connz uses \`pending_bytes\`,
  routez \`pending_size\`. connz entries have \`kind\` (\`"Client"\`) and \`type\` (\`"nats"\`);
  gateway connections have \`kind: "Gateway"\` and the remote server ID as \`name\`.
- **JetStream, single server.** Stream \`cluster\` is just \`$stream_cluster\`;
  consumers have $consumer_cluster; \`/varz\` \`jetstream\` keys: $js_keys;
  \`/jsz\` $meta \`meta_cluster\`.
- **JetStream, clustered.** Stream and consumer \`cluster\` = \`{name, leader, replicas[]}\` with
  \`leader\` = the leader's \`server_name\`; \`replicas\` lists the *other* peers as seen from the
  reporting node (on a follower it includes the leader), each \`{name, current, active, peer}\`
  plus \`lag\` in followers' views. Every node reports every R3 stream/consumer, but only the
  consumer leader's numbers are current (see the table above). An exporter must pick the
  leader's view (or de-duplicate) to avoid counting a consumer three times.
- **Consumer config.** Durables have \`durable_name\` (pull ones also \`max_waiting: 512\`);
  the ephemeral has **no** \`durable_name\`, a random 8-character \`name\`, \`deliver_subject\`,
  \`filter_subject\` and the default \`inactive_threshold\` of 5 s, plus top-level
  \`"push_bound": true\`. \`num_replicas: 0\` means "same as the stream". \`ack_floor.last_active\`
  is absent until something was acked.
- **Gateways.** \`?accs=1\` adds \`accounts[]\` with \`interest_mode\` and
  \`interest_only_threshold\`; \`inbound_gateways\` maps a gateway name to an array,
  \`outbound_gateways\` to a single object.
- **Escaping.** Go's encoder writes \`>\`, \`<\`, \`&\` as \`\\u003e\`, \`\\u003c\`, \`\\u0026\`, so the raw
  bytes say \`"orders.\\u003e"\` (stream subjects, \`filter_subject\`, route subscription
  subjects). Any JSON parser decodes them; byte/grep comparisons against \`orders.>\` fail.
- **Numbers.** varz \`cpu\` is a float percentage that often looks like an integer (\`2\`);
  \`subsz\` \`cache_hit_rate\`/\`avg_fanout\` are floats.
- **Non-JSON.** \`/healthz\` has no trailing newline; the 404 body is \`404 page not found\\n\`.

EOF
}

readme_version_table() {
  cat <<EOF
## What this version does

The rows of [../VERSIONS.md](../VERSIONS.md) for this capture (\`scripts/fixture-versions.sh
facts\`); every cell is read from the files here, the last column from nats-server's sources.

EOF
  "$ROOT/scripts/fixture-versions.sh" facts "$STAGE=$VERSION"
}

write_readme() {
  {
    readme_intro
    readme_single
    readme_cluster
    readme_leaf_gateway
    readme_latency
    readme_lame_duck_tls
    readme_js_health
    readme_broken_and_shapes
    readme_version_table
  } >"$STAGE/README.md"
}
