#!/usr/bin/env bash
# The Helm chart deploy/helm/farrier with a real Helm (scripts/nats-servers.sh builds it from the
# Go module proxy), for every value set in values/*.yaml:
#   - `helm lint --strict`, then `helm template` into WORK_DIR;
#   - check.mjs: layout, labels, rules and dashboards equal to alerts/ and dashboards/;
#   - tests/manifests/validate.mjs (mode rendered): every object against the Kubernetes, KEDA and
#     prometheus-operator schemas and Farrier's deployment rules, together with the objects the
#     value set says the release lives beside ("# companions:" line: the NATS StatefulSet of
#     deploy/kubernetes, Secrets the user creates);
#   - promtool check rules on the PrometheusRules' groups;
#   - `farrier --check-config` on the rendered farrier.json (the secret file it names replaced by
#     the chart's Secret's value, written to WORK_DIR: the only path that differs from the pod);
# then values that must be refused (schema typos, missing credentials, a bad runbook base, a
# ScaledObject naming an unknown service) and the packaged chart (symbolic links to alerts/ and
# dashboards/ followed) rendering exactly what the directory renders. Finally the drop-in for
# the official NATS chart (nats_drop_in.sh).
#
#   run.sh HELM FARRIER NODE_WORK_DIR SOURCE_DIR WORK_DIR PROJECT_VERSION
#
# NODE_WORK_DIR: tests/manifests' npm install (the yaml and kubernetes-models packages).
set -euo pipefail

helm=$1
farrier=$2
node_work=$3
src=$(cd "$4" && pwd)
work=$5
version=$6
chart=$src/deploy/helm/farrier
promtool=${FARRIER_PROMTOOL:-promtool}

log() { printf 'helm test: %s\n' "$*" >&2; }
die() {
  log "FAIL: $*"
  exit 1
}
[[ -x $helm ]] || die "no Helm at $helm (scripts/nats-servers.sh builds it)"
rm -rf "$work"
mkdir -p "$work"
# Helm keeps its caches and config here, not in ~.
export HELM_CACHE_HOME=$work/.helm/cache HELM_CONFIG_HOME=$work/.helm/config HELM_DATA_HOME=$work/.helm/data
# Helm logs each followed symbolic link at level INFO; keep stderr for real problems.
quiet() { grep -v 'msg="found symbolic link in path' >&2 || true; }

cp "$src/tests/manifests/validate.mjs" "$src/tests/helm/check.mjs" "$node_work/"

# The chart's version and appVersion are the project's (CMakeLists.txt).
chart_version=$(sed -n 's/^version: *//p' "$chart/Chart.yaml")
app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$chart/Chart.yaml")
[[ $chart_version == "$version" && $app_version == "$version" ]] ||
  die "Chart.yaml has version $chart_version, appVersion $app_version; CMakeLists.txt's project version is $version: bump them together"

sets=0
for values in "$src"/tests/helm/values/*.yaml; do
  name=$(basename "$values" .yaml)
  [[ $name == *.* ]] && continue # companions (name.secret.yaml), not value sets
  read -r release namespace < <(sed -n 's/^# release: *//p' "$values")
  [[ -n ${release:-} && -n ${namespace:-} ]] || die "$values: no '# release: NAME NAMESPACE' line"
  companions=()
  for pattern in $(sed -n 's/^# companions: *//p' "$values"); do
    # Relative to the repository; globs expanded here.
    for f in "$src"/$pattern; do companions+=("$f"); done
  done
  out=$work/$name
  mkdir -p "$out"
  log "$name: helm lint, helm template $release -n $namespace"
  "$helm" lint --strict "$chart" -f "$values" --namespace "$namespace" >"$out/lint.txt" 2> >(quiet) ||
    die "$name: helm lint --strict failed: $(cat "$out/lint.txt")"
  "$helm" template "$release" "$chart" -f "$values" --namespace "$namespace" >"$out/rendered.yaml" 2> >(quiet) ||
    die "$name: helm template failed"
  node "$node_work/check.mjs" --root "$src" --rendered "$out/rendered.yaml" --values "$values" --out "$out" ||
    die "$name: check.mjs"
  # The chart's values for the rule copies (re-based runbook links, extra alert labels), as
  # check.mjs read them.
  mapfile -t vargs <"$out/validate-args"
  node "$node_work/validate.mjs" rendered --root "$src" "${vargs[@]}" "$out/rendered.yaml" "${companions[@]}" >"$out/validate.txt" 2>&1 ||
    die "$name: validate.mjs rendered: $(grep -v '^ok ' "$out/validate.txt")"
  tail -n1 "$out/validate.txt" >&2
  for rules in "$out"/rules-*; do
    [[ -e $rules ]] || continue
    "$promtool" check rules "$rules" >"$out/promtool.txt" 2>&1 || die "$name: promtool check rules $(basename "$rules"): $(cat "$out/promtool.txt")"
  done
  # farrier loads the rendered file. The secret file lives at the pod's mount path; give it the
  # chart's Secret value (or a stand-in for a Secret the user makes) at a path of ours.
  check=("$farrier" --config "$out/farrier.json" --check-config)
  secret_option=$(grep -oE '"(password|creds|nkey_seed|token)_file"' "$out/farrier.json" | tr -d '"' | tr _ - || true)
  if [[ -n $secret_option ]]; then
    if [[ ! -f $out/secret ]]; then
      [[ $secret_option == password-file || $secret_option == token-file ]] ||
        { log "$name: farrier --check-config skipped: a $secret_option needs a real credential, which the user's Secret holds"; sets=$((sets + 1)); continue; }
      echo "stand-in" >"$out/secret"
    fi
    check+=("--nats.$secret_option=$out/secret")
  fi
  "${check[@]}" >"$out/check-config.txt" 2>&1 || die "$name: farrier --check-config refused the rendered farrier.json: $(cat "$out/check-config.txt")"
  cat "$out/check-config.txt" >&2
  sets=$((sets + 1))
