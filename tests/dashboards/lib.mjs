// Shared by validate.mjs (static checks of dashboards/*.json) and queries.mjs (every panel
// query with its variables substituted, for the end-to-end test). Node 18+, built-in modules only.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// Returns the value of `--root DIR` in argv, else the repository this file lives in.
export function rootFromArgs(argv) {
  const i = argv.indexOf('--root');
  return i >= 0 && argv[i + 1] ? path.resolve(argv[i + 1]) : DEFAULT_ROOT;
}

// Panels that return no series, or only zeros, in a healthy setup: they show data only under the
// matching fault or optional feature. Keyed by dashboard uid, then panel title (titles are unique
// within a dashboard; validate.mjs checks that every entry names an existing panel).
export const MAY_BE_EMPTY = {
  'farrier-nats-overview': {
    'Slow consumers/s': 'zero until a client becomes a slow consumer (a subscriber that stops reading while a publisher floods it)',
    'Slow consumers/s by kind': 'zero until a connection becomes a slow consumer',
    'Stale and stalled connections/s': 'zero until a connection goes stale (its peer stops answering PINGs) or a client is stalled by a slow receiver',
    'Health errors by type': 'zero while the server is healthy (stop a JetStream cluster\'s majority, or a node while it restarts)',
    'TLS certificates: days left': 'absent without a TLS listener (tls {} in the server configuration)',
    'Route messages/s by remote': 'absent without cluster routes (a single server has none)',
    'Route RTT': 'absent without cluster routes, and until the server has measured a route RTT',
    'Route pending bytes': 'absent without cluster routes (a single server has none)',
    'Route connections by remote': 'absent without cluster routes (a single server has none)',
    'Poll errors/s by reason': 'empty (only series > 0) until a poll fails: stop nats-server (reason connect) or SIGSTOP it (timeout)',
  },
  'farrier-jetstream': {
    'JetStream meta group': 'absent outside a JetStream cluster (a single server has no meta group)',
    'Meta group: leader known': 'absent outside a JetStream cluster (a single server has no meta group)',
    'Meta group members: not current, offline': 'absent outside a JetStream cluster; only the meta leader\'s sidecar reports the members',
    'Meta group member lag': 'absent outside a JetStream cluster; only the meta leader\'s sidecar reports the members',
    'Meta group: pending requests, quorum needed': 'absent outside a JetStream cluster (a single server has no meta group)',
    'Paused consumers: time left': 'absent unless a consumer is paused (nats consumer pause, or $JS.API.CONSUMER.PAUSE.<stream>.<consumer>)',
    'API errors/s': 'zero until a JetStream API request fails (e.g. info of a stream that does not exist)',
    'Redelivered by consumer': 'zero until a message is redelivered (a subscriber that does not ack within ack_wait, or naks)',
    'Advisories/s by type': 'absent unless farrier runs with --jetstream.advisories and an advisory was published in its account',
    'Messages given up after max deliveries/s': 'absent until a message reaches its consumer\'s max_deliver (a consumer with max_deliver: 2 whose worker NAKs)',
    'NAKs and terminations/s': 'absent until a worker NAKs or terminates a message (with --jetstream.advisories)',
    'Leader elections (30 min)': 'absent outside a JetStream cluster (a single server elects no leaders), and until farrier sees a leader elected (a stream leader stepdown)',
    'Lost quorum (30 min)': 'absent until a stream or consumer Raft group loses quorum (stop 2 of a 3-node cluster)',
    'Source and mirror lag': 'absent unless a stream mirrors or sources another (a mirror of ORDERS)',
    'Source and mirror: time since last contact': 'absent unless a stream mirrors or sources another (a mirror of ORDERS)',
    'Account JetStream use vs limit': 'absent unless an account has JetStream limits (accounts { A { jetstream { max_file: ... } } }); streams and consumers (C, D) also need --jetstream.account-info',
    'JetStream API errors/s by code': 'absent until a JetStream API request fails (with --jetstream.advisories; e.g. info of a stream that does not exist)',
  },
  'farrier-services-capacity': {
    'Probe failures/s by reason': 'empty (only series > 0) until a probe fails: stop the workers (no_responders), overload a drop pool (timeout), stop nats-server (error)',
    'Micro errors/s by endpoint': 'zero until workers answer with micro errors (farrier-sample-worker --error-rate)',
    'Latency events p99: service, system, total': 'absent unless a service has latency_subject and the account exports it with latency sampling',
    'Latency events/s by status': 'absent unless a service has latency_subject and the account exports it with latency sampling',
  },
};

