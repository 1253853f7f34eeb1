#!/usr/bin/env node
// Static checks of every Grafana dashboard in dashboards/ (node 18+, built-in modules only):
//
//   - the file is valid JSON, importable through Grafana's UI: an __inputs datasource input
//     DS_PROMETHEUS, __requires naming every panel type, "id": null, a uid unique across files;
//   - panel ids are unique, panels nested in rows included; every panel has a gridPos inside the
//     24 columns and no two panels overlap;
//   - every panel other than a row has the ${DS_PROMETHEUS} datasource (and so has each target
//     that names one), a title unique in its dashboard, a description, a known unit and
//     thresholds, and at least one query;
//   - every query references only metric names listed in docs/metrics.md (histograms with their
//     _bucket/_sum/_count series) or recorded by a rule in alerts/*.yml; label names in {...} and
//     in by/without/on/ignoring/group_left/group_right lists (le included) are not metric names;
//     functions must exist in Prometheus 2.42 (Debian 12);
//   - labels as docs/metrics.md gives them: a matcher on a documented metric names one of its
//     labels (or a target label, job or instance); a label in a by/without/on/ignoring/group_*
//     list or in the legend ({{label}}) is carried by some metric of the query; where releases
//     name a label differently (route series: remote_name on 2.10+, remote_id on 2.9) a by list
//     or legend that names one names all, and no matcher selects one of them (it would miss the
//     other releases); documented metrics whose labels differ (the connz series carry kind, the
//     limits do not) are not combined one-to-one without on/ignoring or an aggregation;
//   - every query on a metric that docs/metrics.md marks as newer than the oldest supported
//     nats-server (2.12+, ...) is listed in lib.mjs' MIN_SERVER_VERSION with that release or a
//     later one, whose entries name existing panels (and refIds);
//   - every template variable a query uses is defined (the built-in $__rate_interval,
//     $__interval and $__range aside) and sits in a =~ / !~ matcher; variable queries
//     (label_values) obey the same rules; every dashboard has the cluster, server and instance
//     variables;
//   - the may-be-empty table of lib.mjs names existing panels, and the substituted queries that
//     queries.mjs prints contain no variable;
//   - with promtool (FARRIER_PROMTOOL or on PATH), every query parses: each becomes a recording
//     rule in a temporary file checked with `promtool check rules`.
//
//   node tests/dashboards/validate.mjs [--self-test] [--root DIR]
//
// --self-test first breaks copies of the dashboards in memory (a duplicate id, a duplicate id
// inside a collapsed row, an unknown metric, an unknown recorded metric, a missing or wrong
// datasource, an undefined variable, a variable outside a regex matcher, no __inputs, invalid
// JSON, an unknown function, no description, no unit, an undocumented label in a matcher, a by
// list or a legend, one release's route label alone, a kind-labelled series divided by an
// unlabelled one, a newer release's metric not listed as version-specific) and fails unless each
// is rejected for the expected reason; then it validates the real files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  MAY_BE_EMPTY, MIN_SERVER_VERSION, OLDEST_SUPPORTED_SERVER, BUILTIN_VARS, analyzePromQL, compareVersions,
  listDashboardFiles, loadMetricDocs, loadRecordedMetrics, minServerVersion, panelQueries, releaseList, rootFromArgs,
  serverHas, templateVariables, usedVariables, walkPanels,
} from './lib.mjs';

const DS_UID = '${DS_PROMETHEUS}';
const PANEL_TYPES = new Set(['row', 'timeseries', 'stat', 'gauge', 'table', 'bargauge']);
// Grafana unit ids (packages/grafana-data/src/valueFormats/categories.ts) these dashboards may use.
const UNITS = new Set([
  'none', 'short', 'percent', 'percentunit', 's', 'ms', 'µs', 'ns', 'dtdurations', 'bytes', 'decbytes',
  'Bps', 'binBps', 'reqps', 'ops', 'cps', 'mps', 'eps', 'pps', 'dateTimeAsIso', 'dateTimeFromNow',
]);
const REQUIRED_VARIABLES = ['cluster', 'server', 'instance'];
// Labels Prometheus adds to every series it scrapes from a farrier target.
const TARGET_LABELS = new Set(['job', 'instance']);

// ------------------------------------------------------------------------------ checks

