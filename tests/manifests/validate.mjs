// Offline validation of everything under deploy/ and of the rule files' test coverage.
//
//   node validate.mjs manifests     --root <repo>   # every YAML under deploy/, after a self-test
//   node validate.mjs rule-coverage --root <repo>   # every rule in alerts/*.yml has a unit test
//
// No Kubernetes API server is needed. Each document is checked against the API schema of its
// apiVersion/kind from npm's kubernetes-models, @kubernetes-models/keda and
// @kubernetes-models/prometheus-operator (an unknown apiVersion/kind is an error). Those
// validators ignore fields the schema does not know, while `kubectl apply` (strict field
// validation) rejects them, so every field is also probed: replaced by a value of the wrong type,
// it must make the validator complain at that path, or it is reported as an unknown field.
// Then Farrier's own rules for its scaling signals (additive signals summed, consumer signals
// max'ed, AverageValue with target 1, metadata keys KEDA knows, URLs KEDA can aggregate over),
// cross-references (Service, adapter metrics, rule copies), PromQL parsed by the real promtool
// ($FARRIER_PROMTOOL or promtool on $PATH), and metric names that docs/metrics.md documents.
// Workloads (StatefulSet, Deployment, DaemonSet): the "restricted" Pod Security Standard plus a
// read-only root filesystem, ConfigMaps/Secrets they mount defined in deploy/ with the keys used,
// Services in their namespace selecting their pods on container ports, and for farrier
// containers: --config a mounted, read-only JSON file, every *_file option a mounted file, NATS
// read over the pod's loopback interface, /healthz probes, a fixed UID, resources, and
// min_workers 0 when several sidecars serve one pool.
//
// YAML is parsed as YAML 1.1 like Kubernetes does (`yes`, `on`, `n` are booleans there), with
// duplicate keys rejected. `*.values.yaml` files are Helm values, not manifests: only parsed,
// except prometheus-adapter's (file name containing "prometheus-adapter"), whose rules are
// checked. The self-test first feeds deliberately broken documents and fails unless each is
// rejected for the intended reason.
//
// Exit code 0 when everything is valid, 1 otherwise. Writes only to a temporary directory.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import YAML from 'yaml';

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const args = { mode: argv[0], root: null, files: [], runbookBase: null, alertLabels: {} };
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--root') args.root = argv[++i];
    else if (argv[i] === '--runbook-base') args.runbookBase = argv[++i];
    else if (argv[i] === '--alert-labels') args.alertLabels = JSON.parse(argv[++i]);
    else if (args.mode === 'rendered' && !argv[i].startsWith('--')) args.files.push(path.resolve(argv[i]));
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!['manifests', 'rule-coverage', 'rendered'].includes(args.mode) || !args.root ||
      (args.mode === 'rendered' && !args.files.length)) {
    throw new Error('usage: validate.mjs manifests|rule-coverage --root <repository>\n' +
      '       validate.mjs rendered --root <repository> [--runbook-base URL] [--alert-labels JSON] FILE...');
  }
  args.root = path.resolve(args.root);
  return args;
}

// ---------------------------------------------------------------------------------------------
// YAML

const YAML_OPTIONS = { version: '1.1', uniqueKeys: true, strict: true, prettyErrors: true };

// Parses every document of a (multi-document) YAML text. Throws on any error or warning.
function parseYamlDocuments(text, where) {
  const docs = YAML.parseAllDocuments(text, YAML_OPTIONS);
  const out = [];
  for (const [i, d] of docs.entries()) {
    const problems = [...d.errors, ...d.warnings];
    if (problems.length) {
      throw new Error(`${where}: YAML document ${i + 1}: ${problems.map((p) => p.message).join('; ')}`);
    }
    const value = d.toJS({ maxAliasCount: 0 });
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

function walkFiles(dir, accept, { skipCharts = false } = {}) {
  if (!fs.existsSync(dir)) return [];
  if (skipCharts && fs.existsSync(path.join(dir, 'Chart.yaml'))) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walkFiles(p, accept, { skipCharts }));
    else if (accept(entry.name)) out.push(p);
  }
  return out;
}

const isYamlFile = (name) => /\.ya?ml$/.test(name);

// ---------------------------------------------------------------------------------------------
// Schema validation through the kubernetes-models packages

// Model modules are named after the apiVersion: kubernetes-models/apps/v1,
// @kubernetes-models/keda/keda.sh/v1alpha1, ... The core group "v1" is kubernetes-models/v1.
const MODEL_PACKAGES = ['kubernetes-models', '@kubernetes-models/keda', '@kubernetes-models/prometheus-operator'];
const moduleCache = new Map();

async function importQuietly(specifier) {
  if (!moduleCache.has(specifier)) {
    moduleCache.set(specifier, import(specifier).catch((e) => {
      if (e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || e.code === 'ERR_MODULE_NOT_FOUND') return null;
      throw e;
    }));
  }
  return moduleCache.get(specifier);
}

async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^[A-Za-z0-9.\-/]+$/.test(apiVersion) ||
      !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    return null;
  }
  for (const pkg of MODEL_PACKAGES) {
    const mod = await importQuietly(`${pkg}/${apiVersion}`);
    if (mod && typeof mod[kind] === 'function') return mod[kind];
  }
  return null;
}

// Runs the model's validator; returns its errors (ajv format: instancePath, message), [] if valid.
function schemaErrors(Model, doc) {
  try {
    new Model(structuredClone(doc)).validate();
    return [];
  } catch (e) {
    if (Array.isArray(e.errors)) return e.errors;
    return [{ instancePath: '', message: String(e.message || e) }];
  }
}

const pointer = (segments) => segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
const dotted = (segments) => segments.join('.');

// A value of a type no schema property accepts: not a string, number, boolean or object, and an
// array whose items are arrays, so even an array-typed field rejects it.
const WRONG_TYPE = [[['farrier-probe']]];

// Every field of `doc` that the schema does not constrain: replaced by WRONG_TYPE, the
// validator reports nothing at or below its path. (A field whose schema accepts anything
// would show up too; there are none in deploy/ today.)
function unknownFields(Model, doc) {
  const unknown = [];
  const visit = (value, segs) => {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v])
      : value !== null && typeof value === 'object' ? Object.entries(value) : [];
    for (const [key, child] of entries) {
      const p = [...segs, key];
      const probe = structuredClone(doc);
      let parent = probe;
      for (const s of segs) parent = parent[s];
      parent[key] = WRONG_TYPE;
      const ptr = pointer(p);
      const hit = schemaErrors(Model, probe).some((e) => e.instancePath === ptr || e.instancePath.startsWith(ptr + '/'));
      if (!hit) unknown.push(dotted(p));
      else visit(child, p);
    }
  };
  visit(doc, []);
  return unknown;
}

// ---------------------------------------------------------------------------------------------
// Repository context: documented metrics, recording rules, alerts groups


function loadContext(root) {
  const ctx = { root, metrics: new Map(), recorded: new Set(), ruleGroups: new Map() };
  const docs = fs.readFileSync(path.join(root, 'docs/metrics.md'), 'utf8');
  for (const m of docs.matchAll(/^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|\s*(\w+)\s*\|/gm)) ctx.metrics.set(m[1], m[2]);
  for (const file of walkFiles(path.join(root, 'alerts'), isYamlFile)) {
    if (file.includes(`${path.sep}tests${path.sep}`)) continue;
    const [rules] = parseYamlDocuments(fs.readFileSync(file, 'utf8'), file);
    for (const g of rules?.groups ?? []) {
      ctx.ruleGroups.set(g.name, { group: g, file: path.relative(root, file) });
      for (const r of g.rules ?? []) if (r.record) ctx.recorded.add(r.record);
    }
  }
  return ctx;
}

function metricKnown(ctx, name) {
  if (ctx.metrics.has(name) || ctx.recorded.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && ctx.metrics.get(base) === 'histogram';
}

// Metric names a PromQL expression refers to: Farrier's (nats_*) and recording rules (a:b:c).
function metricNamesIn(expr) {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...new Set([...bare.matchAll(/(?<![A-Za-z0-9_:])(nats_[a-z0-9_]+|[a-z_][a-z0-9_]*:[a-z0-9_:]*[a-z0-9_])(?![A-Za-z0-9_:])/g)]
    .map((m) => m[1]))];
}

// prometheus-adapter's metricsQuery templates, filled in as the adapter would for a query.
function fillAdapterTemplate(query, seriesName) {
  return query
    .replace(/<<\s*\.Series\s*>>/g, seriesName)
    .replace(/<<\s*\.LabelMatchers\s*>>/g, 'service="orders"')
    .replace(/<<\s*\.GroupBy\s*>>/g, 'service');
}

