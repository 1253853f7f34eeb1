#!/usr/bin/env bash
# ctest rules_runbooks: the runbook links of alerts/*.yml resolve.
#
#   1. scripts/runbook-url.sh's default base agrees with CMake's PROJECT_HOMEPAGE_URL and
#      PROJECT_VERSION: <homepage>/blob/v<version>/alerts/README.md.
#   2. alerts/: every alert has exactly one runbook_url = <base>#<anchor>, every anchor is a
#      heading (or <a id>) of alerts/README.md, every section under its "## Runbooks" is linked
#      (an orphaned runbook is a failure: a renamed or removed alert leaves one), and the
#      promtool tests expect the same base. A version bump that forgets
#      `scripts/runbook-url.sh --out alerts` fails here.
#   3. Self-test: copies of alerts/ broken on purpose (an anchor no heading has, the key
#      `runbook` for runbook_url, the base of another release or of `main`, two runbook_url, none,
#      one under labels, an orphaned runbook section, a promtool test left on an old base) must
#      fail with the fault named; GitHub's anchors of a small README must come out as expected,
#      and as tests/docs/links.mjs computes them (when node is there); bad --base-url values
#      must be refused. (After 2: the copies start from rules known to be right.)
#   4. The rewrite for self-hosted runbooks: a copy with another base passes the check with that
#      base, `promtool check rules` and `promtool test rules`, and alerts/ is left unchanged.
#
# usage: runbooks.sh <repository root> <homepage URL> <version> [node]
set -euo pipefail
root=$1 homepage=$2 version=$3 node=${4:-}
script=$root/scripts/runbook-url.sh
promtool=${FARRIER_PROMTOOL:-promtool}
fail() { echo "rules_runbooks: $*" >&2; exit 1; }
[[ -n $homepage ]] || fail "the top-level CMakeLists.txt's project() has no HOMEPAGE_URL"
[[ -n $version ]] || fail "the top-level CMakeLists.txt's project() has no VERSION"
base="${homepage%/}/blob/v$version/alerts/README.md"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- 1. one default, from CMake ---------------------------------------------------------------
got=$("$script" --default-base) || fail "runbook-url.sh --default-base failed"
[[ $got == "$base" ]] ||
  fail "runbook-url.sh reads the base $got from CMakeLists.txt, CMake says $base"

# ---- 2. the real rules ------------------------------------------------------------------------
"$script" --check --base-url "$base" --in "$root/alerts" --readme "$root/alerts/README.md" ||
  fail "alerts/: see above"

# ---- 3. self-test -----------------------------------------------------------------------------
fresh() { rm -rf "$work/copy"; cp -r "$root/alerts" "$work/copy"; }
# caught NAME REGEX: the check of the broken copy must fail and print a line matching REGEX.
caught() {
  local out
  if out=$("$script" --check --base-url "$base" --in "$work/copy" 2>&1); then
    fail "self-test: $1: the broken copy passed"
  fi
  grep -Eq -- "$2" <<<"$out" || fail "self-test: $1: expected /$2/ in: $out"
  echo "self-test: $1: caught"
}
first() { grep -n "$1" "$2" | head -1 | cut -d: -f1; }  # line number of the first match

fresh; sed -i 's|#natsserverdown$|#natsserverdwn|' "$work/copy/nats.alerts.yml"
caught 'anchor no heading has' \
  'nats\.alerts\.yml:[0-9]+: alert NatsServerDown: #natsserverdwn is no heading'
fresh; sed -i '0,/runbook_url:/s//runbook:/' "$work/copy/farrier.alerts.yml"
caught 'key runbook' \
  'alert FarrierTargetDown has no runbook_url annotation \(it has runbook: the key is runbook_url\)'
fresh; sed -i "s|/blob/v$version/|/blob/v0.0.1/|" "$work/copy/services.alerts.yml"
caught 'base of another release' \
  'services\.alerts\.yml:[0-9]+: alert NatsServiceLatencySLOBurn: runbook_url base .*/v0\.0\.1/'
fresh; sed -i "s|/blob/v$version/|/blob/main/|" "$work/copy/farrier.alerts.yml"
caught 'base on main' 'alert FarrierAbsent: runbook_url base .*/blob/main/'
fresh; sed -i 's|#farrierabsent$||' "$work/copy/farrier.alerts.yml"
caught 'no anchor' 'alert FarrierAbsent: runbook_url .* has no #anchor'
fresh; line=$(first 'runbook_url:' "$work/copy/farrier.alerts.yml")
sed -i "${line}p" "$work/copy/farrier.alerts.yml"
caught 'two runbook_url' 'alert FarrierTargetDown has 2 runbook_url annotations'
fresh; line=$(first 'severity: critical' "$work/copy/farrier.alerts.yml")
sed -i "${line}a\\          runbook_url: $base#farrierabsent" "$work/copy/farrier.alerts.yml"
caught 'runbook_url as a label' 'alert FarrierAbsent: runbook_url under labels'
fresh; cat >>"$work/copy/nats.alerts.yml" <<'EOF'
      - alert: NatsWithoutRunbook
        expr: vector(1)
        labels:
          severity: info
        annotations:
          summary: An alert someone added without a runbook.