// Labels against docs/metrics.md (see the header): matchers, label lists, legend, release
// alternatives, one-to-one matching of differently labelled series.
function checkLabels(expr, legend, metrics, where, ctx, errors) {
  const documented = [...new Set(metrics)].filter((m) => ctx.docs.has(m));
  const recorded = metrics.some((m) => !ctx.docs.has(m));
  const carried = new Set(TARGET_LABELS);
  for (const m of documented) for (const l of ctx.docs.get(m).labels) carried.add(l);
  // Recorded series keep labels of their own, and label_replace/label_join make new ones: no
  // claim about which labels exist then.
  const open = recorded || /\blabel_(?:replace|join)\s*\(/.test(expr);
  const text = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const alternatives = documented.flatMap((m) => ctx.docs.get(m).alternatives);

  for (const sel of text.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{([^{}]*)\}/g)) {
    const doc = sel[1] && ctx.docs.get(sel[1]);
    if (!doc) continue;
    for (const m of sel[2].matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)/g)) {
      const label = m[1];
      if (label !== '__name__' && !TARGET_LABELS.has(label) && !doc.labels.has(label)) {
        errors.push(`${where}: label ${label} is not a label of ${sel[1]} (docs/metrics.md: ${[...doc.labels].join(', ') || 'none'})`);
      }
      for (const group of doc.alternatives) {
        if (group.includes(label)) errors.push(`${where}: matcher on ${label} selects only the releases that name the label so (${group.join(' or ')})`);
      }
    }
  }
  const lists = [...text.matchAll(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)/g)]
    .map((m) => ({ kind: m[1], labels: m[2].split(',').map((x) => x.trim()).filter(Boolean) }));
  const legendLabels = [...String(legend ?? '').matchAll(/\{\{\s*([A-Za-z_]\w*)\s*\}\}/g)].map((m) => m[1]);
  const named = [...lists.map((l) => ({ what: `${l.kind} (...)`, labels: l.labels }))];
  if (legendLabels.length) named.push({ what: 'the legend', labels: legendLabels });
  for (const { what, labels } of named) {
    if (!open) {
      for (const l of labels) {
        if (l !== 'le' && !carried.has(l)) errors.push(`${where}: ${what} names ${l}, which no metric of the query carries (docs/metrics.md)`);
      }
    }
    for (const group of alternatives) {
      const have = group.filter((l) => labels.includes(l));
      if (have.length && have.length < group.length) {
        errors.push(`${where}: ${what} names ${have.join(', ')} but not ${group.filter((l) => !have.includes(l)).join(', ')}: releases name this label differently (${group.join(' or ')}), keep all`);
      }
    }
  }
  // One-to-one matching of series whose documented labels differ matches nothing.
  if (!recorded && documented.length > 1 && lists.length === 0 && !/\b(?:and|or|unless)\b/.test(text) &&
      !documented.every((m) => [...ctx.docs.get(m).labels].sort().join() === [...ctx.docs.get(documented[0]).labels].sort().join())) {
    errors.push(`${where}: ${documented.join(', ')} carry different labels; combined one-to-one they match nothing (use on/ignoring, or aggregate)`);
  }
}

// The first release that has every documented metric of the query, when that is newer than the
// oldest supported one.
function requiredServerVersion(metrics, ctx) {
  let need;
  for (const m of metrics) {
    const since = ctx.docs.get(m)?.since;
    if (since && compareVersions(since, OLDEST_SUPPORTED_SERVER) > 0 && (!need || compareVersions(since, need.since) > 0)) need = { since, metric: m };
  }
  return need;
}

