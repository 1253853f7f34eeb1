#!/usr/bin/env bash
# deploy/helm/nats-drop-in/farrier-sidecar.values.yaml rendered by a real Helm, and checked.
#
#   usage: nats_drop_in.sh HELM FARRIER SOURCE_DIR WORK_DIR
#     HELM        the helm binary (v3 or v4)
#     FARRIER     the farrier binary (build/exporter/farrier): it must accept the ConfigMap's
#                 farrier.json
#     SOURCE_DIR  the repository
#     WORK_DIR    scratch directory (emptied and reused; nothing is written elsewhere)
#   needs: jq
#
# WHY A SHAPE AND NOT THE REAL CHART. The values file is for the official NATS chart (nats-io/k8s,
# helm/charts/nats). No package registry that this project's machines and CI reach serves that
# chart (its Helm repository, GitHub releases and OCI registries are not reachable; the Go module
# proxy refuses github.com/nats-io/k8s), and the project keeps no copy of upstream code. So the
# chart rendered here is tests/helm/nats-chart-shape/: a test double written for this test that
# reproduces what the drop-in relies on, with the official semantics: the values' $tplYaml maps
# run through `tpl` with the root context, podTemplate.patch applied as an RFC 6902 patch to the
# pod template ({metadata, spec}) after podTemplate.merge, a failed operation failing the
# render; the StatefulSet's pod labels (nats.selectorLabels: name, instance = release name,
# component nats), container names nats/reloader/prom-exporter and the nats ports by protocol
# name; extraResources rendered as objects; a nats-box Deployment whose pods share name and
# instance. Checked once by hand against the real chart 2.14.2 (and 1.3.16): the farrier
# container, its volume, the ConfigMap and the PodMonitor came out identical
# (deploy/helm/nats-drop-in/README.md, "How this is tested"). What the shape cannot catch: a
# future official chart that changes those semantics; re-run that comparison when moving the
# README's --version.
#
# What is checked, for release "platform" in namespace "messaging" (the chart as a subchart of a
# parent release) and release "nats" in "nats" (the README's command):
#   - the StatefulSet's pod has containers nats and farrier and no prometheus-nats-exporter
#     (container prom-exporter, or its image anywhere), and no PodMonitor on port prom-metrics;
#   - farrier: --config FILE names a file of a read-only ConfigMap volume mount; the ConfigMap is
#     rendered in the StatefulSet's namespace with that key; port 7778 named; /healthz probes on
#     it; requests and limits; a non-root, read-only, no-privilege securityContext;
#   - farrier.json is JSON that FARRIER accepts (--check-config when it has it, else a short run
#     against closed ports that must start and serve), reads the monitoring and client ports of
#     the nats container over loopback, and listens on the container's port;
#   - every PodMonitor selects the StatefulSet's pods, not the nats-box pods, in its namespace,
#     on a port a container of those pods has; one of them scrapes farrier's port;
#   - umbrella-example/ nests the same patch under nats: and names this file's pieces.
# Then a self-test renders broken copies of the values file (a patch path written for the
# StatefulSet, a missing volume, the exporter back on, a hard-coded or too wide selector, ...)
# and fails unless each is rejected for its reason; likewise broken copies of umbrella-example.
# Exit code 0 when all is well, 1 otherwise, 2 for a usage error.
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 HELM FARRIER SOURCE_DIR WORK_DIR" >&2
  exit 2
fi
helm=$1
farrier=$2
src=$(cd "$3" && pwd)
work=$4
values=$src/deploy/helm/nats-drop-in/farrier-sidecar.values.yaml
umbrella=$src/deploy/helm/nats-drop-in/umbrella-example
shape=$src/tests/helm/nats-chart-shape
command -v jq >/dev/null || { echo "jq is needed (Debian: apt-get install jq)" >&2; exit 1; }
for f in "$helm" "$farrier"; do
  [[ -x $f ]] || { echo "not an executable: $f" >&2; exit 1; }
done

case $(cd "$(dirname "$work")" 2>/dev/null && pwd)/$(basename "$work") in
  / | "$src" | "$src"/tests | "$src"/deploy | "$HOME") echo "refusing WORK_DIR $work: it is emptied" >&2; exit 2 ;;