EOF
caught 'no runbook at all' 'alert NatsWithoutRunbook has no runbook_url annotation$'
fresh; printf '\n### NatsRemovedLongAgo\n\nA runbook no alert links.\n' >>"$work/copy/README.md"
caught 'orphaned runbook' \
  'README\.md:[0-9]+: runbook section #natsremovedlongago is linked by no alert'
fresh; sed -i "0,/blob\\/v$version\\//s||blob/v0.0.1/|" "$work/copy/tests/farrier.alerts.test.yml"
caught 'promtool test on an old base' \
  'tests/farrier\.alerts\.test\.yml:[0-9]+: runbook_url base .*/v0\.0\.1/'
# A version bump without the rewrite: the real files against the next version's base.
next="${homepage%/}/blob/v99.0.0/alerts/README.md"
if out=$("$script" --check --base-url "$next" --in "$root/alerts" 2>&1); then
  fail "self-test: the rules passed the check against another version's base"
fi
grep -q -- "--base-url $next --in .* --out " <<<"$out" ||
  fail "self-test: a stale base did not say how to rewrite it: $out"
echo "self-test: a version bump without the rewrite: caught, with the command that fixes it"

# GitHub's anchors: repeats, punctuation, links, code, explicit anchors, fenced code.
cat >"$work/anchors.md" <<'EOF'
# Title
## Runbooks
### FooAlert
### Foo Alert: the `x` thing (v2.1)!
### [Linked](https://example.com/x) heading
### FooAlert
### FooAlert ###
```yaml
### NotAHeading
```
<a id="custom-anchor"></a> and <a name="old.name"></a>
~~~~
# not one either
~~~~
#### Deep_Name-x
EOF
expected='custom-anchor deep_name-x foo-alert-the-x-thing-v21 fooalert fooalert-1 fooalert-2'
expected+=' linked-heading old.name runbooks title'
got=$("$script" --anchors "$work/anchors.md" | sort | tr '\n' ' ')
[[ $got == "$expected " ]] || fail "self-test: anchors: expected '$expected', got '$got'"
if [[ -n $node ]]; then
  # The same anchors as tests/docs/links.mjs (the docs' link check) computes, here and for the
  # real README: one notion of "anchor" in the repository.
  for md in "$work/anchors.md" "$root/alerts/README.md"; do
    mjs=$("$node" --input-type=module -e "
      import fs from 'node:fs';
      import { anchorsOf } from '$root/tests/docs/links.mjs';
      console.log([...anchorsOf(fs.readFileSync(process.argv[1], 'utf8'))].sort().join('\n'));
    " "$md") || fail "node could not run tests/docs/links.mjs"
    diff <(echo "$mjs") <("$script" --anchors "$md" | sort) >"$work/anchors.diff" ||
      fail "self-test: anchors of $md differ from tests/docs/links.mjs's" \
        "(< links.mjs, > runbook-url.sh): $(cat "$work/anchors.diff")"
  done
  echo "self-test: anchors: GitHub's rules, the same as tests/docs/links.mjs"
else
  echo "self-test: anchors: GitHub's rules (no node: not compared with tests/docs/links.mjs)"
fi

# Bad --base-url values are refused with a reason.
for bad in 'wiki.example.com/runbooks' 'ftp://wiki.example.com/runbooks' \
  'https://wiki.example.com/runbooks#top' 'https://wiki.example.com/run books' \
  'https://wiki.example.com/{{ $labels.job }}' 'https://' ''; do
  if out=$("$script" --base-url "$bad" --out "$work/never" 2>&1); then
    fail "self-test: --base-url '$bad' was accepted"
  fi
  grep -q -- '--base-url' <<<"$out" || fail "self-test: --base-url '$bad': no reason given: $out"
done
[[ ! -e $work/never ]] || fail "self-test: a refused --base-url still wrote $work/never"
echo "self-test: bad --base-url values refused"

# ---- 4. the rewrite for self-hosted runbooks --------------------------------------------------
custom='https://wiki.example.com/ops/Farrier_Runbooks?version=2&lang=en'
before=$(cd "$root/alerts" && cat ./*.yml tests/*.yml | md5sum)
"$script" --base-url "$custom" --out "$work/rewritten"
after=$(cd "$root/alerts" && cat ./*.yml tests/*.yml | md5sum)
[[ $before == "$after" ]] || fail "the rewrite changed alerts/"
"$script" --check --base-url "$custom" --in "$work/rewritten" --readme "$root/alerts/README.md" ||
  fail "the rewritten copy fails the check"
grep -q "runbook_url: $custom#natsserverdown\$" "$work/rewritten/nats.alerts.yml" ||
  fail "the rewritten copy has no runbook_url: $custom#natsserverdown"
diff <(grep -v 'runbook_url:' "$root/alerts/nats.alerts.yml") \
  <(grep -v 'runbook_url:' "$work/rewritten/nats.alerts.yml") >/dev/null ||
  fail "the rewrite changed more than the runbook_url lines"
(cd "$work/rewritten" && "$promtool" check rules ./*.yml >"$work/promtool.log" 2>&1 &&
  "$promtool" test rules tests/*.test.yml >>"$work/promtool.log" 2>&1) ||
  fail "promtool refuses the rewritten copy: $(cat "$work/promtool.log")"
echo "rewrite: a copy with runbooks at $custom passes the check," \
  "promtool check rules and promtool test rules"
