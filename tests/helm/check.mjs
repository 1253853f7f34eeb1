// Checks of one `helm template` output of deploy/helm/farrier that the generic manifest
// validator (tests/manifests/validate.mjs, mode rendered) does not make, and extraction of what
// real tools then check:
//
//   node check.mjs --root REPO --rendered FILE --values FILE --out DIR
//
// - every object carries the chart's labels and the release's namespace (except ScaledObjects
//   and dashboards, which may go elsewhere);
// - one PrometheusRule per file of prometheusRule.files, its groups those of alerts/<file>
//   (the validator compares each group); their spec written to DIR/rules-<file> for promtool;
// - each dashboard ConfigMap holds dashboards/<name>.json with ${DS_PROMETHEUS} replaced by
//   dashboards.datasourceUid, byte for byte, and valid JSON;
// - layout cluster: one Deployment, one replica, Recreate, its ServiceMonitor relabels
//   server_name into instance; layout sidecar: no workload at all;
// - ConfigMap <fullname>-config's farrier.json written to DIR/farrier.json (run.sh gives it to
//   `farrier --check-config`), the chart's own Secret's value, if any, to DIR/secret, and the
//   validator's arguments for the rule copies to DIR/validate-args.
// Exit 0 when all hold, 1 with the list of what does not.
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import YAML from 'yaml';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['root', 'rendered', 'values', 'out']) {
  if (!args[k]) throw new Error('usage: check.mjs --root REPO --rendered FILE --values FILE --out DIR');
}

const chartValues = YAML.parse(fs.readFileSync(path.join(args.root, 'deploy/helm/farrier/values.yaml'), 'utf8'));
const given = YAML.parse(fs.readFileSync(args.values, 'utf8')) ?? {};
// The values as Helm merges them (maps merged, everything else replaced).
function merge(a, b) {
  if (b === null || typeof b !== 'object' || Array.isArray(b) || a === null || typeof a !== 'object' || Array.isArray(a)) return b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in a ? merge(a[k], v) : v;
  return out;
}
const values = merge(chartValues, given);
const docs = YAML.parseAllDocuments(fs.readFileSync(args.rendered, 'utf8')).map((d) => d.toJS()).filter(Boolean);
const errors = [];
const ofKind = (kind) => docs.filter((d) => d.kind === kind);

const namespaceOf = (d) => d.metadata?.namespace;
const releaseNamespace = ofKind('ConfigMap').find((d) => d.data?.['farrier.json'])?.metadata?.namespace;
const configMap = ofKind('ConfigMap').find((d) => d.data?.['farrier.json']);
if (!configMap) errors.push('no ConfigMap with farrier.json');
for (const d of docs) {
  const where = `${d.kind} ${d.metadata?.name}`;
  if (d.metadata?.labels?.['app.kubernetes.io/managed-by'] !== 'Helm') errors.push(`${where}: no app.kubernetes.io/managed-by label`);
  if (d.kind !== 'ScaledObject' && !(d.kind === 'ConfigMap' && d.metadata?.name?.includes('-dashboard-')) &&
      namespaceOf(d) !== releaseNamespace) {
    errors.push(`${where}: namespace ${namespaceOf(d)}, not the release's ${releaseNamespace}`);
  }
}

// Layout.
const workloads = docs.filter((d) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(d.kind));
if (values.layout === 'cluster') {
  if (workloads.length !== 1 || workloads[0].kind !== 'Deployment') errors.push(`layout cluster: expected one Deployment, got ${workloads.map((w) => w.kind)}`);
  const dep = workloads[0];
  if (dep && (dep.spec.replicas !== 1 || dep.spec.strategy?.type !== 'Recreate')) errors.push('layout cluster: the Deployment must have 1 replica and strategy Recreate');
  for (const sm of ofKind('ServiceMonitor')) {
    const relabel = sm.spec.endpoints?.[0]?.metricRelabelings ?? [];
    if (!relabel.some((r) => r.sourceLabels?.[0] === 'server_name' && r.targetLabel === 'instance')) {
      errors.push(`ServiceMonitor ${sm.metadata.name}: layout cluster needs server_name relabelled into instance`);
    }
  }
} else if (workloads.length) {
  errors.push(`layout sidecar: no workload expected, got ${workloads.map((w) => `${w.kind} ${w.metadata.name}`)}`);
}