// Panels (or single queries, "Title#refId") whose metrics only newer nats-server releases
// export, with the first release that has them (docs/metrics.md). On an older server the query
// returns nothing, by design (no series, never a made-up 0); validate.mjs checks that every query
// on a metric docs/metrics.md marks as newer than the oldest supported release is listed here,
// with at least that release, and the end-to-end test expects data exactly on the releases
// listed here (serverHas). A field backported to an older branch has the first release of each
// branch, oldest first: ['2.11.12', '2.12.4'] is 2.11.12 and later 2.11s, 2.12.4 and later 2.12s,
// and every later branch (2.14, 2.15, ...). Keyed by dashboard uid, then panel title (or
// title#refId).
export const OLDEST_SUPPORTED_SERVER = '2.9.10';
export const MIN_SERVER_VERSION = {
  'farrier-nats-overview': {
    'Health errors by type': '2.10.0',
    'Slow consumers/s by kind': '2.10.0',
    'Stale and stalled connections/s': '2.12.0',
    // /varz tls_cert_not_after: in 2.11.12 and 2.12.4, not in 2.11.11 or 2.12.3 (nats-server's
    // server/monitor.go at those tags).
    'TLS certificates: days left': ['2.11.12', '2.12.4'],
  },
  'farrier-jetstream': {
    'Meta group: pending requests, quorum needed#A': '2.10.21',
    'Meta group: pending requests, quorum needed#B': '2.15.0',
    'Paused consumers: time left': '2.11.0',
  },
};

// A MIN_SERVER_VERSION value as a list: the first release of each branch that has the metrics.
export function releaseList(entry) {
  return entry === undefined ? [] : Array.isArray(entry) ? entry : [entry];
}

// Whether release `version` has what a MIN_SERVER_VERSION value says (see there).
export function serverHas(version, entry) {
  const list = releaseList(entry);
  if (list.length === 0) return true;
  const branch = (v) => String(v).replace(/^v/, '').split('.').slice(0, 2).join('.');
  const same = list.find((e) => branch(e) === branch(version));
  if (same) return compareVersions(version, same) >= 0;
  return compareVersions(`${branch(version)}.0`, `${branch(list[list.length - 1])}.0`) > 0;
}

// -1, 0 or 1 as release a is older than, the same as or newer than release b ("2.12.9"; a
// missing part counts as 0, a suffix such as -RC.1 is ignored).
export function compareVersions(a, b) {
  const parts = (v) => String(v).replace(/^v/, '').split(/[-+]/)[0].split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pa = parts(a), pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

// The MIN_SERVER_VERSION entry of one query: its own (title#refId), else its panel's.
export function minServerVersion(uid, title, refId) {
  const table = MIN_SERVER_VERSION[uid] ?? {};
  return table[`${title}#${refId}`] ?? table[title];
}

// Grafana's built-in interval variables and the value queries.mjs gives them by default.
export const BUILTIN_VARS = { __rate_interval: '30s', __interval: '30s', __range: '5m' };

export function listDashboardFiles(root) {
  const dir = path.join(root, 'dashboards');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(dir, f));
}

// metric name -> type, from the tables of docs/metrics.md; histograms and summaries also
// contribute their _bucket/_sum/_count series.
export function loadDocumentedMetrics(root) {
  const names = new Map();
  for (const [name, doc] of loadMetricDocs(root)) names.set(name, doc.type);
  return names;
}