// ---------------------------------------------------------------------------------------------
// promtool: parses every PromQL expression collected, in one run

function promtoolBinary() {
  return process.env.FARRIER_PROMTOOL || 'promtool';
}

function promqlErrors(queries) {
  if (!queries.length) return [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farrier-manifests-'));
  try {
    const file = path.join(dir, 'queries.rules.yml');
    const rules = queries.map((q, i) => ({ record: `farrier_manifest_query_${i}`, expr: q.expr }));
    fs.writeFileSync(file, YAML.stringify({ groups: [{ name: 'manifest-queries', rules }] }));
    try {
      execFileSync(promtoolBinary(), ['check', 'rules', file], { stdio: 'pipe', timeout: 60_000 });
      return [];
    } catch (e) {
      if (e.code === 'ENOENT') return [`promtool not found (set FARRIER_PROMTOOL or install Debian's prometheus)`];
      const output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
      const errors = [];
      for (const m of output.matchAll(/rule (\d+)(?:, "[^"]*")?: (.*)/g)) {
        const q = queries[Number(m[1]) - 1];
        errors.push(q ? `${q.where}: PromQL rejected by promtool: ${m[2]} in: ${q.expr}` : m[0]);
      }
      return errors.length ? errors : [`promtool check rules failed: ${output.trim()}`];
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Farrier's rules for KEDA triggers, HPAs, adapter rules and rule copies

// Trigger metadata keys KEDA's scalers read (pkg/scalers/*_scaler.go of KEDA 2.19).
const KEDA_METADATA_KEYS = {
  'metrics-api': new Set(['url', 'format', 'valueLocation', 'targetValue', 'activationTargetValue', 'unsafeSsl',
    'aggregateFromKubeServiceEndpoints', 'aggregationType', 'authMode', 'method', 'keyParamName']),
  prometheus: new Set(['serverAddress', 'query', 'queryParameters', 'threshold', 'activationThreshold', 'namespace',
    'customHeaders', 'ignoreNullValues', 'unsafeSsl', 'awsRegion', 'timeout', 'authModes']),
};

// Fields of GET /api/v1/scaling that add up across sidecars, and the aggregations that keep
// their meaning. services.*: every sidecar holds a share, so sum. consumers.*.*: only the
// leader's sidecar holds figures (followers report 0), so max (sum double-counts during a
// leader change, but is not wrong otherwise).
const SERVICE_ADDITIVE_FIELDS = new Set(['desired_workers', 'current_workers', 'demand_workers', 'arrival_rate']);
const CONSUMER_FIELDS = new Set(['desired_workers', 'lag']);
const NAME = '[A-Za-z0-9_.\\-]+';

function isTrue(v) {
  return String(v).toLowerCase() === 'true';
}

function checkMetricsApiTrigger(t, where, services) {
  const errors = [];
  const md = t.metadata ?? {};
  for (const key of ['url', 'valueLocation', 'targetValue']) if (!md[key]) errors.push(`${where}: metadata.${key} is required`);
  if (md.format && md.format !== 'json') errors.push(`${where}: format must be json (farrier's /api/v1/scaling)`);
  let url;
  try {
    url = new URL(md.url);
  } catch {
    errors.push(`${where}: metadata.url is not a URL: ${md.url}`);
    return errors;
  }
  const serviceMatch = url.pathname.match(new RegExp(`^/api/v1/scaling/services/(${NAME})$`));
  if (url.pathname !== '/api/v1/scaling' && !serviceMatch) {
    errors.push(`${where}: url path must be /api/v1/scaling or /api/v1/scaling/services/<name>, got ${url.pathname}`);
  }
  // valueLocation: a GJSON path into farrier's JSON.
  const loc = String(md.valueLocation ?? '');
  let kind = null;
  let field = null;
  let m;
  if (serviceMatch) {
    if (/^[a-z_]+$/.test(loc)) [kind, field] = ['service', loc];
  } else if ((m = loc.match(new RegExp(`^services\\.(${NAME})\\.([a-z_]+)$`)))) {
    [kind, field] = ['service', m[2]];
  } else if ((m = loc.match(new RegExp(`^consumers\\.(${NAME})\\.(${NAME})\\.([a-z_]+)$`)))) {
    [kind, field] = ['consumer', m[3]];
  }
  if (!kind) errors.push(`${where}: valueLocation ${loc} is not services.<name>.<field> or consumers.<stream>.<consumer>.<field>`);
  const aggregate = isTrue(md.aggregateFromKubeServiceEndpoints);
  if (kind === 'service' && !SERVICE_ADDITIVE_FIELDS.has(field)) {
    errors.push(`${where}: valueLocation field ${field} is not one of farrier's additive service fields ` +
      `(${[...SERVICE_ADDITIVE_FIELDS].join(', ')}); per-server ratios cannot be aggregated`);
  }
  if (kind === 'consumer' && !CONSUMER_FIELDS.has(field)) {
    errors.push(`${where}: valueLocation field ${field} is not one of ${[...CONSUMER_FIELDS].join(', ')}`);
  }
  // One sidecar per NATS server: each sees only its server; KEDA must ask all of them.
  if (!aggregate) {
    errors.push(`${where}: aggregateFromKubeServiceEndpoints must be "true": each sidecar sees only its own server`);
  } else {
    const allowed = kind === 'consumer' ? ['max', 'sum'] : ['sum'];
    if (!allowed.includes(md.aggregationType)) {
      errors.push(`${where}: aggregationType must be ${allowed.join(' or ')} for ${kind ?? 'this'} signals ` +
        `(KEDA's default is average), got ${md.aggregationType ?? '(default average)'}`);
    }
    // KEDA reads the Service name and namespace from the first two dot-separated parts of the
    // URL's host INCLUDING the port (farrier.nats:7778 gives namespace "nats:7778"), and matches
    // the URL's port against the endpoints' (pods') ports.
    const labels = url.hostname.split('.');
    if (labels.length < 3 || !url.port) {
      errors.push(`${where}: with aggregateFromKubeServiceEndpoints the url must name <service>.<namespace>.svc...:<pod port>, ` +
        `got ${url.host}`);
    } else if (services.length) {
      const [svcName, svcNamespace] = labels;
      const svc = services.find((s) => s.metadata?.name === svcName && (s.metadata?.namespace ?? 'default') === svcNamespace);
      if (!svc) {
        errors.push(`${where}: url names Service ${svcNamespace}/${svcName}, which no manifest in deploy/ defines`);
      } else if (!(svc.spec?.ports ?? []).some((p) => String(p.targetPort ?? p.port) === url.port)) {
        errors.push(`${where}: url port ${url.port} is not a target (pod) port of Service ${svcNamespace}/${svcName}`);
      }
    }
  }
  if (field === 'desired_workers') errors.push(...checkReplicasTarget(t.metricType, md.targetValue, `${where}: targetValue`));
  return errors;
}

// A rule group as compared with its original in alerts/: each runbook_url split into its base
// (returned apart, by alert) and its anchor (kept), and the alert labels a copy adds removed.
// `copy` (mode rendered, from the Helm chart's values): the labels every alert must carry;
// errors for an alert that lacks one.
function comparableRules(group, copy = null, where = '', errors = []) {
  const g = structuredClone(group);
  const bases = new Map();
  for (const r of g.rules ?? []) {
    if (!r.alert) continue;
    for (const [k, v] of Object.entries(copy?.alertLabels ?? {})) {
      if (r.labels?.[k] !== v) errors.push(`${where}: alert ${r.alert} lacks the label ${k}: ${v}`);
      else delete r.labels[k];
    }
    if (r.labels && !Object.keys(r.labels).length) delete r.labels;
    const url = r.annotations?.runbook_url;
    if (typeof url === 'string' && url.includes('#')) {
      bases.set(r.alert, url.slice(0, url.indexOf('#')));
      r.annotations.runbook_url = url.slice(url.indexOf('#'));
    }
  }
  return { rules: g, bases };
}

// replicas = ceil(Σ desired / target) needs AverageValue (KEDA's default) and a target of 1.
function checkReplicasTarget(metricType, target, where) {
  const errors = [];
  if (metricType !== undefined && metricType !== 'AverageValue') {
    errors.push(`${where}: a desired-workers signal needs metricType AverageValue, got ${metricType}`);
  }
  if (String(target) !== '1') errors.push(`${where}: must be "1" so that replicas = desired workers, got ${JSON.stringify(target)}`);
  return errors;
}

// The query must aggregate the sidecars: sum for service signals, max (or sum) for consumers.
function checkAggregation(expr, where) {
  const errors = [];
  const agg = (name) => new RegExp(`^\\s*(\\w+)\\s*(?:(?:by|without)\\s*\\([^)]*\\)\\s*)?\\(\\s*${name}\\b`);
  for (const [name, allowed] of [['nats_service_desired_workers', ['sum']], ['nats_service_demand_workers', ['sum']],
    ['nats_service_workers', ['sum']], ['nats_service_arrival_rate', ['sum']],
    ['nats_consumer_desired_workers', ['max', 'sum']], ['nats_consumer_lag', ['max', 'sum']]]) {
    if (!new RegExp(`\\b${name}\\b`).test(expr)) continue;
    const m = expr.match(agg(name));
    if (!m || !allowed.includes(m[1])) {
      errors.push(`${where}: ${name} must be aggregated over the sidecars with ${allowed.join(' or ')}(...), got: ${expr}`);
    }
  }
  if (/\bnats_service_utilization_ratio\b/.test(expr) && /\bavg\b/.test(expr)) {
    errors.push(`${where}: never average nats_service_utilization_ratio; use service:nats_service_utilization:ratio`);
  }
  return errors;
}

function checkPrometheusTrigger(t, where) {
  const errors = [];
  const md = t.metadata ?? {};
  for (const key of ['serverAddress', 'query', 'threshold']) if (!md[key]) errors.push(`${where}: metadata.${key} is required`);
  const query = String(md.query ?? '');
  errors.push(...checkAggregation(query, where));
  if (/desired_workers/.test(query)) errors.push(...checkReplicasTarget(t.metricType, md.threshold, `${where}: threshold`));
  return errors;
}

// prometheus-adapter rules (externalRules in a config file, rules.external in Helm values).
const ADAPTER_RULE_KEYS = new Set(['seriesQuery', 'seriesFilters', 'resources', 'name', 'metricsQuery']);

function checkAdapterRules(rules, where, queries) {
  const errors = [];
  const names = [];
  if (!Array.isArray(rules) || !rules.length) return { errors: [`${where}: no external rules`], names };
  rules.forEach((r, i) => {
    const w = `${where}[${i}]`;
    for (const k of Object.keys(r ?? {})) if (!ADAPTER_RULE_KEYS.has(k)) errors.push(`${w}: unknown key ${k}`);
    if (typeof r?.seriesQuery !== 'string' || typeof r?.metricsQuery !== 'string') {
      errors.push(`${w}: seriesQuery and metricsQuery are required strings`);
      return;
    }
    for (const k of Object.keys(r.resources ?? {})) {
      if (!['overrides', 'template', 'namespaced'].includes(k)) errors.push(`${w}: unknown key resources.${k}`);
    }
    if (r.resources?.namespaced !== false) {
      errors.push(`${w}: resources.namespaced must be false: the sidecars' series carry the NATS namespace, ` +
        `not the namespace of the HPA`);
    }
    const series = r.seriesQuery.match(/^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/)?.[1] ??
      r.seriesQuery.match(/__name__\s*=\s*"([^"]+)"/)?.[1];
    if (!series) {
      errors.push(`${w}: seriesQuery must name one metric`);
      return;
    }
    for (const k of Object.keys(r.name ?? {})) if (!['matches', 'as'].includes(k)) errors.push(`${w}: unknown key name.${k}`);
    let exposed = series;
    if (r.name?.matches) {
      const re = new RegExp(r.name.matches);
      if (!re.test(series)) errors.push(`${w}: name.matches ${r.name.matches} does not match ${series}`);
      exposed = r.name.as ? series.replace(re, r.name.as.replace(/\$\{(\d+)\}/g, '$$$1')) : series;
    }
    names.push(exposed);
    queries.push({ expr: r.seriesQuery, where: `${w}.seriesQuery` });
    const filled = fillAdapterTemplate(r.metricsQuery, series);
    queries.push({ expr: filled, where: `${w}.metricsQuery` });
    errors.push(...checkAggregation(filled, `${w}.metricsQuery`));
  });
  return { errors, names };
}

function adapterConfigRules(cm) {
  const text = cm.data?.['config.yaml'];
  if (typeof text !== 'string') return null;
  const [config] = parseYamlDocuments(text, 'config.yaml');
  return config && typeof config === 'object' && 'externalRules' in config ? config.externalRules : null;
}

// ---------------------------------------------------------------------------------------------
// Workloads (deploy/kubernetes: the NATS StatefulSet with its farrier sidecars)

const WORKLOAD_KINDS = ['StatefulSet', 'Deployment', 'DaemonSet'];
const isFarrierImage = (image) => /(^|\/)farrier(:[\w.\-]+)?(@sha256:[0-9a-f]+)?$/.test(String(image ?? ''));
const podContainers = (pod) => [...(pod?.initContainers ?? []), ...(pod?.containers ?? []), ...(pod?.ephemeralContainers ?? [])];
const nsOf = (doc) => doc?.metadata?.namespace ?? 'default';

// Pod Security Standards, profile "restricted" (what a namespace labelled
// pod-security.kubernetes.io/enforce: restricted admits), plus a read-only root filesystem for
// every container.
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim',
  'projected', 'secret']);

function checkPodSecurity(pod, w) {
  const errors = [];
  const psc = pod.securityContext ?? {};
  for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod[k]) errors.push(`${w}: ${k} is not allowed (restricted)`);
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (!RESTRICTED_VOLUME_TYPES.has(type)) errors.push(`${w}: volume ${v.name} of type ${type} is not allowed (restricted)`);
  }
  const seccompOk = (sc) => ['RuntimeDefault', 'Localhost'].includes(sc?.seccompProfile?.type);
  for (const c of podContainers(pod)) {
    const sc = c.securityContext ?? {};
    const cw = `${w} container ${c.name}: securityContext`;
    if (sc.privileged) errors.push(`${cw}.privileged is not allowed`);
    if (sc.allowPrivilegeEscalation !== false) errors.push(`${cw}.allowPrivilegeEscalation must be false`);
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) errors.push(`${cw}.runAsNonRoot must be true (here or in the pod's)`);
    if ((sc.runAsUser ?? psc.runAsUser) === 0) errors.push(`${cw}.runAsUser must not be 0`);
    if (!(sc.seccompProfile ? seccompOk(sc) : seccompOk(psc))) errors.push(`${cw}.seccompProfile must be RuntimeDefault or Localhost`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) errors.push(`${cw}.capabilities.drop must include ALL`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') errors.push(`${cw}.capabilities.add ${cap} is not allowed`);
    if (sc.readOnlyRootFilesystem !== true) errors.push(`${cw}.readOnlyRootFilesystem must be true`);
    for (const p of c.ports ?? []) if (p.hostPort) errors.push(`${w} container ${c.name}: hostPort ${p.hostPort} is not allowed`);
  }
  return errors;
}

