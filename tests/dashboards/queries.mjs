#!/usr/bin/env node
// Prints every panel query of every dashboard in dashboards/ as one JSON object per line, with
// the template variables substituted, for the end-to-end test to run against a real Prometheus.
//
//   node tests/dashboards/queries.mjs '{"instance":"127.0.0.1:7778","service":"echo","stream":"ORDERS","consumer":"worker","server":"x"}' [--root DIR]
//
// The map gives a value (or an array of values) per template variable; a variable it leaves out
// takes its "All" value (the variable's allValue, else .*). Values are formatted the way Grafana
// formats a multi-value variable for Prometheus (regex metacharacters escaped, several values as
// (a|b)); every variable sits in a =~ matcher (validate.mjs checks that). $__rate_interval and
// $__interval become 30s and $__range 5m unless the map sets "__rate_interval", "__interval" or
// "__range".
//
// Each line: {"dashboard": uid, "file": "nats-overview.json", "panel": id, "title": ..., "refId":
// "A", "expr": ..., "instant": bool, "may_be_empty": bool, "empty_reason": "..." (only when
// may_be_empty)}. "instant" is true for table panels (Grafana runs those as instant queries; the
// others are range queries, and an instant query at "now" returns the same series). may_be_empty
// marks panels that show no series, or only zeros, without a fault or an optional feature;
// empty_reason says which fault or feature fills them.
import { panelQueries, rootFromArgs } from './lib.mjs';

const args = process.argv.slice(2);
const root = rootFromArgs(args);
const positional = args.filter((a, i) => a !== '--root' && args[i - 1] !== '--root');
let values = {};
if (positional.length > 1) {
  process.stderr.write('usage: queries.mjs [JSON map of variable values] [--root DIR]\n');
  process.exit(2);
}
if (positional.length === 1) {
  try {
    values = JSON.parse(positional[0]);
  } catch (e) {
    process.stderr.write(`queries.mjs: the variable map is not JSON: ${e.message}\n`);
    process.exit(2);
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    process.stderr.write('queries.mjs: the variable map must be a JSON object\n');
    process.exit(2);
  }
}
process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });
process.stdout.write(panelQueries(root, values).map((q) => JSON.stringify(q) + '\n').join(''));