// metric name -> {type, labels (Set), alternatives (label groups of which a release has one),
// since (first release with the metric, or undefined)}, from the rows of docs/metrics.md:
//   | `name` | type | `label`, `label` | Meaning (source field; 2.12+) |
// Labels: every backticked name of the labels cell; "likewise" repeats the row above; "`a` (2.10+)
// or `b` (2.9)" makes a and b alternatives (each release has one of them). Release: "; X.Y[.Z]+"
// in the meaning (after the source field); "; likewise)" repeats the row above. Histograms and
// summaries contribute their _bucket/_sum/_count series (le on _bucket).
export function loadMetricDocs(root) {
  const text = fs.readFileSync(path.join(root, 'docs', 'metrics.md'), 'utf8');
  const docs = new Map();
  const re = /^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|\s*(gauge|counter|histogram|summary|untyped)\s*\|([^|]*)\|(.*)\|\s*$/gm;
  let prev = null;
  for (const m of text.matchAll(re)) {
    const [, name, type, labelCell, meaning] = m;
    let labels, alternatives;
    if (/^\s*likewise\s*$/.test(labelCell) && prev) {
      labels = new Set(prev.labels);
      alternatives = prev.alternatives;
    } else {
      labels = new Set([...labelCell.matchAll(/`([A-Za-z_]\w*)`/g)].map((x) => x[1]));
      alternatives = /`\s*(?:\([^)]*\))?\s+or\s+`/.test(labelCell) ? [[...labels]] : [];
    }
    let since = /;\s*(\d+\.\d+(?:\.\d+)?)\+/.exec(meaning)?.[1];
    if (since === undefined && /;\s*likewise\)/.test(meaning) && prev) since = prev.since;
    const doc = { type, labels, alternatives, since };
    docs.set(name, doc);
    prev = doc;
    const series = type === 'histogram' ? ['_bucket', '_sum', '_count'] : type === 'summary' ? ['_sum', '_count'] : [];
    for (const s of series) {
      docs.set(name + s, { ...doc, type: `${type} series`, labels: new Set([...labels, ...(s === '_bucket' ? ['le'] : [])]) });
    }
  }
  return docs;
}

// Names recorded by `record:` rules in alerts/*.yml (a line-based read: no YAML library).
export function loadRecordedMetrics(root) {
  const dir = path.join(root, 'alerts');
  const names = new Set();
  for (const f of fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/^\s*(?:-\s*)?record:\s*["']?([a-zA-Z_:][a-zA-Z0-9_:]*)["']?\s*(?:#.*)?$/gm)) names.add(m[1]);
  }
  return names;
}

// Every panel, rows and panels nested in (collapsed) rows included, with its parent row.
export function walkPanels(dashboard) {
  const out = [];
  const visit = (panels, parent) => {
    if (!Array.isArray(panels)) return;
    for (const p of panels) {
      out.push({ panel: p, parent });
      if (p && Array.isArray(p.panels)) visit(p.panels, p);
    }
  };
  visit(dashboard.panels, null);
  return out;
}

// PromQL as Prometheus 2.42 (Debian 12) knows it. Functions outside this list are rejected so a
// dashboard does not depend on a newer Prometheus than the one the tests run.
export const PROMQL_FUNCTIONS = new Set([
  'abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'avg_over_time',
  'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh', 'count_over_time', 'day_of_month',
  'day_of_week', 'day_of_year', 'days_in_month', 'deg', 'delta', 'deriv', 'end', 'exp', 'floor',
  'histogram_count', 'histogram_fraction', 'histogram_quantile', 'histogram_sum', 'holt_winters', 'hour',
  'idelta', 'increase', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln', 'log10', 'log2',
  'max_over_time', 'min_over_time', 'minute', 'month', 'pi', 'predict_linear', 'present_over_time',
  'quantile_over_time', 'rad', 'rate', 'resets', 'round', 'scalar', 'sgn', 'sin', 'sinh', 'sort',
  'sort_desc', 'sqrt', 'start', 'stddev_over_time', 'stdvar_over_time', 'sum_over_time', 'tan', 'tanh',
  'time', 'timestamp', 'vector', 'year',
]);
export const PROMQL_AGGREGATIONS = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile',
]);
const PROMQL_KEYWORDS = new Set([
  'and', 'or', 'unless', 'atan2', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset',
  'bool', 'inf', 'nan', 'Inf', 'NaN',
]);

const VAR_RE = /\$\{([A-Za-z_]\w*)(?::[^}]*)?\}|\[\[([A-Za-z_]\w*)(?::[^\]]*)?\]\]|\$([A-Za-z_]\w*)/g;

// Names of the template variables an expression uses ($x, ${x}, ${x:fmt}, [[x]]).
export function usedVariables(expr) {
  const out = [];
  for (const m of expr.matchAll(VAR_RE)) out.push(m[1] || m[2] || m[3]);
  return out;
}