// The files a ConfigMap, Secret or projected volume shows, from the objects in deploy/:
// { files: Map(relative path -> { text, from }), complete }. null for other volume types.
function volumeFiles(volume, ns, objects, w, errors) {
  const files = new Map();
  let complete = true;
  const add = (kind, name, ref) => {
    const obj = objects.get(`${kind}/${ns}/${name}`);
    if (!obj) {
      if (!ref.optional) errors.push(`${w}: volume ${volume.name}: ${kind} ${ns}/${name} is not defined in deploy/`);
      return;
    }
    const text = new Map();
    for (const [k, v] of Object.entries(obj.data ?? {})) text.set(k, kind === 'Secret' ? Buffer.from(String(v), 'base64').toString() : v);
    for (const k of Object.keys(obj.binaryData ?? {})) text.set(k, undefined);
    for (const [k, v] of Object.entries(obj.stringData ?? {})) text.set(k, v);
    for (const it of ref.items ?? [...text.keys()].map((key) => ({ key, path: key }))) {
      if (!text.has(it.key)) errors.push(`${w}: volume ${volume.name}: ${kind} ${ns}/${name} has no key ${it.key}`);
      else files.set(it.path, { text: text.get(it.key), from: `${kind} ${name} key ${it.key}` });
    }
  };
  if (volume.configMap) add('ConfigMap', volume.configMap.name, volume.configMap);
  else if (volume.secret) add('Secret', volume.secret.secretName, volume.secret);
  else if (volume.projected) {
    for (const s of volume.projected.sources ?? []) {
      if (s.configMap) add('ConfigMap', s.configMap.name, s.configMap);
      else if (s.secret) add('Secret', s.secret.name, s.secret);
      else complete = false;
    }
  } else return null;
  return { files, complete };
}