// Rules: one PrometheusRule per listed file, with that file's groups.
const rules = ofKind('PrometheusRule');
if (values.prometheusRule?.enabled) {
  const files = values.prometheusRule.files;
  if (rules.length !== files.length) errors.push(`${rules.length} PrometheusRules for ${files.length} rule files`);
  for (const file of files) {
    const original = YAML.parse(fs.readFileSync(path.join(args.root, 'alerts', file), 'utf8'));
    const names = original.groups.map((g) => g.name);
    const rule = rules.find((r) => isDeepStrictEqual(r.spec.groups.map((g) => g.name), names));
    if (!rule) {
      errors.push(`no PrometheusRule with the groups of alerts/${file} (${names.join(', ')})`);
      continue;
    }
    fs.writeFileSync(path.join(args.out, `rules-${file}`), YAML.stringify(rule.spec));
  }
} else if (rules.length) {
  errors.push('PrometheusRules rendered with prometheusRule.enabled false');
}

// Dashboards: the repository's files, data source filled in.
const boards = ofKind('ConfigMap').filter((d) => d.metadata.name.includes('-dashboard-'));
if (values.dashboards?.enabled) {
  const files = fs.readdirSync(path.join(args.root, 'dashboards')).filter((f) => f.endsWith('.json')).sort();
  if (boards.length !== files.length) errors.push(`${boards.length} dashboard ConfigMaps for ${files.length} dashboards`);
  for (const file of files) {
    const cm = boards.find((b) => b.data?.[file] !== undefined);
    if (!cm) {
      errors.push(`no ConfigMap holds dashboards/${file}`);
      continue;
    }
    const expected = fs.readFileSync(path.join(args.root, 'dashboards', file), 'utf8')
      .replaceAll('${DS_PROMETHEUS}', values.dashboards.datasourceUid).replace(/\n$/, '');
    if (cm.data[file] !== expected) errors.push(`ConfigMap ${cm.metadata.name}: ${file} differs from dashboards/${file}`);
    try {
      JSON.parse(cm.data[file]);
    } catch (e) {
      errors.push(`ConfigMap ${cm.metadata.name}: ${file} is not JSON: ${e.message}`);
    }
    for (const [k, v] of Object.entries(values.dashboards.labels ?? {})) {
      if (cm.metadata.labels?.[k] !== v) errors.push(`ConfigMap ${cm.metadata.name}: label ${k}=${v} missing (Grafana's sidecar finds dashboards by it)`);
    }
  }
} else if (boards.length) {
  errors.push('dashboard ConfigMaps rendered with dashboards.enabled false');
}

// What the next steps check with real tools. validate-args: how the chart may have changed the
// rule copies (validate.mjs rendered), one argument per line.
const validateArgs = ['--alert-labels', JSON.stringify(values.prometheusRule?.additionalAlertLabels ?? {})];
if (values.prometheusRule?.runbookBaseURL) validateArgs.push('--runbook-base', values.prometheusRule.runbookBaseURL);
fs.writeFileSync(path.join(args.out, 'validate-args'), `${validateArgs.join('\n')}\n`);
if (configMap) fs.writeFileSync(path.join(args.out, 'farrier.json'), configMap.data['farrier.json']);
for (const s of ofKind('Secret')) {
  const [key, value] = Object.entries(s.data ?? {})[0] ?? [];
  if (key) fs.writeFileSync(path.join(args.out, 'secret'), Buffer.from(value, 'base64'));
}

if (errors.length) {
  console.error(`${args.rendered}: ${errors.length} problem(s):\n  ${errors.join('\n  ')}`);
  process.exit(1);
}
console.log(`${path.basename(args.rendered)}: ${docs.length} objects (${[...new Set(docs.map((d) => d.kind))].join(', ')}); ` +
  `${rules.length} rule files, ${boards.length} dashboards as the repository has them`);
