# shellcheck shell=bash disable=SC2016  # $G, $SYS, $JS.API..., jq programs and Markdown backquotes in single quotes are literal
# Sourced by scripts/capture-fixtures.sh (uses its helpers): certificate expiry in /varz.
#
# One server whose client, cluster, gateway, leafnode and websocket listeners each have their
# own certificate (one throw-away CA, made here with openssl), valid for a different number of
# days, so each listener's expiry can be told apart. /varz reports each certificate's notAfter
# as tls_cert_not_after (top level for clients, and in the cluster, gateway, leaf and websocket
# blocks) since 2.11.12 and 2.12.4; older versions have no such field.
# The same server sets the optional settings /varz reports only when set (omitempty), where the
# version knows them: GOMEMLIMIT (environment; varz gomemlimit since 2.10.28/2.11.2),
# write_timeout (2.11.11, 2.12.2), server_metadata (2.12.0), feature_flags (2.14.0).
declare -A TLS_DAYS=([client]=30 [cluster]=60 [gateway]=75 [leafnode]=90 [websocket]=45)
declare -A TLS_NOT_AFTER  # listener -> notAfter of its certificate, RFC 3339 UTC

# make_tls_certs DIR: the CA and one certificate per listener (CN farrier-tls-<listener>).
make_tls_certs() {
  local dir=$1 l end
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -subj /CN=farrier-capture-ca -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>>"$WORK/openssl.err"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
  for l in "${!TLS_DAYS[@]}"; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=farrier-tls-$l" \
      -keyout "$dir/$l.key" -out "$dir/$l.csr" 2>>"$WORK/openssl.err"
    openssl x509 -req -in "$dir/$l.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
      -CAcreateserial -days "${TLS_DAYS[$l]}" -extfile "$dir/san.ext" -out "$dir/$l.pem" \
      2>>"$WORK/openssl.err"
    end=$(openssl x509 -enddate -noout -in "$dir/$l.pem")
    TLS_NOT_AFTER[$l]=$(date -u -d "${end#notAfter=}" +%Y-%m-%dT%H:%M:%SZ)
  done
}

# tls_block DIR LISTENER: a tls { } block for that listener's certificate.
tls_block() {
  printf 'tls { cert_file: "%s/%s.pem", key_file: "%s/%s.key", ca_file: "%s/ca.pem" }' \
    "$1" "$2" "$1" "$2" "$1"
}

# tls_not_after_reported: whether this version's /varz has tls_cert_not_after.
tls_not_after_reported() {
  version_ge 2.12.4 || { version_ge 2.11.12 && ! version_ge 2.12.0; }
}

scenario_tls() {
  log "scenario: TLS listeners"
  command -v openssl >/dev/null || die "openssl not found (needed for the TLS scenario)"
  local dir=$WORK/tls ports l
  make_tls_certs "$dir"
  new_server tls farrier-tls
  mapfile -t ports < <(free_ports 4)
  cat >>"$WORK/tls.conf" <<CONF
$(tls_block "$dir" client)
# A server with both gateways and leafnodes needs a system account.
accounts { SYS: {} }
system_account: SYS
cluster {
  name: "farrier-tls"
  listen: "127.0.0.1:${ports[0]}"
  $(tls_block "$dir" cluster)
}
gateway {
  name: "farrier-tls"
  listen: "127.0.0.1:${ports[1]}"
  $(tls_block "$dir" gateway)
}
leafnodes {
  listen: "127.0.0.1:${ports[2]}"
  $(tls_block "$dir" leafnode)
}
websocket {
  listen: "127.0.0.1:${ports[3]}"
  $(tls_block "$dir" websocket)
}
CONF
  local optional=""
  version_ge 2.11.11 && ! { version_ge 2.12.0 && ! version_ge 2.12.2; } &&
    optional+=$'write_timeout: "retry"\n'
  version_ge 2.12.0 && optional+=$'server_metadata { team: "farrier" }\n'
  version_ge 2.14.0 && optional+=$'feature_flags { js_ack_fc_v2: false }\n'
  printf '%s' "$optional" >>"$WORK/tls.conf"
  GOMEMLIMIT=1GiB start_server tls
  capture tls /varz tls-varz.json
  fact tls_not_after "$(for l in "${!TLS_NOT_AFTER[@]}"; do
    printf '{"%s":"%s"}' "$l" "${TLS_NOT_AFTER[$l]}"; done | jq -cs 'add')"

  expect tls-varz.json '.tls_required == true and .cluster.tls_required == true
      and .gateway.tls_required == true and .leaf.tls_required == true
      and .websocket.no_tls != true' "TLS on every listener"
  local paths='{"client": .tls_cert_not_after, "cluster": .cluster.tls_cert_not_after,
      "gateway": .gateway.tls_cert_not_after, "leafnode": .leaf.tls_cert_not_after,
      "websocket": .websocket.tls_cert_not_after}'
  if version_ge 2.10.28 && ! { version_ge 2.11.0 && ! version_ge 2.11.2; }; then
    expect tls-varz.json '.gomemlimit == 1073741824' "GOMEMLIMIT 1 GiB"
  fi
  if version_ge 2.12.0; then
    expect tls-varz.json '.metadata.team == "farrier"' "the server metadata"
  fi
  for l in "${!TLS_NOT_AFTER[@]}"; do
    if tls_not_after_reported; then
      expect tls-varz.json "($paths).$l == \"${TLS_NOT_AFTER[$l]}\"" \
        "$l certificate expiry ${TLS_NOT_AFTER[$l]}"
    else
      expect tls-varz.json "($paths).$l == null" "no $l certificate expiry before 2.11.12"
    fi
  done
  end_scenario
}