// Where a path inside a container comes from: { mount, file } (file undefined when the volume
// has no such file), { mount, unknown: true } for volumes whose content is not in deploy/, or null.
function resolveContainerFile(filePath, container, volumes) {
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
  for (const m of mounts) {
    const base = m.mountPath.replace(/\/+$/, '');
    let rel;
    if (filePath === base && m.subPath) rel = m.subPath;
    else if (filePath.startsWith(base + '/')) rel = path.posix.join(m.subPath ?? '', filePath.slice(base.length + 1));
    else continue;
    const v = volumes.get(m.name);
    if (!v || (!v.complete && !v.files.has(rel))) return { mount: m, unknown: true };
    return { mount: m, file: v.files.get(rel) };
  }
  return null;
}

// A farrier option as farrier resolves it: flag > FARRIER_* variable > JSON file > default.
function farrierOption(c, config, name, dflt) {
  const args = [...(c.command ?? []), ...(c.args ?? [])].map(String);
  for (let i = args.length - 1; i >= 0; i--) {
    if (args[i] === `--${name}` && i + 1 < args.length) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  const env = (c.env ?? []).find((e) => e.name === `FARRIER_${name.toUpperCase().replace(/[.-]/g, '_')}`);
  if (env && env.value !== undefined) return env.value;
  const v = name.replace(/-/g, '_').split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), config);
  return v ?? dflt;
}

// A boolean farrier option (--name, --no-name, --name=true, FARRIER_NAME, the JSON file).
function farrierBool(c, config, name) {
  const args = [...(c.command ?? []), ...(c.args ?? [])].map(String);
  for (let i = args.length - 1; i >= 0; i--) {
    if (args[i] === `--${name}`) return true;
    if (args[i] === `--no-${name}`) return false;
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3) === 'true';
  }
  return String(farrierOption({ ...c, command: [], args: [] }, config, name, false)) === 'true';
}

// A farrier sidecar: its config file and secret files mounted, its upstreams on the pod's
// loopback interface, /healthz probes on its port, a fixed non-root UID, resources, and
// min_workers 0 when several sidecars serve one pool.
function checkFarrierSidecar(pod, c, sidecars, volumes, w, services = []) {
  const errors = [];
  let config = {};
  const configPath = farrierOption(c, {}, 'config', null);
  if (!configPath) errors.push(`${w}: no --config FILE (or FARRIER_CONFIG)`);
  else {
    const r = resolveContainerFile(configPath, c, volumes);
    if (!r?.file) errors.push(`${w}: --config ${configPath} is not a file mounted from a ConfigMap or Secret in deploy/`);
    else {
      if (r.mount.readOnly !== true) errors.push(`${w}: volumeMount ${r.mount.name} of the config file must be readOnly`);
      try {
        config = JSON.parse(r.file.text);
      } catch (e) {
        errors.push(`${w}: ${configPath} (${r.file.from}) is not valid JSON: ${e.message}`);
      }
    }
  }
  // Secret and other files the options name (nats.password_file, nats.tls.ca_file, ...).
  const named = [];
  const visit = (v, p) => {
    if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${p}[${i}]`));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (/_file$/.test(k) && typeof x === 'string') named.push([`${p}.${k}`, x]);
        else visit(x, `${p}.${k}`);
      }
    }
  };
  visit(config, '$');
  const args = [...(c.command ?? []), ...(c.args ?? [])].map(String);
  args.forEach((a, i) => { if (/^--[\w.-]+-file$/.test(a) && i + 1 < args.length) named.push([a, args[i + 1]]); });
  for (const [option, file] of named) {
    const r = resolveContainerFile(file, c, volumes);
    if (!r || (!r.unknown && !r.file)) errors.push(`${w}: ${option} ${file} is not a file mounted into the container`);
  }
  // Upstreams: this pod's nats-server, through loopback.
  const siblingPorts = new Set(pod.containers.filter((o) => o !== c).flatMap((o) => (o.ports ?? []).map((p) => p.containerPort)));
  const loopback = (option, url, defaultPort) => {
    let u;
    try {
      u = new URL(url);
    } catch {
      errors.push(`${w}: ${option} ${url} is not a URL`);
      return;
    }
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || defaultPort[u.protocol] || 0);
    if (!['127.0.0.1', 'localhost', '::1'].includes(host) || !siblingPorts.has(port)) {
      errors.push(`${w}: ${option} ${url} must be the pod's loopback address and a port of another container in the pod ` +
        `(one farrier per nats-server, reading its own server)`);
    }
  };
  // Cluster mode (--nats.system-account): one farrier for every server, through a NATS Service.
  const clusterMode = farrierBool(c, config, 'nats.system-account');
  if (clusterMode) {
    if (sidecars !== 1) {
      errors.push(`${w}: cluster mode (nats.system_account) needs exactly one replica: another would poll every server again`);
    }
    for (const raw of String(farrierOption(c, config, 'nats.url', 'nats://127.0.0.1:4222')).split(',')) {
      let u;
      try {
        u = new URL(raw.trim());
      } catch {
        errors.push(`${w}: nats.url ${raw} is not a URL`);
        continue;
      }
      const [svcName, svcNamespace = nsOf(pod.__workload)] = u.hostname.split('.');
      const port = Number(u.port || 4222);
      const svc = services.find((x) => x.metadata?.name === svcName && nsOf(x) === svcNamespace);
      if (!svc) errors.push(`${w}: cluster mode: nats.url ${raw} names Service ${svcNamespace}/${svcName}, which no manifest in deploy/ defines`);
      else if (!(svc.spec?.ports ?? []).some((p) => p.port === port)) errors.push(`${w}: cluster mode: nats.url port ${port} is not a port of Service ${svcNamespace}/${svcName}`);
    }
  } else {
    loopback('nats.monitor_url', String(farrierOption(c, config, 'nats.monitor-url', 'http://127.0.0.1:8222')), { 'http:': 80, 'https:': 443 });
    if ((config.services ?? []).length) {
      for (const url of String(farrierOption(c, config, 'nats.url', 'nats://127.0.0.1:4222')).split(',')) {
        loopback('nats.url', url.trim(), { 'nats:': 4222, 'tls:': 4222 });
      }
    }
  }
  // The listener, its port and the probes on /healthz.
  const listen = String(farrierOption(c, config, 'web.listen-address', ':7778'));
  const listenPort = Number(listen.slice(listen.lastIndexOf(':') + 1));
  const port = (c.ports ?? []).find((p) => p.containerPort === listenPort);
  if (!port) errors.push(`${w}: web.listen_address ${listen}: port ${listenPort} is not a containerPort of the container`);
  for (const probe of ['livenessProbe', 'readinessProbe']) {
    const g = c[probe]?.httpGet;
    if (!g) errors.push(`${w}: ${probe} must be an httpGet of /healthz`);
    else {
      if (g.path !== '/healthz') errors.push(`${w}: ${probe} must probe /healthz (NATS reachability is nats_up, not health), got ${g.path}`);
      if (port && g.port !== port.containerPort && g.port !== port.name) errors.push(`${w}: ${probe} port ${g.port} is not farrier's port ${listenPort}`);
    }
  }
  const uid = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
  if (!Number.isInteger(uid) || uid <= 0) errors.push(`${w}: needs a fixed non-root UID (securityContext.runAsUser)`);
  for (const k of ['requests', 'limits']) {
    for (const r of ['cpu', 'memory']) if (c.resources?.[k]?.[r] === undefined) errors.push(`${w}: resources.${k}.${r} is not set`);
  }
  if (sidecars > 1 && !clusterMode) {
    (config.services ?? []).forEach((s, i) => {
      if (s?.min_workers !== 0) {
        errors.push(`${w}: services[${i}] (${s?.name}): min_workers must be 0 with ${sidecars} sidecars: a per-sidecar ` +
          `minimum is counted once per server; put the pool's minimum on the autoscaler`);
      }
    });
  }
  return errors;
}