function checkExpr(expr, where, ctx, vars, errors, target = null) {
  if (typeof expr !== 'string' || expr.trim() === '') { errors.push(`${where}: empty query`); return; }
  const { metrics, errors: parseErrors } = analyzePromQL(expr);
  for (const e of parseErrors) errors.push(`${where}: ${e} in ${JSON.stringify(expr)}`);
  // A query of constants only (e.g. vector(1)) shows nothing about farrier.
  if (metrics.length === 0) errors.push(`${where}: no metric in ${JSON.stringify(expr)}`);
  for (const m of metrics) {
    if (!ctx.documented.has(m) && !ctx.recorded.has(m)) {
      errors.push(`${where}: unknown metric ${m} (not in docs/metrics.md, not recorded in alerts/*.yml)`);
    }
  }
  if (parseErrors.length === 0) checkLabels(expr, target?.legend, metrics, where, ctx, errors);
  if (target) {
    const need = requiredServerVersion(metrics, ctx);
    const listed = releaseList(minServerVersion(target.uid, target.title, target.refId));
    if (need && listed.length === 0) {
      errors.push(`${where}: ${need.metric} exists since nats-server ${need.since} (docs/metrics.md): list "${target.title}" in MIN_SERVER_VERSION (tests/dashboards/lib.mjs)`);
    } else if (need && compareVersions(listed[0], need.since) < 0) {
      errors.push(`${where}: listed in MIN_SERVER_VERSION from ${listed[0]}, but ${need.metric} exists since ${need.since}`);
    }
  }
  const used = usedVariables(expr);
  for (const name of used) {
    if (name.startsWith('__')) {
      if (!(name in BUILTIN_VARS)) errors.push(`${where}: built-in variable $${name} not supported (use ${Object.keys(BUILTIN_VARS).map((n) => '$' + n).join(', ')})`);
    } else if (!vars.has(name)) {
      errors.push(`${where}: undefined template variable $${name}`);
    }
  }
  // User variables only inside regex matchers: queries.mjs and Grafana then escape values the same way.
  const inRegex = [];
  for (const m of expr.matchAll(/([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
    if (m[2] === '=~' || m[2] === '!~') inRegex.push(...usedVariables(m[3]));
  }
  const userUsed = used.filter((n) => !n.startsWith('__'));
  const regexUsed = inRegex.filter((n) => !n.startsWith('__'));
  if (userUsed.length !== regexUsed.length) {
    errors.push(`${where}: a template variable is used outside a =~ or !~ label matcher in ${JSON.stringify(expr)}`);
  }
}

function checkVariables(d, ctx, errors) {
  const list = d.templating?.list;
  if (!Array.isArray(list)) { errors.push('templating.list missing'); return new Map(); }
  const vars = templateVariables(d);
  const seen = new Set();
  for (const v of list) {
    const where = `variable ${v?.name}`;
    if (!v || typeof v.name !== 'string' || !/^[A-Za-z_]\w*$/.test(v.name)) { errors.push('a template variable without a valid name'); continue; }
    if (seen.has(v.name)) errors.push(`${where}: defined twice`);
    seen.add(v.name);
    if (v.type !== 'query') continue;
    if (v.datasource?.uid !== DS_UID) errors.push(`${where}: datasource must be {"uid": "${DS_UID}"}`);
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (typeof q !== 'string') { errors.push(`${where}: no query`); continue; }
    const m = /^\s*label_values\(\s*(?:(.*),\s*)?([A-Za-z_]\w*)\s*\)\s*$/.exec(q);
    if (!m) { errors.push(`${where}: expected label_values(selector, label), got ${JSON.stringify(q)}`); continue; }
    if (m[1] === undefined) { errors.push(`${where}: label_values without a metric selector scans every series`); continue; }
    if (usedVariables(q).includes(v.name)) errors.push(`${where}: refers to itself`);
    checkExpr(m[1], where, ctx, vars, errors);
  }
  for (const name of REQUIRED_VARIABLES) if (!vars.has(name)) errors.push(`template variable ${name} missing`);
  return vars;
}

function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function checkLayout(groups, errors) {
  for (const group of groups) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        if (overlaps(group[i].gridPos, group[j].gridPos)) errors.push(`panels ${group[i].id} and ${group[j].id} overlap`);
      }
    }
  }
}

