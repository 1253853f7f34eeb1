#!/usr/bin/env bash
# shellcheck disable=SC2016  # $G, $SYS, $JS.API..., jq programs and Markdown backquotes in single quotes are literal
# Tables of what differs between nats-server versions, read from the captures in fixture
# directories (tests/fixtures/nats-<version>/, written by scripts/capture-fixtures.sh).
#
#   fixture-versions.sh facts DIR[=LABEL]...   one row per known difference (status codes,
#                                              fields, behaviour), one column per directory
#   fixture-versions.sh keys DIR[=LABEL]...    per object (varz, a connz connection, a routez
#                                              route...), the keys not present in every directory
#   fixture-versions.sh all DIR[=LABEL]...     both, as tests/fixtures/VERSIONS.md
#
# LABEL (default: the directory name without "nats-") heads the column. Every cell is computed
# from the files; only the "changed in" column is written by hand, from nats-server's sources at
# each release tag (the first tag of each release line that has the change).
set -euo pipefail

mode=${1:-}
shift || true
[[ $mode =~ ^(facts|keys|all)$ && $# -gt 0 ]] || {
  sed -n '2,13s/^# \{0,1\}//p' "$0" >&2
  exit 2
}
DIRS=() LABELS=()
for arg in "$@"; do
  DIRS+=("${arg%%=*}")
  label=${arg#*=}
  [[ $arg == *=* ]] || label=$(basename "$arg" | sed 's/^nats-//')
  LABELS+=("$label")
done

# resolve DIR NAME: NAME itself, or NAME.json / NAME.txt for a base name; empty when absent.
resolve() {
  local f
  for f in "$1/$2" "$1/$2.json" "$1/$2.txt"; do
    [[ -f $f ]] && { echo "$f"; return; }
  done
}

# cell DIR SOURCE EXPR: one table cell. SOURCE is "status:NAME" (the HTTP status of that
# capture), "text:NAME" (the first line of a non-JSON body), one file (EXPR applied to it) or
# several files separated by spaces (EXPR applied to the array of them, jq --slurp).
cell() {
  local dir=$1 src=$2 expr=$3 files=() f name out
  case $src in
    status:*)
      f=$(resolve "$dir" "${src#status:}")
      [[ -n $f ]] || { echo "—"; return; }
      jq -r --arg f "$(basename "$f")" '.[$f] // "—"' "$dir/status-codes.json" 2>/dev/null || echo "—"
      return
      ;;
    text:*)
      f=$(resolve "$dir" "${src#text:}")
      [[ -n $f ]] || { echo "—"; return; }
      if [[ $f == *.txt ]]; then head -n1 "$f"; else echo "(JSON)"; fi
      return
      ;;
  esac
  for name in $src; do
    f=$(resolve "$dir" "$name")
    [[ -n $f ]] || { echo "—"; return; }
    [[ $f == *.json ]] || { echo "(not JSON)"; return; }
    files+=("$f")
  done
  if ((${#files[@]} > 1)); then
    out=$(jq -r -s "$expr" "${files[@]}" 2>/dev/null) || out="(error)"
  else
    out=$(jq -r "$expr" "${files[0]}" 2>/dev/null) || out="(error)"
  fi
  printf '%s' "$out" | tr '\n' ' ' | sed 's/|/\\|/g; s/ *$//'
  echo
}

# present KEYPATH: a jq expression telling whether a field is in the object.
present() { echo "if ($1) != null then \"yes\" else \"—\" end"; }

PAUSED='[.account_details[].stream_detail[].consumer_detail[]? | select(.name == "PROCESSOR")][0]'
GROUPED='[.account_details[].stream_detail[].consumer_detail[]? | select(.name == "GROUPED")][0]'
ERROR_TYPES='[.errors[]?.type] | if length == 0 then "no errors[] (option ignored)" else join(",") end'

F_WHAT=() F_SRC=() F_EXPR=() F_SINCE=()
# row WHAT SOURCE JQ [CHANGED_IN]: one row of the facts table (SOURCE and JQ as for cell).
row() { F_WHAT+=("$1") F_SRC+=("$2") F_EXPR+=("$3") F_SINCE+=("${4:-}"); }

row '`/healthz` status, server in lame duck mode' status:ldm-healthz '' '2.10.0: 500 (2.9: 503)'
row '`/healthz` body, lame duck mode' ldm-healthz.json 'tojson'
row '`/healthz?details=true` `errors[].type`, lame duck mode' ldm-healthz-details.json \
  "$ERROR_TYPES" '2.10.0'
row '`/healthz?details=true`, healthy single server' healthz-details.json 'tojson' '2.10.0'
row '`/healthz` status, cluster node without meta leader' status:cluster-node1-nometa-healthz ''
row '`/healthz` `error`, same' cluster-node1-nometa-healthz.json '.error'
row '`/healthz?details=true` `errors[].type`, same' cluster-node1-nometa-healthz-details.json \
  "$ERROR_TYPES" '2.10.0'
row '`/jsz` status, same' status:cluster-node1-nometa-jsz ''
row '`/jsz` `meta_cluster.leader`, same' cluster-node1-nometa-jsz.json \
  '.meta_cluster.leader // "absent" | tojson'
row '`/raftz` `_meta_` state and leader, same' cluster-node1-nometa-raftz.json \
  '.["$SYS"]._meta_ | "\(.state), leader \(.leader)"'
row '`/routez` `num_routes`, node of a 3-node cluster' cluster-node1-routez.json '.num_routes' \
  '2.10.0: pools, 3 per peer + 1 pinned `$SYS`'
row '`/varz` `routes` / `remotes`, same node' cluster-node1-varz.json '"\(.routes) / \(.remotes)"'
row '`/varz` `cluster.pool_size`' cluster-node1-varz.json '.cluster.pool_size // "—"' '2.10.0'
row '`/routez` `remote_name` on every route' cluster-node1-routez.json \
  'if all(.routes[]; .remote_name != null) then "yes" else "—" end' '2.9.16, 2.10.0'
row '`/routez` pinned accounts (`account`)' cluster-node1-routez.json \
  '[.routes[].account // empty] | unique | if length == 0 then "—" else join(",") end' '2.10.0'
row '`/connz` `num_connections` / `/varz` `connections`, node with one leaf, no clients' \
  'cluster-node1-leaf-connz.json cluster-node1-leaf-varz.json' \
  '"\(.[0].num_connections) / \(.[1].connections)"' '2.11.5, 2.12.0: leafs in connz'
row '`/connz` `kind`s, same node' cluster-node1-leaf-connz.json \
  '[.connections[]?.kind] | if length == 0 then "—" else join(",") end'
row '`/subsz?subs=1&limit=1&test=svc.echo` `total` (3 match)' subsz-test-limit1.json \
  '.total // "—"' '2.11.6, 2.12.0: matches before paging'
row '`/subsz?subs=1&limit=2` `total`' subsz-subs-limit2.json '.total // "—"'
row '`/subsz` (no options) has `server_id`, `total`' subsz.json \
  '"\(has("server_id")), \(has("total"))"' '2.12.0 (2.11.x: bare stats without subs)'
row '`/leafz` `leafs`, no leafnodes' leafz-none.json '.leafs | tojson'
row '`/leafz` leaf `name` / `id` / `is_spoke` / `is_isolated` / `compression`' leafz-hub.json \
  '.leafs[0] as $l | ["name","id","is_spoke","is_isolated","compression"]
   | map(. as $k | if $l | has($k) then "yes" else "—" end) | join(" / ")' \
  'name, is_spoke 2.9.15; compression 2.10.0; id 2.11.7; is_isolated 2.12.0'
row '`/raftz` status, cluster node' status:cluster-node1-raftz '' '2.10.17'
row '`/raftz` status, single server (no raft groups)' status:raftz-single '' '2.10.17'
row '`/raftz` body, single server' text:raftz-single ''
row '`/raftz?acc=$G` groups (JOBS, WORKERS)' cluster-node1-raftz-acc.json \
  '[.["$G"] | keys[] | .[0:2]] | sort | join(",")' '2.10.17'
row '`/jsz` `meta_cluster` keys, node 1' cluster-node1-jsz-full.json \
  '.meta_cluster | keys | join(", ")' \
  'pending 2.10.21; snapshot 2.11.11, 2.12.2; pending_requests, pending_infos 2.14.0'
row '`/jsz` `api.level`' jsz.json '.api.level // "—"' '2.11.0'
row '`/jsz` mirror keys (BACKUP mirrors SRC)' jsz-health.json \
  '[.account_details[].stream_detail[] | select(.name == "BACKUP") | .mirror | keys | join(", ")][0]'
row '`/jsz` consumer `delivered` / `ack_floor` keys (WORKER)' jsz-health.json \
  '[.account_details[].stream_detail[].consumer_detail[]? | select(.name == "WORKER")
    | "\(.delivered | keys | join(", ")) / \(.ack_floor | keys | join(", "))"][0]'
row '`/jsz` account `reserved_memory` / `reserved_storage` (max_mem 64 MiB, max_file 256 MiB)' jsz-health.json \
  '[.account_details[] | select(.name == "APP") | "\(.reserved_memory) / \(.reserved_storage)"][0]'
row '`$JS.API.CONSUMER.PAUSE` request' capture-facts.json '.request_pause' '2.11.0'
row 'paused consumer: `paused` / `pause_remaining` / `config.pause_until`' jsz-paused.json \
  "$PAUSED"' | [.paused, .pause_remaining, .config.pause_until]
   | map(if . == null then "—" else tostring end) | join(" / ")' '2.11.0'
row 'consumer created with priority groups: `config.priority_policy` / pinned client' \
  jsz-paused.json "$GROUPED"' | if . == null then "(not created)" else
   "\(.config.priority_policy // "—") / \(if .priority_groups[0].pinned_client_id then "pinned" else "—" end)" end' \
  '2.11.0'
row 'service import without responders: the requester gets' capture-facts.json \
  '.latency_503_requester | if .no_responders == 1 then "no-responders status"
   elif .timeouts == 1 then "nothing (timeout)" else tojson end' '2.10.26, 2.11.0'
row 'gateway interest modes (`/gatewayz?accs=1`)' gatewayz-accs.json \
  '[.outbound_gateways.west.accounts[] | "\(.name): \(.interest_mode)"] | sort | join(", ")'
# /varz fields, with the first release tags whose monitor.go has them. The ones /varz omits
# unless set are read from the TLS server, which sets them where the version knows them.
for f in slow_consumer_stats:2.10.0 config_load_time:2.9.0 config_digest:2.11.0 \
  stale_connections:2.12.0 stale_connection_stats:2.12.0 stalled_clients:2.12.0 \
  'in_client_msgs:2.12.9, 2.14.1' 'out_client_msgs:2.12.9, 2.14.1' \
  'disk_io_wait_stats:2.12.14, 2.14.4' 'feature_flags:2.14.0 (every known flag, set or not)' \
  'proxies:2.12.0; omitted unless trusted proxies are configured (not captured)'; do
  row "\`/varz\` \`${f%%:*}\`" varz.json "if has(\"${f%%:*}\") then \"yes\" else \"—\" end" "${f#*:}"
done
for f in 'gomemlimit:2.10.28, 2.11.2, 2.12.0; omitted unless GOMEMLIMIT is set' \
  'write_timeout:2.11.11, 2.12.2; omitted unless set' \
  'metadata:2.11.7, 2.12.0 (config server_metadata 2.12.0); omitted unless set' \
  'feature_flags:2.14.0 (js_ack_fc_v2 set false here)'; do
  row "\`/varz\` \`${f%%:*}\` (set in the config)" tls-varz.json \
    "if has(\"${f%%:*}\") then .${f%%:*} | tojson else \"—\" end" "${f#*:}"
done
row '`/varz` `tls_cert_not_after` (client listener)' tls-varz.json \
  '.tls_cert_not_after // "—"' '2.11.12, 2.12.4'
row '... in `cluster` / `gateway` / `leaf` / `websocket`' tls-varz.json \
  '[.cluster, .gateway, .leaf, .websocket]
   | map(if .tls_cert_not_after then "yes" else "—" end) | join(" / ")' '2.11.12, 2.12.4'

facts_table() {
  local i r header="| What | Read from |" sep="|---|---|" line
  for i in "${!DIRS[@]}"; do
    header+=" ${LABELS[i]} |"
    sep+="---|"
  done
  echo "$header Changed in (sources) |"
  echo "$sep---|"
  for r in "${!F_WHAT[@]}"; do
    line="| ${F_WHAT[r]} | \`${F_SRC[r]#*:}\` |"
    for i in "${!DIRS[@]}"; do
      line+=" $(cell "${DIRS[i]}" "${F_SRC[r]}" "${F_EXPR[r]}") |"
    done
    echo "$line ${F_SINCE[r]} |"
  done
}

O_WHAT=() O_FILES=() O_EXPR=()
# object WHAT FILES JQ: compare the keys of the objects JQ yields from FILES (space-separated).
object() { O_WHAT+=("$1") O_FILES+=("$2") O_EXPR+=("$3"); }
object '`/varz`' varz.json '.'
object '`/varz` `cluster` (cluster node)' cluster-node1-varz.json '.cluster'
object '`/varz` `jetstream`' varz.json '.jetstream'
object '`/varz` `jetstream.config`' varz.json '.jetstream.config'
object '`/varz` `leaf` (TLS server)' tls-varz.json '.leaf'
object '`/connz`' connz.json '.'
object '`/connz` connection' connz-subs-detail.json '.connections[]'
object '`/routez` route' cluster-node1-routez.json '.routes[]'
object '`/leafz` leaf' leafz-hub.json '.leafs[]'
object '`/gatewayz`' gatewayz.json '.'
object '`/subsz`' subsz.json '.'
object '`/accstatz` account' accstatz.json '.account_statz[]'
object '`/accountz?acc=$G` `account_detail`' accountz-global.json '.account_detail'
object '`/healthz?details=true` (lame duck)' ldm-healthz-details.json '.'
object '`/jsz`' jsz.json '.'
object '`/jsz` `meta_cluster`, all three nodes' \
  'cluster-node1-jsz-full.json cluster-node2-jsz-full.json cluster-node3-jsz-full.json' \
  '.meta_cluster'
object '`/jsz` account detail' jsz-full.json '.account_details[]'
object '`/jsz` stream' jsz-full.json '.account_details[].stream_detail[]'
object '`/jsz` stream `config`' jsz-full.json '.account_details[].stream_detail[].config'
object '`/jsz` stream `cluster` (R3)' cluster-node1-jsz-full.json \
  '.account_details[].stream_detail[].cluster'
object '`/jsz` consumer' jsz-paused.json '.account_details[].stream_detail[].consumer_detail[]?'
object '`/jsz` consumer `config`' jsz-paused.json \
  '.account_details[].stream_detail[].consumer_detail[]?.config'
object '`/raftz` group' cluster-node1-raftz-acc.json '.[][]'
object 'service-latency event (200)' service-latency-200.json '.'

keys_tables() {
  local o what files expr i d f keyfile all
  keyfile=$(mktemp)
  trap 'rm -f "$keyfile"' RETURN
  for o in "${!O_WHAT[@]}"; do
    what=${O_WHAT[o]} files=${O_FILES[o]} expr=${O_EXPR[o]}
    : >"$keyfile"
    for i in "${!DIRS[@]}"; do
      d=${DIRS[i]}
      local paths=()
      for f in $files; do [[ -f $d/$f ]] && paths+=("$d/$f"); done
      ((${#paths[@]})) || { printf '%s\t%s\n' "$i" "-absent-" >>"$keyfile"; continue; }
      jq -r "[$expr | objects | keys[]] | unique[]" "${paths[@]}" 2>/dev/null |
        sort -u | sed "s/^/$i\t/" >>"$keyfile" || true
    done
    all=$(cut -f2 "$keyfile" | { grep -v -- '-absent-' || true; } | sort -u)
    local header="| key |" sep="|---|" rows="" k line n have
    have=$((${#DIRS[@]} - $(grep -c -- $'\t-absent-$' "$keyfile" || true)))
    for i in "${!DIRS[@]}"; do
      header+=" ${LABELS[i]} |"
      sep+="---|"
    done
    for k in $all; do
      line="| \`$k\` |"
      n=0
      for i in "${!DIRS[@]}"; do
        if grep -qxF "$i"$'\t'"$k" "$keyfile"; then
          line+=" ✓ |"
          n=$((n + 1))
        elif grep -qxF "$i"$'\t'"-absent-" "$keyfile"; then
          line+=" (no file) |"
        else
          line+=" — |"
        fi
      done
      ((n == have)) || rows+="$line"$'\n'
    done
    echo "### $what (\`${files%% *}\`: \`$expr\`)"
    echo
    if [[ -z $all ]]; then
      echo "No such object in any of these captures."
    elif [[ -z $rows ]]; then
      echo "Same keys in every version that has the file ($(wc -w <<<"$all") keys)."
    else
      echo "$header"
      echo "$sep"
      printf '%s' "$rows"
      echo
      local common=""
      for k in $all; do
        [[ $(cut -f2 "$keyfile" | grep -c -xF -e "$k") == "$have" ]] && common+="\`$k\` "
      done
      echo "Keys in every version that has the file: ${common:-none}"
    fi
    echo
  done
}

case $mode in
  facts) facts_table ;;
  keys) keys_tables ;;
  all)
    cat <<'EOF'
# What differs between the captured nats-server versions

Generated by `scripts/fixture-versions.sh all tests/fixtures/nats-*` from the captures in the
fixture directories (scripts/capture-fixtures.sh runs it after each capture). Every cell is
read from the captured files; only the last column of the first table is written by hand, from
nats-server's sources (the first release tag of each line that has the change). "—" means
absent (field, file or value). A missing key can also mean the server omits an empty value
(`omitempty`), so a "—" in one row is a hint to look, not proof that a version lacks the field.

## Behaviour and fields, by version

EOF
    facts_table
    cat <<'EOF'

## Keys not present in every version

The union of the keys of every object the expression yields, per version; rows only for keys
that some version lacks.

EOF
    keys_tables
    ;;
esac