function checkWorkloads(docs) {
  const errors = [];
  const objects = new Map(docs.filter((d) => ['ConfigMap', 'Secret'].includes(d.doc?.kind))
    .map((d) => [`${d.doc.kind}/${nsOf(d.doc)}/${d.doc.metadata?.name}`, d.doc]));
  const workloads = docs.filter((d) => WORKLOAD_KINDS.includes(d.doc?.kind));
  for (const { doc, where } of workloads) {
    const w = `${where} ${doc.kind} ${doc.metadata?.name}`;
    const pod = doc.spec?.template?.spec ?? {};
    const labels = doc.spec?.template?.metadata?.labels ?? {};
    // The API server's own rule, which the schema cannot express.
    for (const [k, v] of Object.entries(doc.spec?.selector?.matchLabels ?? {})) {
      if (labels[k] !== v) errors.push(`${w}: spec.selector.matchLabels ${k}=${v} does not match the pod template's labels`);
    }
    errors.push(...checkPodSecurity(pod, `${w} pod`));
    const volumes = new Map();
    for (const v of pod.volumes ?? []) {
      const files = volumeFiles(v, nsOf(doc), objects, `${w} pod`, errors);
      if (files) volumes.set(v.name, files);
    }
    const sidecars = doc.kind === 'DaemonSet' ? Infinity : (doc.spec?.replicas ?? 1);
    const services = docs.filter((d) => d.doc?.kind === 'Service').map((d) => d.doc);
    const podOf = { ...pod, __workload: doc };
    for (const c of pod.containers ?? []) {
      if (isFarrierImage(c.image)) errors.push(...checkFarrierSidecar(podOf, c, sidecars, volumes, `${w} container ${c.name}`, services));
    }
  }
  // Services in a namespace with workloads in deploy/ select some of their pods, on ports the
  // pods have.
  for (const { doc: svc, where } of docs.filter((d) => d.doc?.kind === 'Service')) {
    const selector = svc.spec?.selector ?? {};
    const inNs = workloads.filter((d) => nsOf(d.doc) === nsOf(svc));
    if (!inNs.length || !Object.keys(selector).length) continue;
    const w = `${where} Service ${svc.metadata?.name}`;
    const pods = inNs.filter((d) => Object.entries(selector).every(([k, v]) => d.doc.spec?.template?.metadata?.labels?.[k] === v))
      .map((d) => d.doc.spec.template.spec ?? {});
    if (!pods.length) {
      errors.push(`${w}: selector ${JSON.stringify(selector)} selects no pods of the workloads in namespace ${nsOf(svc)} in deploy/`);
      continue;
    }
    for (const p of svc.spec?.ports ?? []) {
      const target = p.targetPort ?? p.port;
      const ok = pods.some((pod) => (pod.containers ?? []).some((c) => (c.ports ?? []).some((cp) => cp.containerPort === target || cp.name === target)));
      if (!ok) errors.push(`${w}: port ${p.name ?? p.port}: targetPort ${target} is not a container port of the pods it selects`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Checking a set of documents (the whole of deploy/, or a self-test case)

// items: [{ file, index, doc }]; values: [{ file, values }] (Helm values files)
async function checkSet(items, values, ctx) {
  const errors = [];
  const queries = [];
  const docs = items.map((it) => ({ ...it, where: `${it.file}#${it.index + 1}` }));
  const ofKind = (kind) => docs.filter((d) => d.doc?.kind === kind);
  const services = ofKind('Service').map((d) => d.doc);

  // 1. Schema and unknown fields.
  for (const { doc, where } of docs) {
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      errors.push(`${where}: not a Kubernetes object`);
      continue;
    }
    const Model = await modelFor(doc.apiVersion, doc.kind);
    if (!Model) {
      errors.push(`${where}: unknown apiVersion/kind ${doc.apiVersion}/${doc.kind} (no schema in kubernetes-models, ` +
        `@kubernetes-models/keda or @kubernetes-models/prometheus-operator)`);
      continue;
    }
    const schema = schemaErrors(Model, doc);
    for (const e of schema) errors.push(`${where} ${doc.kind} ${doc.metadata?.name}: schema: ${e.instancePath || '/'} ${e.message}`);
    if (!schema.length) {
      for (const f of unknownFields(Model, doc)) errors.push(`${where} ${doc.kind} ${doc.metadata?.name}: unknown field ${f}`);
    }
    if (!doc.metadata?.name) errors.push(`${where}: metadata.name is required`);
  }

  // Two objects of one kind, namespace and name: the second would replace the first. Not in
  // mode manifests: deploy/ holds alternatives of one object (KEDA's ways A and B).
  const seen = new Map();
  for (const { doc, where } of ctx.alternatives ? [] : docs) {
    if (!doc?.kind || !doc.metadata?.name) continue;
    const key = `${doc.kind} ${doc.metadata.namespace ?? 'default'}/${doc.metadata.name}`;
    if (seen.has(key)) errors.push(`${where}: ${key} is also defined at ${seen.get(key)}`);
    else seen.set(key, where);
  }

  // 2. prometheus-adapter rules: ConfigMaps carrying config.yaml, and Helm values.
  const adapterMetrics = new Set();
  const adapterRuleSets = [];
  for (const { doc, where } of ofKind('ConfigMap')) {
    let rules;
    try {
      rules = adapterConfigRules(doc);
    } catch (e) {
      errors.push(`${where}: data.config.yaml: ${e.message}`);
      continue;
    }
    if (rules === null) continue;
    const r = checkAdapterRules(rules, `${where} externalRules`, queries);
    errors.push(...r.errors);
    r.names.forEach((n) => adapterMetrics.add(n));
    adapterRuleSets.push({ where, rules });
  }
  for (const { file, values: v } of values) {
    // Values of other charts are only parsed; prometheus-adapter's are recognised by file name.
    if (!/prometheus-adapter/.test(path.basename(file))) continue;
    const rules = v?.rules?.external;
    if (rules === undefined) {
      errors.push(`${file}: prometheus-adapter Helm values without rules.external`);
      continue;
    }
    const r = checkAdapterRules(rules, `${file} rules.external`, queries);
    errors.push(...r.errors);
    r.names.forEach((n) => adapterMetrics.add(n));
    adapterRuleSets.push({ where: file, rules });
  }
  for (const other of adapterRuleSets.slice(1)) {
    if (!isDeepStrictEqual(other.rules, adapterRuleSets[0].rules)) {
      errors.push(`${other.where}: external rules differ from ${adapterRuleSets[0].where}; keep the copies identical`);
    }
  }

  // 3. KEDA ScaledObjects.
  for (const { doc, where } of ofKind('ScaledObject')) {
    (doc.spec?.triggers ?? []).forEach((t, i) => {
      const w = `${where} ScaledObject ${doc.metadata?.name} trigger ${t?.name ?? i}`;
      const allowedKeys = KEDA_METADATA_KEYS[t?.type];
      if (!allowedKeys) {
        errors.push(`${w}: trigger type ${t?.type} is not one Farrier's signals feed (metrics-api, prometheus)`);
        return;
      }
      for (const k of Object.keys(t.metadata ?? {})) {
        if (!allowedKeys.has(k)) errors.push(`${w}: metadata key ${k} is not read by KEDA's ${t.type} scaler`);
      }
      if (t.type === 'metrics-api') errors.push(...checkMetricsApiTrigger(t, w, services));
      if (t.type === 'prometheus') {
        errors.push(...checkPrometheusTrigger(t, w));
        if (t.metadata?.query) queries.push({ expr: t.metadata.query, where: `${w} query` });
      }
    });
  }

  // 4. HPAs: External metrics must be ones the adapter rules in deploy/ expose.
  for (const { doc, where } of ofKind('HorizontalPodAutoscaler')) {
    for (const [i, m] of (doc.spec?.metrics ?? []).entries()) {
      if (m.type !== 'External') continue;
      const name = m.external?.metric?.name;
      const w = `${where} HorizontalPodAutoscaler ${doc.metadata?.name} metrics[${i}]`;
      if (!adapterMetrics.has(name)) errors.push(`${w}: external metric ${name} is not exposed by any prometheus-adapter rule in deploy/`);
      if (/desired_workers/.test(name ?? '')) {
        errors.push(...checkReplicasTarget(m.external?.target?.type, m.external?.target?.averageValue, `${w}: target.averageValue`));
      }
    }
  }

  // 5. PrometheusRules: verbatim copies of groups in alerts/.
  for (const { doc, where } of ofKind('PrometheusRule')) {
    for (const g of doc.spec?.groups ?? []) {
      const original = ctx.ruleGroups.get(g.name);
      if (!original) errors.push(`${where}: rule group ${g.name} is not a group of alerts/*.yml`);
      else {
        // Copies keep the rules verbatim; the chart may only re-base runbook links and add alert
        // labels, as the caller's options (mode rendered) say.
        const copy = comparableRules(g, ctx.ruleCopy, `${where} group ${g.name}`, errors);
        const orig = comparableRules(original.group);
        if (!isDeepStrictEqual(copy.rules, orig.rules)) {
          errors.push(`${where}: rule group ${g.name} differs from the one in ${original.file}; copy it again`);
        }
        for (const [alert, base] of copy.bases) {
          const expected = ctx.ruleCopy?.runbookBase ?? orig.bases.get(alert);
          if (base !== expected) errors.push(`${where}: alert ${alert}: runbook_url base ${base}, expected ${expected}`);
        }
      }
      for (const r of g.rules ?? []) queries.push({ expr: String(r.expr), where: `${where} group ${g.name} ${r.record ?? r.alert}` });
    }
  }

  // 6. ServiceMonitors must select a Service in deploy/ and name one of its ports.
  for (const { doc, where } of ofKind('ServiceMonitor')) {
    const sel = doc.spec?.selector?.matchLabels ?? {};
    const namespaces = doc.spec?.namespaceSelector?.matchNames ?? [doc.metadata?.namespace ?? 'default'];
    const matched = services.filter((s) => namespaces.includes(s.metadata?.namespace ?? 'default') &&
      Object.entries(sel).every(([k, v]) => s.metadata?.labels?.[k] === v));
    if (!matched.length) errors.push(`${where}: ServiceMonitor ${doc.metadata?.name} selects no Service defined in deploy/`);
    for (const ep of doc.spec?.endpoints ?? []) {
      if (matched.length && !matched.some((s) => (s.spec?.ports ?? []).some((p) => p.name === ep.port))) {
        errors.push(`${where}: ServiceMonitor endpoint port ${ep.port} is not a port name of the selected Service`);
      }
    }
  }

  // 7. Workloads: pod security, mounted ConfigMaps/Secrets, farrier sidecars; Services select pods.
  errors.push(...checkWorkloads(docs));

  // 8. PromQL: parsed by promtool, metric names documented.
  for (const q of queries) {
    for (const name of metricNamesIn(q.expr)) {
      if (!metricKnown(ctx, name)) {
        errors.push(`${q.where}: metric ${name} is neither in docs/metrics.md nor a recording rule in alerts/`);
      }
    }
  }
  errors.push(...promqlErrors(queries));
  return { errors, queries: queries.length };
}

// ---------------------------------------------------------------------------------------------
// Self-test: broken copies must be rejected, each for its reason

const BASE_SERVICE = {
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'farrier', namespace: 'nats', labels: { app: 'farrier' } },
  spec: { selector: { app: 'nats' }, ports: [{ name: 'metrics', port: 7778, targetPort: 7778 }] },
};
const BASE_METRICS_API = {
  apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'w', namespace: 'orders' },
  spec: {
    scaleTargetRef: { name: 'w' }, minReplicaCount: 1, maxReplicaCount: 10,
    triggers: [{
      type: 'metrics-api', metricType: 'AverageValue', metadata: {
        url: 'http://farrier.nats.svc.cluster.local:7778/api/v1/scaling', format: 'json',
        valueLocation: 'services.orders.desired_workers', targetValue: '1',
        aggregateFromKubeServiceEndpoints: 'true', aggregationType: 'sum',
      },
    }],
  },
};
const BASE_PROMETHEUS = {
  apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'p', namespace: 'orders' },
  spec: {
    scaleTargetRef: { name: 'p' },
    triggers: [{
      type: 'prometheus', metadata: {
        serverAddress: 'http://prometheus:9090', query: 'sum(nats_service_desired_workers{service="orders"})', threshold: '1',
      },
    }],
  },
};
const BASE_ADAPTER_RULES = [{
  seriesQuery: 'nats_service_desired_workers{service!=""}', resources: { namespaced: false },
  name: { matches: '^nats_service_desired_workers$', as: 'nats_service_desired_workers' },
  metricsQuery: 'sum by (service) (<<.Series>>{<<.LabelMatchers>>})',
}];
const BASE_ADAPTER = {
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'adapter', namespace: 'monitoring' },
  data: { 'config.yaml': YAML.stringify({ externalRules: BASE_ADAPTER_RULES }) },
};
const BASE_HPA = {
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'orders' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'h' }, minReplicas: 1, maxReplicas: 10,
    metrics: [{
      type: 'External', external: {
        metric: { name: 'nats_service_desired_workers', selector: { matchLabels: { service: 'orders' } } },
        target: { type: 'AverageValue', averageValue: '1' },
      },
    }],
  },
};

