#!/usr/bin/env bash
# ctest asg_scaler_files: offline checks of the files of deploy/vm/autoscaling/ that no AWS
# account checks here (there is none):
#   - every JSON file parses; the IAM policy grants exactly DescribeAutoScalingGroups (which
#     has no resource-level permissions, so "*") and SetDesiredCapacity on one group's ARN;
#   - the CloudWatch agent's Prometheus scrape config passes `promtool check config`, keeps
#     exactly the two desired-workers families and gives every target a "sidecar" label, which
#     the agent config's service dimensions and the service target-tracking policy use;
#   - the metric names in the agent config are documented in docs/metrics.md;
#   - the target-tracking configurations match the AWS API's input shape (botocore's own model,
#     when python3 has botocore; said when skipped) and return exactly one series;
#   - the systemd units pass `systemd-analyze verify` without a warning (when installed), and
#     the service's ExecStart runs the scaler with options the scaler accepts;
#   - shellcheck on the scaler (when installed).
#
#   asg_scaler_files.sh SOURCE_DIR
set -euo pipefail

source_dir=$(cd "$1" && pwd)
dir=$source_dir/deploy/vm/autoscaling
cw=$dir/cloudwatch
log() { printf 'asg_scaler_files: %s\n' "$*" >&2; }
fail() {
  log "FAIL: $*"
  exit 1
}
command -v jq >/dev/null || fail "jq is missing (scripts/deps.sh installs it)"
work=$(mktemp -d "${TMPDIR:-/tmp}/asg-scaler-files.XXXXXX")
trap 'rm -rf "$work"' EXIT

