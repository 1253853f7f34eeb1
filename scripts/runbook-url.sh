#!/usr/bin/env bash
# The runbook links of Farrier's alerts. Every alert of alerts/*.yml has one annotation
#   runbook_url: <BASE>#<anchor>
# where BASE is, by default, the alerts README of the same release
# (<HOMEPAGE_URL>/blob/v<VERSION>/alerts/README.md, both from the top-level CMakeLists.txt) and
# <anchor> the alert's section there. Plain bash and awk (no python): runs on a minimal Debian.
#
#   scripts/runbook-url.sh [--base-url URL] [--in DIR] [--out DIR]
#       Writes the rule files DIR/*.yml and their promtool tests DIR/tests/*.yml to --out with
#       every runbook_url's BASE replaced by URL and its #anchor kept (for runbooks hosted on a
#       wiki or internal docs). --in defaults to the alerts/ beside this script, --out to
#       ./farrier-alerts; the input is never changed unless --out names the same directory.
#       Without --base-url: the release's README, which is how the rules follow a version bump:
#       `scripts/runbook-url.sh --out alerts`.
#   scripts/runbook-url.sh --check [--base-url URL] [--in DIR] [--readme FILE]
#       Exits 1, naming file and line, unless every alert of DIR/*.yml has exactly one
#       runbook_url annotation whose base is URL (default as above) with a #anchor, the
#       runbook_url annotations of DIR/tests/*.yml have the same base, and (with a README: --readme,
#       or DIR/README.md when it exists) every anchor is a heading or an <a id/name> of the README
#       and every section under its "## Runbooks" heading is linked by some alert.
#   scripts/runbook-url.sh --anchors FILE      # the anchors GitHub gives FILE's headings
#   scripts/runbook-url.sh --default-base      # the default BASE
#
# The rule files are read as Farrier writes them: block-style YAML, one rule per "- alert:" or
# "- record:" item, `runbook_url:` on a line of its own under `annotations:`. Anchors follow
# GitHub: the heading's text (link text kept, inline HTML dropped) lowercased, ASCII punctuation
# other than "-" and "_" removed, each space a "-", "-1", "-2", ... for repeats; headings inside
# fenced code are none. Exit status: 0 fine, 1 a check failed, 2 bad usage or input.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "runbook-url: $*" >&2; exit 2; }
# usage [FD [STATUS]]: the comment above, to stderr with status 2 unless told otherwise.
usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&"${1:-2}"
  exit "${2:-2}"
}

# The default BASE from the project() call of the top-level CMakeLists.txt.
default_base() {
  local cmake=$here/../CMakeLists.txt call home version
  [[ -f $cmake ]] || die "no CMakeLists.txt beside scripts/ for the default base: give --base-url"
  call=$(awk '/^[ \t]*project[ \t]*\(/ { on = 1 }
              on { printf "%s ", $0 } on && /\)/ { exit }' "$cmake")
  home=$(sed -n 's/.*HOMEPAGE_URL[ \t][ \t]*"\([^"]*\)".*/\1/p' <<<"$call")
  version=$(sed -n 's/.*[ \t(]VERSION[ \t][ \t]*\([0-9][0-9.]*\).*/\1/p' <<<"$call")
  [[ -n $home && -n $version ]] ||
    die "$cmake: project() has no HOMEPAGE_URL \"...\" or VERSION x.y.z for the default base"
  echo "${home%/}/blob/v$version/alerts/README.md"
}

