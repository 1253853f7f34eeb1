#!/usr/bin/env bash
# Installs the validator's npm packages (package-lock.json, exact versions and integrity hashes)
# into a work directory in the build tree, never into the source tree, and copies the script
# next to them (ES modules resolve packages from the importing file's directory).
# Skips `npm ci` when the work directory already holds this exact lock file's packages.
#
# usage: npm_install.sh <tests/manifests source dir> <work dir>
set -euo pipefail
src=$1
work=$2
for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "npm_install.sh: $tool not found on PATH; node >= 18 and npm are needed (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
done
mkdir -p "$work"
cp "$src/package.json" "$src/package-lock.json" "$work/"
stamp=$work/node_modules/.farrier-installed-lock
if [[ -f $stamp ]] && cmp -s "$src/package-lock.json" "$stamp"; then
  echo "npm packages already installed in $work"
  exit 0
fi
cd "$work"
# npm trusts only its bundled CAs unless told otherwise; use the system store (ca-certificates,
# plus any CA the machine's administrator added there, e.g. for an egress proxy) when present.
if [[ -z ${npm_config_cafile:-} && -f /etc/ssl/certs/ca-certificates.crt ]]; then
  export npm_config_cafile=/etc/ssl/certs/ca-certificates.crt
fi
# --loglevel=error: the kubernetes-models packages declare engines node >= 22 but run on the
# node 18 and 20 tested here; npm's EBADENGINE warnings would only be noise.
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
echo "npm packages installed in $work ($(node --version), npm $(npm --version))"
