#!/usr/bin/env bash
# Runs validate.mjs from the work directory prepared by npm_install.sh (copied there first, so
# an edit of the script needs no reconfigure).
#
# usage: run.sh <tests/manifests source dir> <work dir> <mode> <repository root>
set -euo pipefail
src=$1
work=$2
mode=$3
root=$4
cp "$src/validate.mjs" "$work/validate.mjs"
exec node "$work/validate.mjs" "$mode" --root "$root"