// Errors of one dashboard given as text (file contents) or as an object.
export function validateDashboard(input, ctx) {
  const errors = [];
  let d = input;
  if (typeof input === 'string') {
    try { d = JSON.parse(input); } catch (e) { return [`invalid JSON: ${e.message}`]; }
  }
  if (!d || typeof d !== 'object' || Array.isArray(d)) return ['not a JSON object'];

  const inputs = Array.isArray(d.__inputs) ? d.__inputs : [];
  if (!inputs.some((i) => i && i.name === 'DS_PROMETHEUS' && i.type === 'datasource' && i.pluginId === 'prometheus')) {
    errors.push('__inputs must hold {"name": "DS_PROMETHEUS", "type": "datasource", "pluginId": "prometheus"} (UI import)');
  }
  const requires = Array.isArray(d.__requires) ? d.__requires : [];
  const required = (type, id) => requires.some((r) => r && r.type === type && r.id === id);
  if (!required('grafana', 'grafana')) errors.push('__requires lacks grafana');
  if (!required('datasource', 'prometheus')) errors.push('__requires lacks the prometheus datasource');
  if (typeof d.uid !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(d.uid)) errors.push('uid missing or invalid (1-40 of [A-Za-z0-9_-])');
  if (typeof d.title !== 'string' || d.title === '') errors.push('title missing');
  if (d.id !== null) errors.push('"id" must be null so that import creates the dashboard');
  if (typeof d.schemaVersion !== 'number' || d.schemaVersion < 36) errors.push('schemaVersion missing or below 36 (Grafana 9)');
  if (!Array.isArray(d.panels) || d.panels.length === 0) { errors.push('no panels'); return errors; }

  const vars = checkVariables(d, ctx, errors);
  const ids = new Map();
  const titles = new Set();
  const top = [];
  const nested = new Map();
  for (const { panel: p, parent } of walkPanels(d)) {
    if (!p || typeof p !== 'object') { errors.push('a panel that is not an object'); continue; }
    const where = `panel ${p.id} "${p.title}"`;
    if (!Number.isInteger(p.id) || p.id < 1) errors.push(`${where}: id must be a positive integer`);
    else if (ids.has(p.id)) errors.push(`duplicate panel id ${p.id} ("${ids.get(p.id)}" and "${p.title}")`);
    else ids.set(p.id, p.title);
    if (!PANEL_TYPES.has(p.type)) errors.push(`${where}: panel type ${p.type} not allowed`);
    const g = p.gridPos;
    if (!g || ![g.x, g.y, g.w, g.h].every(Number.isInteger) || g.x < 0 || g.y < 0 || g.w < 1 || g.h < 1 || g.x + g.w > 24) {
      errors.push(`${where}: gridPos missing or outside the 24 columns`);
    } else if (parent) {
      if (!nested.has(parent)) nested.set(parent, []);
      nested.get(parent).push(p);
    } else {
      top.push(p);
    }
    if (p.type === 'row') {
      if (parent) errors.push(`${where}: a row inside a row`);
      if (!p.collapsed && Array.isArray(p.panels) && p.panels.length > 0) errors.push(`${where}: an expanded row must not hold panels`);
      continue;
    }
    if (parent && !parent.collapsed) errors.push(`${where}: nested in an expanded row`);
    if (typeof p.title !== 'string' || p.title.trim() === '') errors.push(`panel ${p.id}: no title`);
    else if (titles.has(p.title)) errors.push(`${where}: title used twice`);
    else titles.add(p.title);
    if (typeof p.description !== 'string' || p.description.trim().length < 10) errors.push(`${where}: no description`);
    if (!p.datasource || p.datasource.uid !== DS_UID || p.datasource.type !== 'prometheus') {
      errors.push(`${where}: missing datasource (must be {"type": "prometheus", "uid": "${DS_UID}"})`);
    }
    if (!PANEL_TYPES.has(p.type) || requires.length && !required('panel', p.type)) errors.push(`${where}: __requires lacks panel ${p.type}`);
    const defaults = p.fieldConfig?.defaults;
    if (!defaults || typeof defaults.unit !== 'string' || defaults.unit === '') errors.push(`${where}: no unit (fieldConfig.defaults.unit)`);
    else if (!UNITS.has(defaults.unit)) errors.push(`${where}: unknown unit ${defaults.unit}`);
    for (const o of p.fieldConfig?.overrides ?? []) {
      for (const prop of o.properties ?? []) if (prop.id === 'unit' && !UNITS.has(prop.value)) errors.push(`${where}: unknown unit ${prop.value} in an override`);
    }
    const steps = defaults?.thresholds?.steps;
    if (!Array.isArray(steps) || steps.length === 0 || steps[0].value !== null) {
      errors.push(`${where}: no thresholds (fieldConfig.defaults.thresholds.steps, the first with value null)`);
    } else {
      for (let i = 1; i < steps.length; i++) {
        if (typeof steps[i].value !== 'number' || (i > 1 && steps[i].value <= steps[i - 1].value)) errors.push(`${where}: thresholds not increasing`);
      }
    }
    if (!Array.isArray(p.targets) || p.targets.length === 0) { errors.push(`${where}: no queries`); continue; }
    const refIds = new Set();
    for (const t of p.targets) {
      const tw = `${where} ${t?.refId}`;
      if (!t || typeof t.refId !== 'string' || refIds.has(t.refId)) errors.push(`${tw}: refId missing or repeated`);
      else refIds.add(t.refId);
      if (t?.datasource !== undefined && (t.datasource?.uid !== DS_UID)) errors.push(`${tw}: target datasource is not ${DS_UID}`);
      checkExpr(t?.expr, tw, ctx, vars, errors, { uid: d.uid, title: p.title, refId: t?.refId, legend: t?.legendFormat });
    }
  }
  const types = new Set(walkPanels(d).map((x) => x.panel?.type).filter((t) => t && t !== 'row'));
  for (const r of requires) if (r?.type === 'panel' && !types.has(r.id)) errors.push(`__requires names panel ${r.id}, which no panel uses`);
  checkLayout([top, ...nested.values()], errors);
  return errors;
}