done
((sets >= 3)) || die "only $sets value sets in tests/helm/values"

# Values that must be refused, each with its reason.
refused() {
  local why=$1 expect=$2
  shift 2
  if "$helm" template t "$chart" "$@" >"$work/refused.yaml" 2>"$work/refused.txt"; then
    die "accepted values with $why ($*)"
  fi
  grep -q -- "$expect" "$work/refused.txt" || die "values with $why refused, but not saying \"$expect\": $(cat "$work/refused.txt")"
}
refused "a typo in a key" "additional properties 'enabeld' not allowed" --set auth.value=x --set prometheusRule.enabeld=true
refused "a typo in a config section" "additional properties 'pol' not allowed" --set auth.value=x --set config.pol.interval=5s
refused "an unknown layout" "value must be one of 'cluster', 'sidecar'" --set layout=sidcar
refused "no credentials in layout cluster" "set auth.existingSecret" --set layout=cluster --set auth.existingSecret=
refused "a runbook base with an anchor" "runbookBaseURL" --set auth.value=x --set prometheusRule.runbookBaseURL=https://x.example/a#b
refused "a ScaledObject for an unknown service" 'service "payments" is not a name in config.services' --set auth.value=x \
  --set keda.enabled=true --set 'keda.scaledObjects[0].name=p' --set 'keda.scaledObjects[0].scaleTargetRef.name=p' \
  --set 'keda.scaledObjects[0].service=payments'
refused "a PodMonitor in layout cluster" "in layout cluster use serviceMonitor" --set auth.value=x --set podMonitor.enabled=true
log "7 kinds of bad values refused, each saying why"

# `helm package` follows the links to alerts/ and dashboards/; the package renders the same.
"$helm" package "$chart" --destination "$work" >"$work/package.txt" 2> >(quiet) || die "helm package: $(cat "$work/package.txt")"
package=$work/farrier-$version.tgz
tar tzf "$package" >"$work/package-files.txt"
for f in farrier/files/alerts/nats.alerts.yml farrier/files/alerts/README.md farrier/files/dashboards/jetstream.json farrier/values.schema.json; do
  grep -qx "$f" "$work/package-files.txt" || die "helm package: $f is not in $package"
done
! grep -q 'files/alerts/tests/' "$work/package-files.txt" || die "helm package: alerts/tests/ should be left out (.helmignore)"
"$helm" template nats-monitor "$package" -f "$src/tests/helm/values/cluster-full.yaml" --namespace nats >"$work/from-package.yaml" 2> >(quiet)
cmp -s "$work/from-package.yaml" "$work/cluster-full/rendered.yaml" || die "the packaged chart renders differently from the directory"
log "helm package: $(wc -l <"$work/package-files.txt") files, renders the same"

# The drop-in values for the official NATS chart, against a chart of its shape.
if true; then
  bash "$src/tests/helm/nats_drop_in.sh" "$helm" "$farrier" "$src" "$work/nats-drop-in" || die "nats_drop_in.sh"
fi
log "ok: $sets value sets"