// Splits a PromQL expression into the metric names it selects and the functions it calls.
// Label names never count: matchers in {...} go first, then label lists after by / without /
// on / ignoring / group_left / group_right, so `le` in `sum by (service, le)` is no metric.
export function analyzePromQL(exprIn) {
  const metrics = [], functions = [], errors = [];
  let expr = exprIn.replace(VAR_RE, (m, a, b, c) => ((a || b || c).startsWith('__') ? '1m' : 'VAR'));
  // {__name__="x"} selects metric x.
  for (const m of expr.matchAll(/__name__\s*=\s*"([^"]*)"/g)) metrics.push(m[1]);
  expr = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  // Label matchers, then ranges/subqueries ([5m], [1h:1m]).
  let prev;
  do { prev = expr; expr = expr.replace(/\{[^{}]*\}/g, ' '); } while (expr !== prev);
  expr = expr.replace(/\[[^\[\]]*\]/g, ' ');
  expr = expr.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)/g, '$1 ');
  if (/[{}\[\]]/.test(expr)) errors.push('unbalanced braces or brackets');
  let depth = 0;
  for (const ch of expr) { if (ch === '(') depth++; if (ch === ')') depth--; if (depth < 0) break; }
  if (depth !== 0) errors.push('unbalanced parentheses');
  const tokenRe = /(0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|s|m|h|d|w|y)*|\.\d+)|([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g;
  for (const m of expr.matchAll(tokenRe)) {
    if (m[1]) continue; // number or duration
    const id = m[2];
    const call = Boolean(m[3]);
    if (id === 'VAR') continue;
    if (PROMQL_KEYWORDS.has(id)) continue;
    if (call) {
      if (PROMQL_FUNCTIONS.has(id) || PROMQL_AGGREGATIONS.has(id)) functions.push(id);
      else errors.push(`unknown function ${id}()`);
      continue;
    }
    if (PROMQL_AGGREGATIONS.has(id)) { functions.push(id); continue; } // `sum by (x) (...)`
    if (PROMQL_FUNCTIONS.has(id)) { errors.push(`function ${id} without arguments`); continue; }
    metrics.push(id);
  }
  return { metrics, functions, errors };
}

const REGEX_SPECIAL = /[\\^$*+?.()|{}\[\]\/]/g;

// Grafana's formatting of a multi-value / include-all variable in a Prometheus query: regex
// metacharacters escaped (doubled backslash inside a PromQL string), several values as (a|b).
function formatValue(value) {
  const esc = (v) => String(v).replace(REGEX_SPECIAL, (c) => '\\\\' + c);
  if (Array.isArray(value)) return value.length === 1 ? esc(value[0]) : '(' + value.map(esc).join('|') + ')';
  return esc(value);
}

// Template variables of a dashboard by name.
export function templateVariables(dashboard) {
  const vars = new Map();
  for (const v of dashboard?.templating?.list ?? []) if (v && v.name) vars.set(v.name, v);
  return vars;
}

// Substitutes template variables from `values` (name -> string or array of strings). A variable
// without a value takes its All value (allValue, else .*). Built-in interval variables take
// values[name] or BUILTIN_VARS. Unknown variables are left as they are (validate.mjs reports them).
export function substitute(expr, dashboard, values = {}) {
  const vars = templateVariables(dashboard);
  return expr.replace(VAR_RE, (whole, a, b, c) => {
    const name = a || b || c;
    if (name.startsWith('__')) return values[name] ?? BUILTIN_VARS[name] ?? whole;
    const v = vars.get(name);
    if (!v) return whole;
    if (values[name] !== undefined && values[name] !== null) return formatValue(values[name]);
    return v.allValue || '.*';
  });
}

// Every query of every panel: [{file, dashboard (uid), panel (id), title, refId, expr, instant,
// may_be_empty, empty_reason, min_server_version}], with variables substituted from `values`
// (empty_reason and min_server_version only where they apply; min_server_version is always a
// list, see MIN_SERVER_VERSION).
export function panelQueries(root, values = {}) {
  const out = [];
  for (const file of listDashboardFiles(root)) {
    const d = JSON.parse(fs.readFileSync(file, 'utf8'));
    const empty = MAY_BE_EMPTY[d.uid] ?? {};
    for (const { panel } of walkPanels(d)) {
      if (panel.type === 'row') continue;
      for (const t of panel.targets ?? []) {
        if (typeof t.expr !== 'string') continue;
        const reason = empty[panel.title];
        const since = minServerVersion(d.uid, panel.title, t.refId);
        const q = {
          dashboard: d.uid, file: path.basename(file), panel: panel.id, title: panel.title, refId: t.refId,
          expr: substitute(t.expr, d, values), instant: t.instant === true && t.range !== true,
          may_be_empty: reason !== undefined,
        };
        if (reason !== undefined) q.empty_reason = reason;
        if (since !== undefined) q.min_server_version = releaseList(since);
        out.push(q);
      }
    }
  }
  return out;
}