esac
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
# Helm's own files (repositories, cache) inside the work directory, not in $HOME.
export HELM_CONFIG_HOME=$work/helm-home/config HELM_CACHE_HOME=$work/helm-home/cache HELM_DATA_HOME=$work/helm-home/data

# ---------------------------------------------------------------------------------------------
# YAML to JSON with Helm itself (its fromYaml, YAML 1.1 like the values Helm reads), so that jq
# can check it and no YAML package is needed: a one-template chart written here.
mkdir -p "$work/yaml2json/templates"
cat >"$work/yaml2json/Chart.yaml" <<'EOF'
apiVersion: v2
name: yaml2json
version: 0.0.0
EOF
cat >"$work/yaml2json/templates/json.yaml" <<'EOF'
{{- $docs := list -}}
{{- range regexSplit "(?m)^---[ \t]*$" .Values.text -1 -}}
  {{- $doc := fromYaml . -}}
  {{- if hasKey $doc "Error" }}{{ fail (printf "not YAML: %s" (get $doc "Error")) }}{{ end -}}
  {{- if $doc }}{{ $docs = append $docs $doc }}{{ end -}}
{{- end -}}
{{ toJson (dict "items" $docs) }}
EOF
# yaml_to_json FILE: {"items": [every non-empty document of FILE]} on stdout.
yaml_to_json() {
  "$helm" template yaml2json "$work/yaml2json" --set-file "text=$1" | grep -v -e '^---' -e '^#' -e '^$'
}

# ---------------------------------------------------------------------------------------------
# Farrier's verdict on a config file. check_farrier_config FILE LOG: 0 when farrier accepts it.
# (The help is read whole first: grep -q closing the pipe early would make farrier's exit status
# 141, and pipefail would take that for "no such flag".)
farrier_help=$("$farrier" --help 2>&1 || true)
if [[ $farrier_help == *--check-config* ]]; then
  farrier_check=flag
else
  farrier_check=run
