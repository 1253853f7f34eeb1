#!/usr/bin/env bash
# Checks that the folders of exporter/ include only downwards: a file may include headers of its
# own folder and of the folders listed before it here, never of one listed after it. This keeps
# the code free of include cycles between folders (see CONTRIBUTING.md, "Layers").
#
#   core       results, error kinds, JSON field access and scanning, units, files, families
#   transport  the Fetcher interface and its HTTP implementation
#   sources    one file per monitoring endpoint: pure parse and render
#   snapshot   the snapshot, the source table (poll into it, render from it), rendering
#   poll       the background poller
#   web        farrier's own listener
#   services   the NATS client side: probes, micro stats, service-latency events
#   capacity   the capacity model and the scaling signals
#   status     the status page at / and the history of figures it charts
#   config     reads flags, environment and file into the parts' options
#   app        wires everything; samples: the sample worker and load generator
# Exits 1 naming every include that points up.
#
#   scripts/check-layers.sh [EXPORTER_DIR]     # default: the exporter/ next to this script
#   scripts/check-layers.sh --self-test        # a copy with an upward include must fail
set -euo pipefail
if [[ ${1:-} == --self-test ]]; then
  # The check must catch what it is for: a copy of exporter/ with one upward include
  # (core -> config) and one unknown folder must fail and name both; the real tree must pass.
  self=$(readlink -f "$0")
  tree=$(mktemp -d)
  trap 'rm -rf "$tree"' EXIT
  cp -r "$(dirname "$self")/../exporter" "$tree/exporter"
  echo '#include "config/config.h"' >>"$tree/exporter/core/units.h"
  mkdir "$tree/exporter/misc"
  if out=$("$self" "$tree/exporter" 2>&1); then
    echo "check-layers self-test: a tree with an upward include passed" >&2; exit 1
  fi
  grep -q 'core/units.h:.*core includes config' <<<"$out" ||
    { echo "check-layers self-test: the upward include was not named: $out" >&2; exit 1; }
  grep -q 'exporter/misc is not in the list' <<<"$out" ||
    { echo "check-layers self-test: the unknown folder was not named: $out" >&2; exit 1; }
  echo "check-layers self-test: an upward include and an unknown folder are caught"
  exec "$self"
fi
cd "${1:-$(dirname "$0")/../exporter}"
layers=(core transport sources snapshot poll web services capacity status config app samples)
declare -A rank
for i in "${!layers[@]}"; do rank[${layers[i]}]=$i; done
bad=0
for folder in "${layers[@]}"; do
  [[ -d $folder ]] || { echo "check-layers: exporter/$folder is listed but missing" >&2; exit 1; }
  while IFS=: read -r file line text; do
    target=$(sed -n 's/^#include "\([a-z_]*\)\/.*/\1/p' <<<"$text")
    [[ -n $target && $target != "$folder" ]] || continue
    if [[ -z ${rank[$target]:-} ]]; then
      echo "exporter/$file:$line: includes a folder check-layers.sh does not know: $text"
      bad=1
    elif ((rank[$target] > rank[$folder])); then
      echo "exporter/$file:$line: $folder includes $target, which sits above it: $text"
      bad=1
    fi
  done < <(grep -rn '^#include "' "$folder" --include='*.h' --include='*.cc')
done
for dir in */; do
  dir=${dir%/}
  [[ -n ${rank[$dir]:-} ]] || { echo "check-layers: exporter/$dir is not in the list of layers" >&2; bad=1; }
done
((bad == 0)) && echo "check-layers: ${#layers[@]} layers, every include points down"
exit "$bad"