const BASE_CONTAINER_SECURITY = {
  runAsNonRoot: true, runAsUser: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
};
const BASE_FARRIER_JSON = {
  nats: { monitor_url: 'http://127.0.0.1:8222', url: 'nats://127.0.0.1:4222', user: 'farrier', password_file: '/etc/farrier/secret/password' },
  services: [{ name: 'orders', subject: 'api.orders', queue_group: 'orders', min_workers: 0 }],
};
const BASE_FARRIER_CONFIG = {
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'farrier-config', namespace: 'nats' },
  data: { 'farrier.json': JSON.stringify(BASE_FARRIER_JSON) },
};
const BASE_SECRET = {
  apiVersion: 'v1', kind: 'Secret', metadata: { name: 'farrier-auth', namespace: 'nats' }, stringData: { password: 'placeholder' },
};
const BASE_HEALTHZ = { httpGet: { path: '/healthz', port: 'metrics' } };
const BASE_STATEFULSET = {
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'nats', namespace: 'nats' },
  spec: {
    serviceName: 'nats', replicas: 3, selector: { matchLabels: { app: 'nats' } },
    template: {
      metadata: { labels: { app: 'nats' } },
      spec: {
        containers: [
          {
            name: 'nats', image: 'nats:2.9', securityContext: { ...BASE_CONTAINER_SECURITY, runAsUser: 1000 },
            ports: [{ name: 'client', containerPort: 4222 }, { name: 'monitor', containerPort: 8222 }],
          },
          {
            name: 'farrier', image: 'farrier:latest', args: ['--config', '/etc/farrier/config/farrier.json'],
            ports: [{ name: 'metrics', containerPort: 7778 }], livenessProbe: BASE_HEALTHZ, readinessProbe: BASE_HEALTHZ,
            resources: { requests: { cpu: '25m', memory: '32Mi' }, limits: { cpu: '250m', memory: '128Mi' } },
            securityContext: BASE_CONTAINER_SECURITY,
            volumeMounts: [{ name: 'config', mountPath: '/etc/farrier/config', readOnly: true },
              { name: 'secret', mountPath: '/etc/farrier/secret', readOnly: true }],
          },
        ],
        volumes: [
          { name: 'config', configMap: { name: 'farrier-config', items: [{ key: 'farrier.json', path: 'farrier.json' }] } },
          { name: 'secret', secret: { secretName: 'farrier-auth', items: [{ key: 'password', path: 'password' }] } },
        ],
      },
    },
  },
};

// Cluster mode: one farrier Deployment reading every server through the Service "nats".
const BASE_NATS_SERVICE = {
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'nats', namespace: 'nats' },
  spec: { selector: { app: 'nats' }, ports: [{ name: 'client', port: 4222, targetPort: 4222 }] },
};
const BASE_CLUSTER_CONFIG = {
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'farrier-cluster-config', namespace: 'nats' },
  data: {
    'farrier.json': JSON.stringify({
      nats: { system_account: true, url: 'nats://nats.nats.svc:4222', user: 'farrier-sys', password_file: '/etc/farrier/secret/password' },
    }),
  },
};
const BASE_CLUSTER_DEPLOYMENT = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'farrier-cluster', namespace: 'nats' },
  spec: {
    replicas: 1, selector: { matchLabels: { app: 'farrier-cluster' } },
    template: {
      metadata: { labels: { app: 'farrier-cluster' } },
      spec: {
        containers: [{
          ...structuredClone(BASE_STATEFULSET.spec.template.spec.containers[1]),
        }],
        volumes: [
          { name: 'config', configMap: { name: 'farrier-cluster-config', items: [{ key: 'farrier.json', path: 'farrier.json' }] } },
          { name: 'secret', secret: { secretName: 'farrier-auth', items: [{ key: 'password', path: 'password' }] } },
        ],
      },
    },
  },
};

function baseSet(ctx) {
  const docs = [BASE_SERVICE, BASE_METRICS_API, BASE_PROMETHEUS, BASE_ADAPTER, BASE_HPA, BASE_STATEFULSET, BASE_FARRIER_CONFIG,
    BASE_SECRET, BASE_NATS_SERVICE, BASE_CLUSTER_CONFIG, BASE_CLUSTER_DEPLOYMENT].map((d) => structuredClone(d));
  // The first group, and the first with an alert (for the runbook case).
  const groups = [...ctx.ruleGroups.values()].map((g) => g.group);
  const picked = [...new Set([groups[0], groups.find((g) => (g.rules ?? []).some((r) => r.alert))].filter(Boolean))];
  if (picked.length) {
    docs.push({
      apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'r', namespace: 'monitoring' },
      spec: { groups: structuredClone(picked) },
    });
  }
  return docs;
}