fi
check_farrier_config() {
  local file=$1 log=$2
  if [[ $farrier_check == flag ]]; then
    "$farrier" --check-config --config "$file" >"$log" 2>&1
    return
  fi
  # No --check-config in this build: start it as the pod would, but on a free port and against
  # closed ports (nothing is contacted), and see whether it gets as far as serving HTTP.
  "$farrier" --config "$file" --web.listen-address 127.0.0.1:0 \
    --nats.monitor-url http://127.0.0.1:1 --nats.url nats://127.0.0.1:1 >"$log" 2>&1 &
  local pid=$! i
  for ((i = 0; i < 100; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || echo "farrier exited with code $?" >>"$log"
      return 1
    fi
    if grep -qs 'listening on' "$log"; then
      kill -TERM "$pid"
      wait "$pid" || true
      return 0
    fi
    sleep 0.1
  done
  kill -TERM "$pid"
  wait "$pid" || true
  echo "farrier did not start serving within 10 s" >>"$log"
  return 1
}

# ---------------------------------------------------------------------------------------------
# The checks of one rendering: reads {"items": [...]} and prints one line per problem.
cat >"$work/checks.jq" <<'EOF'
def ns_of($default): (.metadata.namespace // "") as $n | if $n == "" then $default else $n end;
def subset_of($labels): to_entries | all(.key as $k | .value as $v | $labels[$k] == $v);
def port_of($url; $scheme):
  [$url | strings | capture("^" + $scheme + "://(127\\.0\\.0\\.1|localhost|\\[::1\\]):(?<p>[0-9]+)/?$") | .p | tonumber] | .[0];

.items as $items
| [$items[] | select(.kind == "StatefulSet")] as $sets
| if ($sets | length) != 1 then "expected one StatefulSet, got \($sets | length)"
  else
    $sets[0] as $sts
    | ($sts | ns_of($ns)) as $stsNs
    | $sts.spec.template as $pod
    | ($pod.metadata.labels // {}) as $podLabels
    | [$pod.spec.containers[]?] as $cs
    | [$cs[] | select(.name == "farrier")] as $fs
    | [$cs[] | select(.name == "nats")][0] as $nats
    | [$items[] | select(.kind == "Deployment" or .kind == "StatefulSet" or .kind == "DaemonSet")
       | select(. != $sts) | .spec.template.metadata.labels // {}] as $otherPods
    | (
        (if $nats == null then "no container nats in the StatefulSet's pod" else empty end),
        ($cs[] | select(.name == "prom-exporter") | "container prom-exporter (prometheus-nats-exporter) is still in the pod"),
        ($items[] | .. | objects | select(has("image")) | .image | strings
          | select(test("prometheus-nats-exporter")) | "image \(.) (prometheus-nats-exporter) is still rendered"),
        ($items[] | select(.kind == "PodMonitor") | select(any(.spec.podMetricsEndpoints[]?; .port == "prom-metrics"))
          | "PodMonitor \(.metadata.name) scrapes prom-metrics (the chart's exporter monitor)"),
        (if ($sts.spec.selector.matchLabels // {} | subset_of($podLabels)) | not
         then "the StatefulSet's selector does not match its pod labels" else empty end),
        if ($fs | length) != 1 then "expected one container farrier in the StatefulSet's pod, got \($fs | length)"
        else
          $fs[0] as $f
          | [$f.ports[]? | select(.containerPort == 7778)] as $fport
          | ($fport[0].name // null) as $fportName
          | (
              (if ($fport | length) != 1 or $fportName == null then "farrier has no named container port 7778" else empty end),
              (["livenessProbe", "readinessProbe"][] as $probe
                | $f[$probe].httpGet as $g
                | if $g == null or $g.path != "/healthz" or ($g.port != $fportName and $g.port != 7778)
                  then "farrier's \($probe) is not GET /healthz on its port" else empty end),
              (["requests", "limits"][] as $r | ["cpu", "memory"][] as $k
                | if $f.resources[$r][$k] == null then "farrier has no \($r).\($k)" else empty end),
              ($f.securityContext // {} | . as $sc
                | (if $sc.runAsNonRoot != true then "farrier: securityContext.runAsNonRoot is not true" else empty end),
                  (if (($sc.runAsUser // 0) | type) != "number" or ($sc.runAsUser // 0) <= 0 then "farrier: no fixed non-root runAsUser" else empty end),
                  (if $sc.readOnlyRootFilesystem != true then "farrier: root filesystem not read-only" else empty end),
                  (if $sc.allowPrivilegeEscalation != false then "farrier: allowPrivilegeEscalation is not false" else empty end),
                  (if ($sc.capabilities.drop // []) | index("ALL") | not then "farrier: capabilities do not drop ALL" else empty end)),
              # --config FILE -> a mount -> a ConfigMap volume -> the ConfigMap -> farrier.json
              ([$f.args // [] | to_entries[] | select(.value == "--config") | .key + 1] as $at
                | if ($at | length) != 1 or ($f.args[$at[0]] // null) == null then "farrier's args have no --config FILE"
                  else
                    $f.args[$at[0]] as $file
                    | [$f.volumeMounts[]? | .mountPath as $mp | select($file | startswith($mp + "/"))] as $mounts
                    | if ($mounts | length) != 1 then "farrier's --config \($file) is not under exactly one volume mount"
                      else
                        $mounts[0] as $m
                        | ($file | ltrimstr($m.mountPath + "/")) as $rel
                        | [$pod.spec.volumes[]? | select(.name == $m.name)][0] as $vol
                        | if $m.readOnly != true then "farrier's mount \($m.name) is not readOnly" else empty end,
                          if $vol == null then "farrier mounts volume \($m.name), which the pod does not have"
                          elif $vol.configMap == null then "farrier's volume \($m.name) is not a ConfigMap"
                          else
                            ($vol.configMap.name) as $cmName
                            | ([$vol.configMap.items[]? | select(.path == $rel) | .key][0]
                               // (if $vol.configMap.items == null then $rel else null end)) as $key
                            | [$items[] | select(.kind == "ConfigMap" and .metadata.name == $cmName and ns_of($ns) == $stsNs)] as $cms
                            | if $key == null then "volume \($m.name) has no item for \($rel)"
                              elif ($cms | length) != 1 then "no ConfigMap \($cmName) rendered in namespace \($stsNs) (the StatefulSet's)"
                              elif ($cms[0].data[$key] // null) == null then "ConfigMap \($cmName) has no key \($key)"
                              else
                                ($cms[0].data[$key] | try fromjson catch null) as $cfg
                                | if ($cfg | type) != "object" then "ConfigMap \($cmName) key \($key) is not a JSON object"
                                  else
                                    ([$nats.ports[]? | select(.name == "monitor") | .containerPort][0]) as $monitorPort
                                    | ([$nats.ports[]? | select(.name == "nats") | .containerPort][0]) as $clientPort
                                    | ([$cfg.web.listen_address // ":7778" | strings | capture(":(?<p>[0-9]+)$") | .p | tonumber] | .[0]) as $listen
                                    | (if port_of($cfg.nats.monitor_url // "http://127.0.0.1:8222"; "http") != $monitorPort
                                       then "farrier.json: nats.monitor_url \($cfg.nats.monitor_url) is not the nats container's monitor port \($monitorPort) over loopback" else empty end),
                                      (if port_of($cfg.nats.url // "nats://127.0.0.1:4222"; "nats") != $clientPort
                                       then "farrier.json: nats.url \($cfg.nats.url) is not the nats container's client port \($clientPort) over loopback" else empty end),
                                      (if $listen != 7778 then "farrier.json: web.listen_address \($cfg.web.listen_address) is not the container port 7778" else empty end)
                                  end
                              end
                          end
                      end
                  end),
              # Scraping
              ([$items[] | select(.kind == "PodMonitor")] as $pms
                | if ([$pms[] | select(any(.spec.podMetricsEndpoints[]?; .port == $fportName))] | length) != 1
                  then "expected one PodMonitor scraping port \($fportName), got \([$pms[] | select(any(.spec.podMetricsEndpoints[]?; .port == $fportName))] | length)"
                  else empty end,
                  ($pms[] | . as $pm
                    | (.spec.selector.matchLabels // {}) as $sel
                    | if ($sel | length) == 0 then "PodMonitor \($pm.metadata.name) has no matchLabels"
                      elif ($sel | subset_of($podLabels)) | not then "PodMonitor \($pm.metadata.name) does not select the StatefulSet's pods (\($sel | tojson) vs \($podLabels | tojson))"
                      else empty end,
                      ($otherPods[] | select(. as $l | $sel | length > 0 and subset_of($l))
                        | "PodMonitor \($pm.metadata.name) also selects other pods (\(tojson))"),
                      (if ($pm | ns_of($ns)) != $stsNs and (($pm.spec.namespaceSelector.matchNames // []) | index($stsNs) | not)
                       then "PodMonitor \($pm.metadata.name) is in namespace \($pm | ns_of($ns)), the pods in \($stsNs)" else empty end),
                      ($pm.spec.podMetricsEndpoints[]? | .port as $p
                        | if [$cs[].ports[]?.name] | index($p) then empty
                          else "PodMonitor \($pm.metadata.name) scrapes port \($p), which no container of the pod has" end)))
            )
        end
      )
  end
EOF

# render_and_check VALUES RELEASE NAMESPACE OUT_PREFIX [HELM_ARGS...]: prints problems, returns 1
# if any.
render_and_check() {
  local vals=$1 release=$2 namespace=$3 out=$4
  shift 4
  if ! "$helm" template "$release" "$shape" -n "$namespace" -f "$vals" "$@" >"$out.yaml" 2>"$out.err"; then
    echo "helm template failed: $(tr '\n' ' ' <"$out.err")"
    return 1
  fi
  yaml_to_json "$out.yaml" >"$out.json"
  local problems
  if ! problems=$(jq -r --arg ns "$namespace" -f "$work/checks.jq" "$out.json" 2>&1); then
    echo "checks.jq failed on $out.json: $problems"
    return 1
  fi
  # farrier's own verdict on the rendered farrier.json
  jq -r '.items[] | select(.kind == "ConfigMap" and .metadata.name == "farrier-config") | .data["farrier.json"] // empty' \
    "$out.json" >"$out.farrier.json"
  if [[ -s $out.farrier.json ]] && ! check_farrier_config "$out.farrier.json" "$out.farrier.log"; then
    problems+=$'\n'"farrier refuses farrier.json: $(grep -m1 -i 'error' "$out.farrier.log" || tail -n1 "$out.farrier.log")"
  fi
  problems=$(sed '/^$/d' <<<"$problems")
  if [[ -n $problems ]]; then
    echo "$problems"
    return 1
  fi
}

yaml_to_json "$values" | jq '.items[0]' >"$work/values.json"

# ---------------------------------------------------------------------------------------------
# The values file as shipped.
status=0
n=0
for target in "platform messaging" "nats nats" "platform messaging --set namespaceOverride=mq"; do
  read -r release namespace args <<<"$target"
  n=$((n + 1))
  # shellcheck disable=SC2086 # args: words for helm
  if output=$(render_and_check "$values" "$release" "$namespace" "$work/render-$n" $args); then
    echo "ok      release $release in namespace $namespace${args:+ ($args)}: nats + farrier (port 7778, ConfigMap farrier-config mounted), no exporter, PodMonitor on the nats pods, farrier.json accepted"
  else
    echo "INVALID release $release in namespace $namespace${args:+ ($args)}:" >&2
    sed 's/^/  /' <<<"$output" >&2
    status=1
  fi
done

# ---------------------------------------------------------------------------------------------
# Self-test: broken copies of the values file, each rejected for its reason. Each line:
#   name | jq filter turning the values into the broken copy | text the rejection must contain
self_test_cases=$(cat <<'EOF'
patch path written for the StatefulSet|.podTemplate.patch[0].path = "/spec/template/spec/containers/-"|template does not exist
patch path without /spec|.podTemplate.patch[0].path = "/containers/-"|containers does not exist
patch op misspelt|.podTemplate.patch[0].op = "append"|invalid op append
volume entry dropped|del(.podTemplate.patch[1])|which the pod does not have
ConfigMap renamed|.extraResources[0].metadata.name = "farrier"|no ConfigMap farrier-config rendered
ConfigMap key renamed|.extraResources[0].data = {"config.json": .extraResources[0].data["farrier.json"]}|has no key farrier.json
mount not read-only|.podTemplate.patch[0].value.volumeMounts[0].readOnly = false|is not readOnly
mount path beside --config|.podTemplate.patch[0].value.volumeMounts[0].mountPath = "/etc/farrier/conf"|is not under exactly one volume mount
exporter back on|.promExporter.enabled = true|container prom-exporter
exporter PodMonitor back on|.promExporter.enabled = true \| .promExporter.podMonitor.enabled = true|scrapes prom-metrics
PodMonitor on a port the pod lacks|.extraResources[1].spec.podMetricsEndpoints[0].port = "metrics"|scrapes port metrics, which no container
selector hard-coded to release nats|.extraResources[1].spec.selector.matchLabels = {"app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "nats", "app.kubernetes.io/component": "nats"}|does not select the StatefulSet's pods
selector without component|.extraResources[1].spec.selector.matchLabels = {"$tplYaml": "app.kubernetes.io/name: nats\napp.kubernetes.io/instance: {{ .Release.Name }}"}|also selects other pods
PodMonitor in another namespace|.extraResources[1].metadata["$tplYaml"] += "namespace: monitoring\n"|is in namespace monitoring
ConfigMap in another namespace|.extraResources[0].metadata["$tplYaml"] += "namespace: monitoring\n"|no ConfigMap farrier-config rendered in namespace messaging
probe on the nats port|.podTemplate.patch[0].value.livenessProbe.httpGet.port = "monitor"|livenessProbe is not GET /healthz
writable root filesystem|.podTemplate.patch[0].value.securityContext.readOnlyRootFilesystem = false|root filesystem not read-only
no limits|del(.podTemplate.patch[0].value.resources.limits)|no limits.cpu
farrier.json unknown key|.extraResources[0].data["farrier.json"] \|= (fromjson \| .poll.intervall = "5s" \| tojson)|farrier refuses farrier.json
farrier.json not JSON|.extraResources[0].data["farrier.json"] \|= sub("\\{"; "")|is not a JSON object
farrier.json monitoring over the Service|.extraResources[0].data["farrier.json"] \|= (fromjson \| .nats.monitor_url = "http://nats:8222" \| tojson)|nats.monitor_url
farrier.json listening elsewhere|.extraResources[0].data["farrier.json"] \|= (fromjson \| .web.listen_address = ":7777" \| tojson)|web.listen_address
EOF
)
# expect_rejected WHAT EXPECT CMD...: CMD, run on a broken copy, must fail saying EXPECT; a
# failure is recorded in `failures` otherwise.
expect_rejected() {
  local what=$1 expect=$2 output
  shift 2
  if output=$("$@"); then
    failures+=("$what: the broken copy passed")
  elif [[ $output != *"$expect"* ]]; then
    failures+=("$what: rejected, but not for its reason ('$expect'): $(head -n3 <<<"$output" | tr '\n' ' ')")
  fi
}
# end_self_test WHAT [NOTE]: exits 1 listing `failures`, or says that WHAT were all rejected.
end_self_test() {
  if ((${#failures[@]})); then
    printf 'FAILED %s\n' "${failures[@]}" >&2
    echo "self-test FAILED: ${#failures[@]} of $1 not rejected for their reason" >&2
    exit 1
  fi
  echo "self-test: $1 rejected, each for its reason${2:+ $2}"
}

cases=0
failures=()
if ((status != 0)); then
  echo "self-test skipped: the values file itself is invalid (above)" >&2
  exit 1
fi
while IFS= read -r line; do
  [[ -n $line ]] || continue
  # Split on "|" not preceded by a backslash; "\|" stands for a jq pipe.
  name=${line%%|*}
  rest=${line#*|}
  rest=${rest//\\|/$'\x01'}
  filter=${rest%%|*}
  expect=${rest#*|}
  filter=${filter//$'\x01'/|}
  cases=$((cases + 1))
  broken=$work/broken-$cases
  jq "$filter" "$work/values.json" >"$broken.values.json"
  expect_rejected "self-test '$name'" "$expect" render_and_check "$broken.values.json" platform messaging "$broken"
done <<<"$self_test_cases"
end_self_test "$cases broken copies of the values file" "(farrier check: $farrier_check)"

# ---------------------------------------------------------------------------------------------
# The umbrella example nests the same drop-in under nats: (Helm cannot include a values file
# under a key, so it is a copy) and hands ConfigMap and scraping to the farrier chart.
# check_umbrella VALUES_JSON CHART_JSON: prints problems, returns 1 if any.
check_umbrella() {
  local problems repo
  if ! problems=$(jq -r --slurpfile dropin "$work/values.json" --slurpfile chart "$2" '
    $dropin[0] as $d | $chart[0] as $c |
    (if .nats.podTemplate.patch != $d.podTemplate.patch then "values.yaml: nats.podTemplate.patch differs from farrier-sidecar.values.yaml" else empty end),
    (if .nats.promExporter != $d.promExporter then "values.yaml: nats.promExporter differs from farrier-sidecar.values.yaml" else empty end),
    (if (.nats | has("extraResources") | not) or (.nats.extraResources | length) != 0
     then "values.yaml: nats.extraResources must be [] (the farrier chart renders ConfigMap and PodMonitor)" else empty end),
    (if .farrier.layout != "sidecar" then "values.yaml: farrier.layout is not sidecar" else empty end),
    ([$d.podTemplate.patch[] | select(.path == "/spec/volumes/-") | .value.configMap.name][0] as $cm
     | if ((.farrier.fullnameOverride // "") + "-config") != $cm
       then "values.yaml: farrier.fullnameOverride does not give the ConfigMap \($cm) the sidecar mounts" else empty end),
    ($d.podTemplate.patch[0].value.ports[0].name as $p
     | if .farrier.sidecar.portName != $p then "values.yaml: farrier.sidecar.portName is not \($p)" else empty end),
    (if .farrier.sidecar.natsPodLabels["app.kubernetes.io/component"] != "nats"
     then "values.yaml: farrier.sidecar.natsPodLabels lack app.kubernetes.io/component: nats (nats-box pods would be selected)" else empty end),
    (if .farrier.podMonitor.enabled != true then "values.yaml: farrier.podMonitor.enabled is not true (nothing would scrape the sidecars)" else empty end),
    (if (.farrier.serviceMonitor.enabled // false) == true then "values.yaml: farrier.serviceMonitor and podMonitor both on: every sidecar scraped twice" else empty end),
    ([$c.dependencies[]? | .name] | if . != ["nats", "farrier"] then "Chart.yaml: dependencies are \(tojson), not nats and farrier" else empty end),
    ($c.dependencies[]? | select(.name == "nats" and .repository != "https://nats-io.github.io/k8s/helm/charts/")
     | "Chart.yaml: nats comes from \(.repository)"),
    "repository=" + ([$c.dependencies[]? | select(.name == "farrier") | .repository][0] // "")
  ' "$1" 2>&1); then
    echo "umbrella check failed: $problems"
    return 1
  fi
  repo=$(sed -n 's/^repository=//p' <<<"$problems")
  problems=$(sed '/^repository=/d; /^$/d' <<<"$problems")
  if [[ $repo != file://* || ! -f $umbrella/${repo#file://}/Chart.yaml ]]; then
    problems+=$'\n'"Chart.yaml: farrier's repository '$repo' is not a file:// path to a chart"
  fi
  problems=$(sed '/^$/d' <<<"$problems")
  if [[ -n $problems ]]; then
    echo "$problems"
    return 1
  fi
}
yaml_to_json "$umbrella/values.yaml" | jq '.items[0]' >"$work/umbrella-values.json"
yaml_to_json "$umbrella/Chart.yaml" | jq '.items[0]' >"$work/umbrella-chart.json"

# Its self-test: a drifted copy, and each piece it must name, named wrong. Each line:
#   values|chart (the file broken) | name | jq filter ("\|" for a jq pipe) | text of the rejection
umbrella_cases=$(cat <<'EOF'
values|patch drifted from the drop-in|.nats.podTemplate.patch[0].value.image = "farrier:0.0.1"|patch differs
values|drop-in's ConfigMap and PodMonitor kept|del(.nats.extraResources)|extraResources must be []
values|farrier chart's ConfigMap under another name|.farrier.fullnameOverride = "farrier-sidecars"|does not give the ConfigMap
values|nats-box pods selected|del(.farrier.sidecar.natsPodLabels["app.kubernetes.io/component"])|lack app.kubernetes.io/component
values|scraped twice|.farrier.serviceMonitor.enabled = true|scraped twice
chart|farrier chart not found|(.dependencies[] \| select(.name == "farrier") \| .repository) = "file://../farrier"|not a file:// path
EOF
)
u_cases=0
failures=()
while IFS= read -r line; do
  [[ -n $line ]] || continue
  line=${line//\\|/$'\x01'}
  IFS='|' read -r which name filter expect <<<"$line"
  filter=${filter//$'\x01'/|}
  u_cases=$((u_cases + 1))
  vals=$work/umbrella-values.json
  chart=$work/umbrella-chart.json
  if [[ $which == values ]]; then
    vals=$work/umbrella-broken-$u_cases.json
    jq "$filter" "$work/umbrella-values.json" >"$vals"
  else
    chart=$work/umbrella-broken-$u_cases.json
    jq "$filter" "$work/umbrella-chart.json" >"$chart"
  fi
  expect_rejected "umbrella self-test '$name'" "$expect" check_umbrella "$vals" "$chart"
done <<<"$umbrella_cases"
end_self_test "$u_cases broken copies of umbrella-example"

if output=$(check_umbrella "$work/umbrella-values.json" "$work/umbrella-chart.json"); then
  echo "ok      umbrella-example: the same patch under nats:, ConfigMap and PodMonitor from the farrier chart"
else
  echo "INVALID umbrella-example:" >&2
  sed 's/^/  /' <<<"$output" >&2
  status=1
fi

exit $status
