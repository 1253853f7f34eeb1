#!/usr/bin/env bash
# Checks that the C++ sources (git ls-files '*.cc' '*.h', minus tests/fixtures) are formatted as
# .clang-format says, with clang-format 14 (Debian 12: apt-get install clang-format-14); other
# major versions format differently, so they are not used. Exits 1 naming the files that differ.
#
#   scripts/check-format.sh          # check; run from anywhere in the repository
#   scripts/check-format.sh --fix    # reformat those files in place (clang-format -i), then review the diff
set -euo pipefail
cd "$(dirname "$0")/.."

cf=clang-format-14
if ! command -v "$cf" >/dev/null; then
  cf=clang-format
  if ! command -v "$cf" >/dev/null || ! "$cf" --version | grep -q 'version 14\.'; then
    echo "clang-format-14 is needed (apt-get install clang-format-14)" >&2
    exit 1
  fi
fi

mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^tests/fixtures/')

if [[ "${1:-}" == --fix ]]; then
  "$cf" -i "${files[@]}"
  exit 0
fi

if ! out=$("$cf" --dry-run --Werror "${files[@]}" 2>&1); then
  bad=$(grep -oP '^[^:]+(?=:\d+:\d+: error: code should be clang-formatted)' <<<"$out" | sort -u)
  echo "${bad:-$out}" >&2
  echo "not formatted as .clang-format says; fix with scripts/check-format.sh --fix" >&2
  exit 1
fi
echo "format: ${#files[@]} files OK"