const byKind = (docs, kind, name) => docs.find((d) => d.kind === kind && (!name || d.metadata.name === name));
const metricsApi = (docs) => byKind(docs, 'ScaledObject', 'w').spec.triggers[0];
const podSpec = (docs) => byKind(docs, 'StatefulSet').spec.template.spec;
const farrierContainer = (docs) => podSpec(docs).containers.find((c) => c.name === 'farrier');
const editFarrierJson = (docs, edit) => {
  const cm = byKind(docs, 'ConfigMap', 'farrier-config');
  const json = JSON.parse(cm.data['farrier.json']);
  edit(json);
  cm.data['farrier.json'] = JSON.stringify(json);
};

// Each case: a mutation of the valid base set, and a fragment the rejection must contain.
const NEGATIVE_CASES = [
  ['wrong type (minReplicaCount: "1")', (d) => { byKind(d, 'ScaledObject', 'w').spec.minReplicaCount = '1'; }, 'must be integer'],
  ['unknown field (spec.minReplicas on a ScaledObject)', (d) => { byKind(d, 'ScaledObject', 'w').spec.minReplicas = 1; }, 'unknown field spec.minReplicas'],
  ['unknown nested field (HPA metric target typo)', (d) => { byKind(d, 'HorizontalPodAutoscaler').spec.metrics[0].external.target.avgValue = '1'; }, 'unknown field spec.metrics.0.external.target.avgValue'],
  ['unknown kind', (d) => { d.push({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledThing', metadata: { name: 'x' } }); }, 'unknown apiVersion/kind'],
  ['missing required field (no triggers)', (d) => { delete byKind(d, 'ScaledObject', 'p').spec.triggers; }, 'must have required property triggers'],
  ['invalid quantity (averageValue: one)', (d) => { byKind(d, 'HorizontalPodAutoscaler').spec.metrics[0].external.target.averageValue = 'one'; }, 'schema: /spec/metrics/0/external/target/averageValue'],
  ['metadata key typo (valueLocaton)', (d) => { const m = metricsApi(d).metadata; m.valueLocaton = m.valueLocation; delete m.valueLocation; }, 'metadata key valueLocaton'],
  ['sidecars averaged (aggregationType: average)', (d) => { metricsApi(d).metadata.aggregationType = 'average'; }, 'aggregationType must be sum'],
  ['one sidecar only (no aggregateFromKubeServiceEndpoints)', (d) => { delete metricsApi(d).metadata.aggregateFromKubeServiceEndpoints; }, 'aggregateFromKubeServiceEndpoints must be "true"'],
  ['per-server ratio summed (valueLocation utilization)', (d) => { metricsApi(d).metadata.valueLocation = 'services.orders.utilization'; }, 'not one of farrier\'s additive service fields'],
  ['url without namespace', (d) => { metricsApi(d).metadata.url = 'http://farrier:7778/api/v1/scaling'; }, 'must name <service>.<namespace>'],
  ['url whose second label carries the port', (d) => { metricsApi(d).metadata.url = 'http://farrier.nats:7778/api/v1/scaling'; }, 'must name <service>.<namespace>'],
  ['url port not the pods\' port', (d) => { metricsApi(d).metadata.url = 'http://farrier.nats.svc:7777/api/v1/scaling'; }, 'not a target (pod) port'],
  ['metricType Value', (d) => { metricsApi(d).metricType = 'Value'; }, 'needs metricType AverageValue'],
  ['target not 1', (d) => { metricsApi(d).metadata.targetValue = '2'; }, 'must be "1"'],
  ['PromQL syntax error', (d) => { byKind(d, 'ScaledObject', 'p').spec.triggers[0].metadata.query = 'sum(nats_service_desired_workers{service="orders"}'; }, 'PromQL rejected by promtool'],
  ['undocumented metric', (d) => { byKind(d, 'ScaledObject', 'p').spec.triggers[0].metadata.query = 'sum(nats_service_desired_worker{service="orders"})'; }, 'neither in docs/metrics.md'],
  ['average of desired in PromQL', (d) => { byKind(d, 'ScaledObject', 'p').spec.triggers[0].metadata.query = 'avg(nats_service_desired_workers{service="orders"})'; }, 'must be aggregated over the sidecars with sum'],
  ['adapter rule namespaced', (d) => {
    const rules = structuredClone(BASE_ADAPTER_RULES); rules[0].resources = {};
    byKind(d, 'ConfigMap').data['config.yaml'] = YAML.stringify({ externalRules: rules });
  }, 'resources.namespaced must be false'],
  ['HPA metric no adapter rule exposes', (d) => { byKind(d, 'HorizontalPodAutoscaler').spec.metrics[0].external.metric.name = 'nats_service_wanted_workers'; }, 'not exposed by any prometheus-adapter rule'],
  ['PrometheusRule drifted from alerts/', (d) => {
    const r = byKind(d, 'PrometheusRule'); if (r) r.spec.groups[0].rules[0].expr = 'vector(1)';
  }, 'differs from the one in alerts/'],
  ['PrometheusRule runbook_url moved to another base', (d) => {
    const r = byKind(d, 'PrometheusRule');
    const alert = r?.spec.groups.flatMap((g) => g.rules).find((x) => x.alert && x.annotations?.runbook_url);
    if (alert) alert.annotations.runbook_url = alert.annotations.runbook_url.replace(/^[^#]*/, 'https://elsewhere.example');
  }, 'runbook_url base https://elsewhere.example'],
  ['two objects of one name', (d) => { d.push(structuredClone(byKind(d, 'Service'))); }, 'is also defined at'],
  ['Service selects no pods (labels not aligned)', (d) => { byKind(d, 'Service').spec.selector = { app: 'nats-server' }; }, 'selects no pods'],
  ['Service targetPort not a container port', (d) => { byKind(d, 'Service').spec.ports[0].targetPort = 7777; }, 'is not a container port of the pods'],
  ['workload selector not matching its template', (d) => { byKind(d, 'StatefulSet').spec.selector.matchLabels.app = 'other'; }, 'does not match the pod template'],
  ['volume names a missing ConfigMap key', (d) => { podSpec(d).volumes[0].configMap.items[0].key = 'farrier.yaml'; }, 'has no key farrier.yaml'],
  ['volume names an undefined Secret', (d) => { podSpec(d).volumes[1].secret.secretName = 'nats-auth'; }, 'Secret nats/nats-auth is not defined'],
  ['privilege escalation allowed', (d) => { delete farrierContainer(d).securityContext.allowPrivilegeEscalation; }, 'allowPrivilegeEscalation must be false'],
  ['writable root filesystem', (d) => { farrierContainer(d).securityContext.readOnlyRootFilesystem = false; }, 'readOnlyRootFilesystem must be true'],
  ['capabilities not dropped', (d) => { delete farrierContainer(d).securityContext.capabilities; }, 'capabilities.drop must include ALL'],
  ['runs as root', (d) => { podSpec(d).containers[0].securityContext.runAsUser = 0; }, 'runAsUser must not be 0'],
  ['seccomp unconfined', (d) => { farrierContainer(d).securityContext.seccompProfile.type = 'Unconfined'; }, 'seccompProfile must be RuntimeDefault'],
  ['farrier without a fixed UID', (d) => { delete farrierContainer(d).securityContext.runAsUser; }, 'fixed non-root UID'],
  ['farrier without resource limits', (d) => { delete farrierContainer(d).resources.limits; }, 'resources.limits.memory is not set'],
  ['farrier config file not mounted', (d) => { farrierContainer(d).args[1] = '/etc/farrier/farrier.json'; }, 'is not a file mounted from a ConfigMap'],
  ['farrier config mount writable', (d) => { farrierContainer(d).volumeMounts[0].readOnly = false; }, 'must be readOnly'],
  ['farrier config not JSON', (d) => { byKind(d, 'ConfigMap', 'farrier-config').data['farrier.json'] = '{"nats": {'; }, 'is not valid JSON'],
  ['password file not mounted', (d) => editFarrierJson(d, (j) => { j.nats.password_file = '/run/secrets/password'; }), 'is not a file mounted into the container'],
  ['farrier reads another server (monitor_url not loopback)', (d) => editFarrierJson(d, (j) => { j.nats.monitor_url = 'http://nats.nats.svc:8222'; }), 'must be the pod\'s loopback address'],
  ['farrier probes through a port no container has', (d) => { farrierContainer(d).args.push('--nats.url', 'nats://127.0.0.1:4223'); }, 'nats.url nats://127.0.0.1:4223 must be'],
  ['liveness on /metrics', (d) => { farrierContainer(d).livenessProbe = { httpGet: { path: '/metrics', port: 'metrics' } }; }, 'livenessProbe must probe /healthz'],
  ['cluster mode with two replicas', (d) => { byKind(d, 'Deployment', 'farrier-cluster').spec.replicas = 2; }, 'needs exactly one replica'],
  ['cluster mode through no Service', (d) => {
    const cm = byKind(d, 'ConfigMap', 'farrier-cluster-config');
    const json = JSON.parse(cm.data['farrier.json']);
    json.nats.url = 'nats://nats-client.nats.svc:4222';
    cm.data['farrier.json'] = JSON.stringify(json);
  }, 'names Service nats/nats-client, which no manifest in deploy/ defines'],
  ['cluster mode on a port the Service lacks', (d) => {
    byKind(d, 'Deployment', 'farrier-cluster').spec.template.spec.containers[0].args.push('--nats.url', 'nats://nats.nats.svc:4223');
  }, 'nats.url port 4223 is not a port of Service nats/nats'],
  ['min_workers counted per sidecar', (d) => editFarrierJson(d, (j) => { delete j.services[0].min_workers; }), 'min_workers must be 0 with 3 sidecars'],
];

// YAML-level cases: text that Kubernetes would read differently or not at all.
const YAML_NEGATIVE_CASES = [
  ['duplicate key', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n', 'Map keys must be unique'],
  ['YAML 1.1 boolean where KEDA wants a string', `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: x}
spec:
  scaleTargetRef: {name: x}
  triggers:
    - type: metrics-api
      metadata: {url: "http://farrier.nats.svc:7778/api/v1/scaling", valueLocation: services.a.desired_workers,
                 targetValue: "1", aggregateFromKubeServiceEndpoints: yes, aggregationType: sum}
`, 'must be string'],
];

async function selfTest(ctx) {
  const failures = [];
  const base = await checkSet(baseSet(ctx).map((doc, index) => ({ file: 'self-test', index, doc })), [], ctx);
  if (base.errors.length) failures.push(`the valid self-test set is rejected:\n    ${base.errors.join('\n    ')}`);
  for (const [label, mutate, expected] of NEGATIVE_CASES) {
    const docs = baseSet(ctx);
    mutate(docs);
    const { errors } = await checkSet(docs.map((doc, index) => ({ file: 'self-test', index, doc })), [], ctx);
    if (!errors.some((e) => e.includes(expected))) {
      failures.push(`${label}: expected a rejection containing "${expected}", got ${errors.length ? errors.join(' | ') : 'none'}`);
    }
  }
  {
    // Helm values whose adapter rules drifted from the ConfigMap's copy.
    const drifted = structuredClone(BASE_ADAPTER_RULES);
    drifted[0].metricsQuery = 'max by (service) (<<.Series>>{<<.LabelMatchers>>})';
    const docs = baseSet(ctx).map((doc, index) => ({ file: 'self-test', index, doc }));
    const { errors } = await checkSet(docs, [{ file: 'self-test/prometheus-adapter.values.yaml', values: { rules: { external: drifted } } }], ctx);
    const expected = 'external rules differ';
    if (!errors.some((e) => e.includes(expected))) {
      failures.push(`adapter values drifted: expected a rejection containing "${expected}", got ${errors.join(' | ') || 'none'}`);
    }
  }
  for (const [label, text, expected] of YAML_NEGATIVE_CASES) {
    let errors;
    try {
      const docs = parseYamlDocuments(text, 'self-test');
      ({ errors } = await checkSet(docs.map((doc, index) => ({ file: 'self-test', index, doc })), [], ctx));
    } catch (e) {
      errors = [e.message];
    }
    if (!errors.some((e) => e.includes(expected))) {
      failures.push(`${label}: expected a rejection containing "${expected}", got ${errors.length ? errors.join(' | ') : 'none'}`);
    }
  }
  return { failures, cases: NEGATIVE_CASES.length + YAML_NEGATIVE_CASES.length + 1 };
}

// ---------------------------------------------------------------------------------------------
// Modes

// Mode manifests: every YAML file under deploy/ (Helm charts' directories are skipped: their
// templates are not YAML; tests/helm renders them and checks the output in mode rendered).
// Mode rendered: the given files as one set (e.g. `helm template` output plus the Secrets the
// chart expects to exist), rule copies compared as args.runbookBase and args.alertLabels say.
async function validateManifests(args) {
  const { root } = args;
  const ctx = loadContext(root);
  const self = await selfTest(ctx);
  if (self.failures.length) {
    console.error(`self-test FAILED: the validator accepted broken manifests:\n  ${self.failures.join('\n  ')}`);
    return false;
  }
  console.log(`self-test: ${self.cases} broken documents rejected, each for its reason`);
  if (args.mode === 'rendered') ctx.ruleCopy = { runbookBase: args.runbookBase, alertLabels: args.alertLabels };
  else ctx.alternatives = true;

  const files = args.mode === 'rendered' ? args.files : walkFiles(path.join(root, 'deploy'), isYamlFile, { skipCharts: true });
  const items = [];
  const values = [];
  const errors = [];
  for (const file of files) {
    const rel = path.relative(root, file);
    try {
      const docs = parseYamlDocuments(fs.readFileSync(file, 'utf8'), rel);
      if (!docs.length) errors.push(`${rel}: no YAML document`);
      if (/\.values\.ya?ml$/.test(file)) docs.forEach((v) => values.push({ file: rel, values: v }));
      else docs.forEach((doc, index) => items.push({ file: rel, index, doc }));
    } catch (e) {
      errors.push(e.message);
    }
  }
  if (!files.length) errors.push(args.mode === 'rendered' ? 'no files given' : 'no YAML files under deploy/');
  const result = await checkSet(items, values, ctx);
  errors.push(...result.errors);
  for (const { file, index, doc } of items) {
    console.log(`${errors.some((e) => e.startsWith(`${file}#${index + 1}`)) ? 'INVALID' : 'ok     '} ${file}#${index + 1} ` +
      `${doc?.apiVersion}/${doc?.kind} ${doc?.metadata?.namespace ?? ''}/${doc?.metadata?.name}`);
  }
  for (const { file } of values) console.log(`${errors.some((e) => e.startsWith(file)) ? 'INVALID' : 'ok     '} ${file} (Helm values)`);
  if (errors.length) {
    console.error(`\n${errors.length} problem(s):\n  ${errors.join('\n  ')}`);
    return false;
  }
  console.log(`${items.length} manifests and ${values.length} Helm values files in ${files.length} files valid; ` +
    `${result.queries} PromQL expressions parsed by promtool`);
  return true;
}

// Every recording rule of alerts/*.yml is evaluated by some promql_expr_test, and every alert
// has an alert_rule_test, in alerts/tests/*.test.yml.
function validateRuleCoverage(root) {
  const ctx = loadContext(root);
  const tested = [];
  const alertsTested = new Set();
  const testFiles = walkFiles(path.join(root, 'alerts', 'tests'), (n) => /\.test\.ya?ml$/.test(n));
  for (const file of testFiles) {
    const [t] = parseYamlDocuments(fs.readFileSync(file, 'utf8'), file);
    for (const test of t?.tests ?? []) {
      for (const e of test.promql_expr_test ?? []) tested.push(String(e.expr));
      for (const a of test.alert_rule_test ?? []) alertsTested.add(a.alertname);
    }
  }
  const missing = [];
  let rules = 0;
  for (const { group, file } of ctx.ruleGroups.values()) {
    for (const r of group.rules ?? []) {
      rules++;
      if (r.record && !tested.some((e) => metricNamesIn(e).includes(r.record))) {
        missing.push(`${file}: recording rule ${r.record} has no promql_expr_test in alerts/tests/`);
      }
      if (r.alert && !alertsTested.has(r.alert)) missing.push(`${file}: alert ${r.alert} has no alert_rule_test in alerts/tests/`);
    }
  }
  if (!rules) missing.push('no rules found in alerts/*.yml');
  if (missing.length) {
    console.error(missing.join('\n'));
    return false;
  }
  console.log(`${rules} rules in ${ctx.ruleGroups.size} groups, each covered by ${testFiles.length} promtool test file(s)`);
  return true;
}

const args = parseArgs(process.argv.slice(2));
const ok = args.mode === 'rule-coverage' ? validateRuleCoverage(args.root) : await validateManifests(args);
process.exitCode = ok ? 0 : 1;