# A BASE must be an absolute http(s) URL without the fragment (the anchor is added per alert),
# made only of characters a URL may carry unencoded, so that it stays one plain YAML scalar and
# no Prometheus template ({{ }}) can hide in it.
validate_url() {
  local url=$1 rest bad="[^][A-Za-z0-9._~%!\$&'()*+,;=:@/?-]"
  [[ $url == http://* || $url == https://* ]] ||
    die "--base-url '$url': must start with http:// or https://"
  [[ $url != *'#'* ]] ||
    die "--base-url '$url': must not contain '#': each alert adds its own #anchor"
  if [[ $url =~ $bad ]]; then
    die "--base-url '$url': '${BASH_REMATCH[0]}' cannot stand in a URL as it is (percent-encode it)"
  fi
  rest=${url#*://}
  [[ -n ${rest%%[/?]*} ]] || die "--base-url '$url': no host"
}

# Prints "ref<TAB>alert<TAB>file:line<TAB>url" per alert and "err<TAB>file:line<TAB>message" per
# structural fault of the rule files given.
read -r -d '' RULES_AWK <<'AWK' || true
function indent(s) { match(s, /^ */); return RLENGTH }
function unquote(v) {
  sub(/^ +/, "", v); sub(/ +#.*$/, "", v); sub(/ +$/, "", v)
  if (v ~ /^".*"$/ || v ~ /^'.*'$/) v = substr(v, 2, length(v) - 2)
  return v
}
function fault(where, msg) { printf "err\t%s\t%s\n", where, msg; faults++ }
function close_rule() {
  if (kind == "alert") {
    alerts++
    if (n == 0)
      fault(start, "alert " name " has no runbook_url annotation" \
        (wrong != "" ? " (it has " wrong ": the key is runbook_url)" : ""))
    else if (n > 1)
      fault(start, "alert " name " has " n " runbook_url annotations, expected one")
    else
      printf "ref\t%s\t%s\t%s\n", name, url_at, url
  }
  kind = ""; n = 0; wrong = ""
}
FNR == 1 { close_rule(); blk = -1 }
{
  line = $0; sub(/\r$/, "", line)
  if (line ~ /^[ \t]*(#.*)?$/) next
  ind = indent(line)
  if (blk >= 0) { if (ind > blk) next; blk = -1 }        # inside a block scalar (| or >)
  text = substr(line, ind + 1)
  if (text ~ /^- (alert|record):/) {
    close_rule()
    kind = (text ~ /^- alert:/) ? "alert" : "record"
    name = text; sub(/^- [a-z]+:/, "", name); name = unquote(name)
    dash = ind; child = ind + 2; section = ""; start = FILENAME ":" FNR
    next
  }
  if (kind != "" && ind <= dash) close_rule()            # left the rule (next group, ...)
  key = ""
  if (match(text, /^(- )?[A-Za-z0-9_.-]+:( |$)/)) {
    key = substr(text, 1, RLENGTH); sub(/^- /, "", key); sub(/: ?$/, "", key)
    value = substr(text, RLENGTH + 1)
    if (value ~ /^ *[|>][-+0-9]*( +#.*)?$/) blk = ind
  }
  if (kind == "" || key == "") next
  if (ind == child) { section = key; next }
  if (ind < child) next
  if (key == "runbook_url" && section == "annotations") {
    n++; url = unquote(value); url_at = FILENAME ":" FNR
    if (url == "" || url ~ /^[|>]/)
      fault(url_at, "alert " name ": runbook_url must be a URL on the same line")
  } else if (key ~ /^runbook/ && section == "annotations") {
    wrong = key
    fault(FILENAME ":" FNR, "alert " name ": annotation " key " should be runbook_url")
  } else if (key ~ /^runbook/) {
    fault(FILENAME ":" FNR, "alert " name ": " key " under " section \
      ": the runbook link is the annotation runbook_url")
  }
}
END {
  close_rule()
  if (alerts == 0) fault(ARGV[1], "no alert found in the rule files (is this a rules directory?)")
}
AWK

# Prints "<anchor><TAB><line><TAB><level><TAB><in Runbooks: 1|0>" for every heading of a Markdown
# file (level 1-6) and every <a id="..."> / <a name="..."> (level 0).
read -r -d '' ANCHORS_AWK <<'AWK' || true
function slug(t,   m, out, i, c) {
  while (match(t, /!?\[[^]]*\]\([^)]*\)/)) {               # [text](url) -> text
    m = substr(t, RSTART, RLENGTH); sub(/^!?\[/, "", m); sub(/\]\(.*$/, "", m)
    t = substr(t, 1, RSTART - 1) m substr(t, RSTART + RLENGTH)
  }
  gsub(/<[^>]*>/, "", t)
  t = tolower(t); out = ""
  for (i = 1; i <= length(t); i++) {
    c = substr(t, i, 1)
    if (c ~ /[[:punct:]]/ && c != "-" && c != "_") continue
    out = out c
  }
  gsub(/ /, "-", out)
  return out
}
function unique(s,   r) {
  r = s
  while (r in seen) { seen[s]++; r = s "-" seen[s] }
  seen[r] = 0
  return r
}
{
  line = $0; sub(/\r$/, "", line)
  if (fence != "") {                                        # inside fenced code: no headings
    t = line; sub(/^ ? ? ?/, "", t); sub(/[ \t]+$/, "", t)
    if (substr(t, 1, length(fence)) == fence && t ~ ("^" substr(fence, 1, 1) "+$")) fence = ""
    next
  }
  if (match(line, /^ ? ? ?(```|~~~)/)) {
    t = substr(line, RLENGTH - 2); c = substr(t, 1, 1); fence = ""
    while (substr(t, 1, 1) == c) { fence = fence c; t = substr(t, 2) }
    next
  }
  if (match(line, /^ ? ? ?#+( |\t|$)/)) {
    t = line; sub(/^ */, "", t)
    level = 0; while (substr(t, 1, 1) == "#") { level++; t = substr(t, 2) }
    if (level <= 6) {
      sub(/^[ \t]+/, "", t); sub(/[ \t]+#+[ \t]*$/, "", t)   # the closing #s
      sub(/^#+[ \t]*$/, "", t); sub(/[ \t]+$/, "", t)
      if (t == "") next                                     # an empty heading has no anchor
      if (level <= 2) runbooks = (level == 2 && tolower(t) == "runbooks")
      printf "%s\t%d\t%d\t%d\n", unique(slug(t)), NR, level, (runbooks && level == 3)
    }
  }
  t = line
  while (match(t, /<a [^>]*(id|name)="[^"]*"/)) {
    m = substr(t, RSTART, RLENGTH); t = substr(t, RSTART + RLENGTH)
    sub(/^.*(id|name)="/, "", m); sub(/"$/, "", m)
    printf "%s\t%d\t0\t0\n", m, NR
  }
}
AWK

# --check: the rule files of $1 against the base $2 (none: any base) and the README $3 (none:
# anchors only required to be there). Prints every fault, returns 1 if there was one.
check() {
  local dir=$1 base=$2 readme=$3 faults=0 stale=0 refs=0 files=() tests=()
  local kind alert where url anchor file line text runbook
  local -A anchors=() linked=()
  shopt -s nullglob
  files=("$dir"/*.yml)
  tests=("$dir"/tests/*.yml)
  shopt -u nullglob
  ((${#files[@]})) || die "$dir: no *.yml rule files"
  if [[ -n $readme ]]; then
    [[ -f $readme ]] || die "$readme: no such README"
    while IFS=$'\t' read -r anchor _; do
      anchors[$anchor]=1
    done < <(awk "$ANCHORS_AWK" "$readme")
  fi
  while IFS=$'\t' read -r kind alert where url; do
    if [[ $kind == err ]]; then                 # err <file:line> <message>
      echo "$alert: $where"; faults=1; continue
    fi
    if [[ $url != *'#'* || -z ${url#*#} ]]; then
      echo "$where: alert $alert: runbook_url $url has no #anchor"; faults=1; continue
    fi
    anchor=${url#*#}
    linked[$anchor]=1
    refs=$((refs + 1))
    if [[ -n $base && ${url%%#*} != "$base" ]]; then
      echo "$where: alert $alert: runbook_url base ${url%%#*} is not $base"; faults=1 stale=1
    fi
    if [[ -n $readme && -z ${anchors[$anchor]:-} ]]; then
      echo "$where: alert $alert: #$anchor is no heading or anchor of $readme"; faults=1
    fi
  done < <(awk "$RULES_AWK" "${files[@]}")
  if [[ -n $base ]] && ((${#tests[@]})); then
    while IFS=: read -r file line text; do
      url=$(sed 's/^[^:]*runbook_url:[ \t]*//; s/^["'\'']//; s/["'\''][ \t]*$//' <<<"$text")
      [[ ${url%%#*} == "$base" ]] ||
        { echo "$file:$line: runbook_url base ${url%%#*} is not $base"; faults=1 stale=1; }
    done < <(grep -Hn '^[ \t]*runbook_url:' "${tests[@]}" || true)
  fi
  if [[ -n $readme ]]; then
    while IFS=$'\t' read -r anchor line _ runbook; do
      [[ $runbook == 1 && -z ${linked[$anchor]:-} ]] || continue
      echo "$readme:$line: runbook section #$anchor is linked by no alert" \
        "(orphaned: remove it, or fix the alert's anchor)"
      faults=1
    done < <(awk "$ANCHORS_AWK" "$readme")
  fi
  if ((faults)); then
    ((!stale)) || echo "(to point every runbook_url at $base:" \
      "scripts/runbook-url.sh --base-url $base --in $dir --out $dir)"
    return 1
  fi
  echo "runbook-url: each of the $refs alerts of $dir/*.yml links one runbook${base:+ at $base}" \
    "${readme:+(a section of $readme; every section under its Runbooks is linked)}"
}

# Rewrites the rule files of $1 (and $1/tests) into $2 with the base $3.
rewrite() {
  local in=$1 out=$2 base=$3 files=() f rel tmp replacement
  shopt -s nullglob
  files=("$in"/*.yml "$in"/tests/*.yml)
  shopt -u nullglob
  ((${#files[@]})) || die "$in: no *.yml rule files"
  # The input must be sound first: one runbook_url with an #anchor per alert.
  if ! check "$in" "" "" >/dev/null; then
    check "$in" "" "" >&2 || true
    die "$in: fix the runbook_url annotations above first"
  fi
  mkdir -p "$out" || die "cannot create $out"
  [[ ! -d $in/tests ]] || mkdir -p "$out/tests"
  if [[ $(cd "$out" && pwd -P) == "$(cd "$in" && pwd -P)" ]]; then
    echo "runbook-url: rewriting $in in place (--out is --in)"
  fi
  replacement=${base//&/\\&}
  for f in "${files[@]}"; do
    rel=${f#"$in"/}
    tmp=$out/.runbook-url.$$.$RANDOM      # not mktemp: its 0600 would stay on the rule file
    sed -E "s|^([[:space:]]*runbook_url:[[:space:]]*[\"']?)[^#\"'[:space:]]*#|\1$replacement#|" \
      "$f" >"$tmp"
    mv "$tmp" "$out/$rel"
  done
  if ! check "$out" "$base" "" >/dev/null; then
    check "$out" "$base" "" >&2 || true
    die "the rewritten files in $out are not right (a bug of this script)"
  fi
  echo "runbook-url: ${#files[@]} files written to $out, runbook_url = $base#<anchor>"
}

mode=rewrite base='' in='' out='' readme='' readme_given=0
while (($#)); do
  case $1 in
    --check) mode=check; shift ;;
    --anchors) (($# >= 2)) || usage; mode=anchors; readme=$2; shift 2 ;;
    --default-base) mode=default; shift ;;
    --base-url) (($# >= 2)) || usage; base=$2; [[ -n $base ]] || die "--base-url: empty"; shift 2 ;;
    --in) (($# >= 2)) || usage; in=${2%/}; shift 2 ;;
    --out) (($# >= 2)) || usage; out=${2%/}; shift 2 ;;
    --readme) (($# >= 2)) || usage; readme=$2; readme_given=1; shift 2 ;;
    -h | --help) usage 1 0 ;;
    *) echo "runbook-url: unknown argument '$1'" >&2; usage ;;
  esac
done

case $mode in
  default) default_base ;;
  anchors)
    [[ -f $readme ]] || die "$readme: no such file"
    awk "$ANCHORS_AWK" "$readme" | cut -f1 ;;
  check | rewrite)
    [[ -n $base ]] || base=$(default_base)
    validate_url "$base"
    in=${in:-$(cd "$here/.." && pwd)/alerts}
    [[ -d $in ]] || die "--in $in: no such directory"
    if [[ $mode == check ]]; then
      if ((!readme_given)) && [[ -f $in/README.md ]]; then readme=$in/README.md; fi
      [[ -z $out ]] || die "--out goes with the rewrite, not --check"
      check "$in" "$base" "$readme"
    else
      ((!readme_given)) || die "--readme goes with --check"
      rewrite "$in" "${out:-farrier-alerts}" "$base"
    fi ;;
esac