// Cross-file checks: unique uids, the may-be-empty table, the substituted queries.
function validateRepository(root, ctx) {
  const results = [];
  const uids = new Map();
  const byUid = new Map();
  for (const file of listDashboardFiles(root)) {
    const text = fs.readFileSync(file, 'utf8');
    const errors = validateDashboard(text, ctx);
    let d = null;
    try { d = JSON.parse(text); } catch { /* reported above */ }
    if (d && typeof d.uid === 'string') {
      if (uids.has(d.uid)) errors.push(`uid ${d.uid} also used by ${path.basename(uids.get(d.uid))}`);
      uids.set(d.uid, file);
      byUid.set(d.uid, d);
    }
    results.push({ file, dashboard: d, errors });
  }
  const general = [];
  if (results.length === 0) general.push('no dashboards in dashboards/');
  for (const [uid, titles] of Object.entries(MAY_BE_EMPTY)) {
    const d = byUid.get(uid);
    if (!d) { general.push(`lib.mjs MAY_BE_EMPTY: no dashboard with uid ${uid}`); continue; }
    const have = new Set(walkPanels(d).filter((x) => x.panel?.type !== 'row').map((x) => x.panel?.title));
    for (const t of Object.keys(titles)) if (!have.has(t)) general.push(`lib.mjs MAY_BE_EMPTY: ${uid} has no panel "${t}"`);
  }
  for (const [uid, entries] of Object.entries(MIN_SERVER_VERSION)) {
    const d = byUid.get(uid);
    if (!d) { general.push(`lib.mjs MIN_SERVER_VERSION: no dashboard with uid ${uid}`); continue; }
    const refs = new Set();
    for (const { panel } of walkPanels(d)) {
      if (panel?.type === 'row') continue;
      refs.add(panel?.title);
      for (const t of panel?.targets ?? []) refs.add(`${panel.title}#${t.refId}`);
    }
    for (const [key, entry] of Object.entries(entries)) {
      if (!refs.has(key)) general.push(`lib.mjs MIN_SERVER_VERSION: ${uid} has no panel or query "${key}"`);
      const list = releaseList(entry);
      if (list.length === 0) general.push(`lib.mjs MIN_SERVER_VERSION: ${uid} "${key}": no release`);
      for (const [i, version] of list.entries()) {
        if (!/^\d+\.\d+\.\d+$/.test(version)) general.push(`lib.mjs MIN_SERVER_VERSION: ${uid} "${key}": ${version} is not a release like 2.12.9`);
        else if (compareVersions(version, OLDEST_SUPPORTED_SERVER) <= 0) general.push(`lib.mjs MIN_SERVER_VERSION: ${uid} "${key}": ${version} is not newer than ${OLDEST_SUPPORTED_SERVER}`);
        else if (i > 0 && compareVersions(`${version.split('.').slice(0, 2).join('.')}.0`, `${list[i - 1].split('.').slice(0, 2).join('.')}.0`) <= 0) {
          general.push(`lib.mjs MIN_SERVER_VERSION: ${uid} "${key}": one release per branch, oldest branch first (${list.join(', ')})`);
        }
      }
    }
  }
  let queries = [];
  if (general.length === 0 && results.every((r) => r.errors.length === 0)) {
    queries = panelQueries(root, { instance: '127.0.0.1:7778', server: 'n1', cluster: 'c1', service: 'echo', stream: 'ORDERS', consumer: 'worker' });
    for (const q of queries) {
      if (/\$\{?[A-Za-z_]|\[\[/.test(q.expr)) general.push(`queries.mjs left a variable in ${q.dashboard} panel ${q.panel}: ${q.expr}`);
    }
    // The command line the end-to-end test uses prints the same queries, one JSON object a line.
    const map = JSON.stringify({ instance: '127.0.0.1:7778', server: 'n1', cluster: 'c1', service: 'echo', stream: 'ORDERS', consumer: 'worker' });
    const cli = spawnSync(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'queries.mjs'), map, '--root', root], { encoding: 'utf8' });
    let lines = [];
    try {
      lines = cli.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    } catch (e) {
      general.push(`queries.mjs printed a line that is not JSON: ${e.message}`);
    }
    if (cli.status !== 0) general.push(`queries.mjs exited with ${cli.status}: ${cli.stderr}`);
    else if (JSON.stringify(lines) !== JSON.stringify(queries)) general.push('queries.mjs printed other queries than panelQueries() returns');
    for (const l of lines) {
      for (const k of ['dashboard', 'panel', 'title', 'expr', 'may_be_empty']) if (!(k in l)) general.push(`queries.mjs line without ${k}: ${JSON.stringify(l)}`);
    }
  }
  return { results, general, queries };
}

// `promtool check rules` on a temporary rule file holding every query: a PromQL syntax check.
function promtoolCheck(queries) {
  const candidates = [process.env.FARRIER_PROMTOOL, 'promtool'].filter(Boolean);
  let promtool = null;
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) { promtool = c; break; }
  }
  if (!promtool) return { skipped: true, errors: [] };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farrier-dashboards-'));
  try {
    const rules = queries.map((q, i) => ({ record: `dashboard_query_${i}`, expr: q.expr }));
    const file = path.join(dir, 'queries.rules.json');
    fs.writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard-queries', rules }] }, null, 1));
    const r = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
    if (r.status === 0) return { skipped: false, errors: [] };
    const out = (r.stdout + r.stderr).trim();
    const errors = [`promtool check rules rejected a query:\n${out}`];
    for (const m of out.matchAll(/dashboard_query_(\d+)/g)) {
      const q = queries[Number(m[1])];
      if (q) errors.push(`  = ${q.dashboard} panel ${q.panel} "${q.title}": ${q.expr}`);
    }
    return { skipped: false, errors };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------ self-test

function selfTest(root, ctx) {
  const failures = [];
  const expectEqual = (what, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };
  // The PromQL reader on its own.
  const cases = [
    ['histogram_quantile(0.99, sum by (service, le) (rate(x_bucket{service=~"$service", le!=""}[$__rate_interval])))', ['x_bucket']],
    ['sum(rate(a_total[5m])) by (instance) / on (instance) group_left (server_name) b_info', ['a_total', 'b_info']],
    ['count(up == 0) or vector(0)', ['up']],
    ['time() - start_seconds{instance=~"$instance"}', ['start_seconds']],
    ['max by (stream, consumer) (deriv(seq[1m:10s])) offset 5m > bool 1e3', ['seq']],
    ['{__name__="named_metric", job="x"}', ['named_metric']],
    ['a:b:sum{service=~"s"} / ignoring (le) (c > 0) unless d', ['a:b:sum', 'c', 'd']],
  ];
  for (const [expr, want] of cases) {
    const r = analyzePromQL(expr);
    expectEqual(`analyzePromQL(${expr}) metrics`, r.metrics, want);
    expectEqual(`analyzePromQL(${expr}) errors`, r.errors, []);
  }
  expectEqual('unknown function', analyzePromQL('rat(a[5m])').errors, ['unknown function rat()']);
  // Releases that have what a MIN_SERVER_VERSION value says.
  const backported = ['2.11.12', '2.12.4'];
  for (const [version, want] of [['2.9.10', false], ['2.10.29', false], ['2.11.11', false], ['2.11.12', true], ['2.11.17', true],
    ['2.12.3', false], ['2.12.4', true], ['2.14.0', true], ['2.15.3', true]]) {
    expectEqual(`serverHas(${version}, [${backported}])`, serverHas(version, backported), want);
  }
  for (const [version, want] of [['2.10.20', false], ['2.10.21', true], ['2.11.0', true], ['2.9.10', false]]) {
    expectEqual(`serverHas(${version}, 2.10.21)`, serverHas(version, '2.10.21'), want);
  }
  expectEqual('unbalanced', analyzePromQL('sum(rate(a[5m])').errors, ['unbalanced parentheses']);

  // Broken copies of the real dashboards.
  const files = listDashboardFiles(root);
  if (files.length === 0) return ['no dashboards to break'];
  const originals = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  const withCollapsed = originals.find((d) => d.panels.some((p) => p.type === 'row' && p.collapsed && p.panels?.length));
  const firstQueryPanel = (d) => walkPanels(d).map((x) => x.panel).find((p) => p.type !== 'row' && p.targets?.length);
  const mutations = [
    ['duplicate panel id', 'duplicate panel id', (d) => { const ps = walkPanels(d).map((x) => x.panel); ps[2].id = ps[1].id; }],
    ['duplicate id inside a collapsed row', 'duplicate panel id', null, () => {
      if (!withCollapsed) return null;
      const d = structuredClone(withCollapsed);
      const row = d.panels.find((p) => p.type === 'row' && p.collapsed && p.panels?.length);
      row.panels[0].id = d.panels.find((p) => p.type !== 'row').id;
      return d;
    }],
    ['unknown metric', 'unknown metric nats_server_messages_recieved_total', (d) => {
      firstQueryPanel(d).targets[0].expr = 'rate(nats_server_messages_recieved_total{instance=~"$instance"}[$__rate_interval])';
    }],
    ['unknown recorded metric', 'unknown metric service:nats_service_nonexistent:sum', (d) => {
      firstQueryPanel(d).targets[0].expr = 'service:nats_service_nonexistent:sum';
    }],
    ['missing datasource', 'missing datasource', (d) => { delete firstQueryPanel(d).datasource; }],
    ['hard-coded datasource', 'missing datasource', (d) => { firstQueryPanel(d).datasource = { type: 'prometheus', uid: 'prometheus' }; }],
    ['target with another datasource', 'target datasource', (d) => { firstQueryPanel(d).targets[0].datasource = { type: 'prometheus', uid: 'abc' }; }],
    ['undefined variable', 'undefined template variable $nope', (d) => { firstQueryPanel(d).targets[0].expr = 'nats_up{instance=~"$nope"}'; }],
    ['variable outside a regex matcher', 'outside a =~', (d) => { firstQueryPanel(d).targets[0].expr = 'nats_up{instance="$instance"}'; }],
    ['undefined variable in a variable query', 'undefined template variable $nope', (d) => {
      const v = d.templating.list.find((x) => x.name === 'instance');
      v.query = { query: 'label_values(nats_server_info{server_name=~"$nope"}, instance)', refId: 'x' };
    }],
    ['unknown metric in a variable query', 'unknown metric nats_server_inf', (d) => {
      d.templating.list.find((x) => x.name === 'server').query = 'label_values(nats_server_inf, server_name)';
    }],
    ['missing variable', 'template variable instance missing', (d) => { d.templating.list = d.templating.list.filter((v) => v.name !== 'instance'); }],
    ['no __inputs', '__inputs', (d) => { delete d.__inputs; }],
    ['unknown function', 'unknown function rat()', (d) => { firstQueryPanel(d).targets[0].expr = 'rat(nats_server_connections_total[5m])'; }],
    ['no description', 'no description', (d) => { delete firstQueryPanel(d).description; }],
    ['no unit', 'no unit', (d) => { delete firstQueryPanel(d).fieldConfig.defaults.unit; }],
    ['no thresholds', 'no thresholds', (d) => { delete firstQueryPanel(d).fieldConfig.defaults.thresholds; }],
    ['no gridPos', 'gridPos', (d) => { delete firstQueryPanel(d).gridPos; }],
    ['overlapping panels', 'overlap', (d) => {
      const ps = d.panels.filter((p) => p.type !== 'row');
      ps[1].gridPos = { ...ps[0].gridPos };
    }],
    ['no queries', 'no queries', (d) => { firstQueryPanel(d).targets = []; }],
    ['label a metric does not have', 'label kind is not a label of nats_up', (d) => {
      firstQueryPanel(d).targets[0].expr = 'nats_up{instance=~"$instance", kind="client"}';
    }],
    ['by list naming a label no metric carries', 'names remote_nam, which no metric', (d) => {
      firstQueryPanel(d).targets[0].expr = 'sum by (instance, remote_nam) (nats_route_rtt_seconds{instance=~"$instance"})';
    }],
    ['legend naming a label no metric carries', 'the legend names remote_id, which no metric', (d) => {
      Object.assign(firstQueryPanel(d).targets[0], { expr: 'nats_up{instance=~"$instance"}', legendFormat: '{{instance}} {{remote_id}}' });
    }],
    ['one release\'s route label alone', 'names remote_id but not remote_name', (d) => {
      Object.assign(firstQueryPanel(d).targets[0], {
        expr: 'sum by (instance, remote_id) (rate(nats_route_messages_sent_total{instance=~"$instance"}[$__rate_interval]))',
        legendFormat: '{{instance}} {{remote_name}}{{remote_id}}',
      });
    }],
    ['matcher on one release\'s route label', 'matcher on remote_name selects only', (d) => {
      firstQueryPanel(d).targets[0].expr = 'nats_route_rtt_seconds{instance=~"$instance", remote_name!=""}';
    }],
    ['kind-labelled series divided by an unlabelled one', 'carry different labels', (d) => {
      firstQueryPanel(d).targets[0].expr = 'nats_connz_pending_bytes_max{instance=~"$instance"} / nats_server_max_pending_bytes{instance=~"$instance"}';
    }],
    ['a newer release\'s metric not listed as version-specific', 'list "', (d) => {
      firstQueryPanel(d).targets[0].expr = 'rate(nats_server_stalled_clients_total{instance=~"$instance"}[$__rate_interval])';
    }],
  ];
  for (const [name, want, mutate, build] of mutations) {
    const copies = build ? [build()].filter(Boolean) : originals.map((o) => { const d = structuredClone(o); mutate(d); return d; });
    if (copies.length === 0) { failures.push(`${name}: no dashboard to break this way`); continue; }
    for (const d of copies) {
      const errors = validateDashboard(d, ctx);
      if (!errors.some((e) => e.includes(want))) {
        failures.push(`${name} in ${d.uid}: not rejected (wanted an error with "${want}", got ${JSON.stringify(errors)})`);
      }
    }
  }
  const bad = validateDashboard('{"__inputs": [', ctx);
  if (!bad.some((e) => e.startsWith('invalid JSON'))) failures.push(`invalid JSON not rejected: ${JSON.stringify(bad)}`);
  // The unbroken dashboards pass (so each rejection above came from the mutation).
  for (const d of originals) {
    const errors = validateDashboard(structuredClone(d), ctx);
    if (errors.length) failures.push(`unmodified ${d.uid} rejected: ${errors.join('; ')}`);
  }
  return failures;
}

// ------------------------------------------------------------------------------ main

function main() {
  const args = process.argv.slice(2);
  const root = rootFromArgs(args);
  const docs = loadMetricDocs(root);
  const ctx = { documented: new Map([...docs].map(([n, d]) => [n, d.type])), docs, recorded: loadRecordedMetrics(root) };
  if (ctx.documented.size < 50) {
    console.error(`only ${ctx.documented.size} metrics read from docs/metrics.md: has its table format changed?`);
    process.exit(1);
  }
  let failed = false;
  if (args.includes('--self-test')) {
    const failures = selfTest(root, ctx);
    if (failures.length) {
      failed = true;
      console.error('self-test FAILED: broken dashboards were not rejected as expected:');
      for (const f of failures) console.error('  ' + f);
    } else {
      console.log('self-test: every broken copy was rejected for the expected reason');
    }
  }
  const { results, general, queries } = validateRepository(root, ctx);
  for (const r of results) {
    const n = r.dashboard ? walkPanels(r.dashboard).filter((x) => x.panel?.type !== 'row').length : 0;
    if (r.errors.length) {
      failed = true;
      console.error(`${path.relative(root, r.file)}: ${r.errors.length} problem(s)`);
      for (const e of r.errors) console.error('  ' + e);
    } else {
      console.log(`${path.relative(root, r.file)}: ok (${n} panels)`);
    }
  }
  for (const e of general) { failed = true; console.error(e); }
  if (!failed) {
    const pt = promtoolCheck(queries);
    if (pt.skipped) console.log('promtool not found (FARRIER_PROMTOOL or PATH): PromQL syntax not checked');
    else if (pt.errors.length) { failed = true; for (const e of pt.errors) console.error(e); }
    else console.log(`promtool: all ${queries.length} queries parse`);
    console.log(`metrics known: ${ctx.documented.size} documented, ${ctx.recorded.size} recorded`);
  }
  process.exit(failed ? 1 : 0);
}

main();