for f in "$dir"/*.json "$cw"/*.json; do
  jq -e . "$f" >/dev/null || fail "$f is not valid JSON"
done
log "ok: JSON files parse"

jq -e '.Version == "2012-10-17" and (.Statement | length) == 2 and
  ([.Statement[] | select(.Effect == "Allow")] | length) == 2 and
  ([.Statement[] | .Action] | sort) == ["autoscaling:DescribeAutoScalingGroups", "autoscaling:SetDesiredCapacity"] and
  (.Statement[] | select(.Action == "autoscaling:SetDesiredCapacity") | .Resource |
     test("^arn:aws:autoscaling:[a-z0-9-]+:[0-9]{12}:autoScalingGroup:\\*:autoScalingGroupName/[^*]+$"))' \
  "$dir/iam-policy.json" >/dev/null || fail "iam-policy.json: not the two least privileges on one group"
log "ok: IAM policy"

promtool=${FARRIER_PROMTOOL:-$(command -v promtool || true)}
[[ -n $promtool ]] || fail "promtool is missing (Debian's prometheus package; scripts/deps.sh)"
cp "$cw/prometheus-scrape.json" "$work/prometheus.yml"
"$promtool" check config "$work/prometheus.yml" >"$work/promtool.out" 2>&1 || fail "promtool: $(cat "$work/promtool.out")"
jq -e '[.scrape_configs[].static_configs[]] | length > 0 and all(.labels.sidecar != null)' \
  "$cw/prometheus-scrape.json" >/dev/null || fail "prometheus-scrape.json: every target needs a sidecar label"
sidecars=$(jq -c '[.scrape_configs[].static_configs[].labels.sidecar] | sort' "$cw/prometheus-scrape.json")
in_policy=$(jq -c '[.CustomizedMetricSpecification.Metrics[] | .MetricStat.Metric.Dimensions // [] | .[] |
  select(.Name == "sidecar") | .Value] | sort' "$cw/target-tracking-service.json")
[[ $sidecars == "$in_policy" ]] || fail "the sidecars scraped ($sidecars) differ from the service policy's ($in_policy)"
log "ok: scrape config (promtool) and its sidecars $sidecars"

for name in $(jq -r '.logs.metrics_collected.prometheus.emf_processor.metric_declaration[].metric_selectors[] |
  ltrimstr("^") | rtrimstr("$")' "$cw/amazon-cloudwatch-agent.json"); do
  grep -q "^| \`$name\` |" "$source_dir/docs/metrics.md" || fail "$name (agent config) is not a metric of docs/metrics.md"
  # The scrape config's keep rule must let it through (a Prometheus regex is anchored).
  jq -e --arg n "$name" '[.scrape_configs[].metric_relabel_configs[] | select(.action == "keep") | .regex] |
    any(. as $r | $n | test("^(" + $r + ")$"))' "$cw/prometheus-scrape.json" >/dev/null ||
    fail "prometheus-scrape.json drops $name"
done
jq -e '.logs.metrics_collected.prometheus.emf_processor.metric_declaration | map(.dimensions[0]) ==
  [["service", "sidecar"], ["stream", "consumer"]]' "$cw/amazon-cloudwatch-agent.json" >/dev/null ||
  fail "amazon-cloudwatch-agent.json: services need the per-sidecar dimension, consumers none"
for f in "$cw"/target-tracking-*.json; do
  jq -e '[.CustomizedMetricSpecification.Metrics[] | select(.ReturnData == true)] | length == 1' "$f" >/dev/null ||
    fail "$f: exactly one query must return data"
done
log "ok: metric names documented, dimensions, one returned series per policy"

if python3 -c 'import botocore' 2>/dev/null; then
  python3 - "$cw" <<'PY' || fail "a target-tracking configuration does not match the AWS API (above)"
import json, sys, glob
import botocore.session
from botocore.validate import ParamValidator
op = botocore.session.get_session().get_service_model('autoscaling').operation_model('PutScalingPolicy')
bad = False
for f in sorted(glob.glob(sys.argv[1] + '/target-tracking-*.json')):
    params = {'AutoScalingGroupName': 'g', 'PolicyName': 'p', 'PolicyType': 'TargetTrackingScaling',
              'TargetTrackingConfiguration': json.load(open(f))}
    report = ParamValidator().validate(params, op.input_shape).generate_report()
    if report:
        print(f, report, file=sys.stderr)
        bad = True
sys.exit(1 if bad else 0)
PY
  log "ok: target-tracking configurations match botocore's PutScalingPolicy input shape"
else
  log "skipped: the target-tracking configurations against botocore's model (python3 has no botocore)"
fi

# The service's ExecStart, with the scaler from the tree, must pass the scaler's option checks:
# --dry-run with URLs nobody listens on then fails reading them (1), not on usage (2).
exec_line=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$dir/farrier-asg-scaler.service" | sed 's/\\$//' | tr '\n' ' ')
read -r -a exec_args <<<"${exec_line#ExecStart=}"
[[ ${exec_args[0]} == /usr/local/bin/farrier-asg-scaler ]] || fail "ExecStart runs ${exec_args[0]}"
args=() # the same options, with URLs on loopback where nothing listens (port 9, discard)
for a in "${exec_args[@]:1}"; do [[ $a == http://* ]] && a=http://127.0.0.1:9; args+=("$a"); done
rc=0
"$dir/farrier-asg-scaler" "${args[@]}" --dry-run --timeout 0.2 >/dev/null 2>"$work/exec.err" || rc=$?
((rc == 1)) || fail "the unit's ExecStart options: expected exit 1 (nothing listens), got $rc: $(cat "$work/exec.err")"
log "ok: the unit's ExecStart options are accepted"

if command -v systemd-analyze >/dev/null; then
  mkdir "$work/units"
  sed "s#/usr/local/bin/farrier-asg-scaler#$dir/farrier-asg-scaler#" "$dir/farrier-asg-scaler.service" \
    >"$work/units/farrier-asg-scaler.service"
  cp "$dir/farrier-asg-scaler.timer" "$work/units/"
  systemd-analyze verify "$work/units/farrier-asg-scaler.service" "$work/units/farrier-asg-scaler.timer" \
    >"$work/verify.out" 2>&1 || fail "systemd-analyze verify: $(cat "$work/verify.out")"
  [[ ! -s $work/verify.out ]] || fail "systemd-analyze verify warns: $(cat "$work/verify.out")"
  log "ok: systemd-analyze verify"
else
  log "skipped: systemd-analyze verify (not installed)"
fi
if command -v shellcheck >/dev/null; then
  shellcheck "$dir/farrier-asg-scaler" || fail "shellcheck farrier-asg-scaler"
  log "ok: shellcheck"
else
  log "skipped: shellcheck (not installed)"
fi
log "PASS"
