#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan+UBSan, its own build directory) and
# fuzzes each for FUZZ_SECONDS, starting from its seed corpus (real captures, the JSON examples of docs/).
# Exits non-zero when any target crashes, leaks, hits undefined behaviour, runs out of memory or
# time on one input; the message names the saved input and how to replay it.
#
#   FUZZ_SECONDS    seconds per target (default 20)
#   FUZZ_JOBS       targets fuzzed at once (default: nproc)
#   FUZZ_TARGETS    names to run, e.g. "connz config" (default: all, see tests/fuzz/CMakeLists.txt)
#   FUZZ_BUILD_DIR  build directory (default build-fuzz)
#
# Inputs found along the way are kept in <build>/tests/fuzz/corpus/<name> for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh --clang
# shellcheck source=sanitize-env.sh
source scripts/sanitize-env.sh

build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-$(nproc)}
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFARRIER_FUZZ=ON >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target fuzzers

fuzz_dir=$build_dir/tests/fuzz
dict=$(pwd)/tests/fuzz/json.dict
targets=${FUZZ_TARGETS:-$(cd "$fuzz_dir/seeds" && echo *)}
mkdir -p "$fuzz_dir/logs"

# Fuzzes one target; its output goes to logs/<name>.log.
fuzz_one() {
  local name=$1
  local corpus=$fuzz_dir/corpus/$name artifacts=$fuzz_dir/artifacts/$name
  mkdir -p "$corpus" "$artifacts"
  # -timeout: one input taking 10 s is a hang (the parsers take microseconds). -rss_limit_mb:
  # far above what a 1 MB input can legitimately cost. New inputs go to the first directory.
  "$fuzz_dir/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -dict="$dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "$corpus" "$fuzz_dir/seeds/$name" </dev/null >"$fuzz_dir/logs/$name.log" 2>&1
}

declare -A running=()  # pid -> target name
failed=()
report() {  # name exit-code
  local name=$1 code=$2 log=$fuzz_dir/logs/$1.log
  if ((code == 0)); then
    echo "fuzz_$name: ok, $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') inputs in ${seconds}s"
    return
  fi
  failed+=("$name")
  local input
  input=$(grep -o 'Test unit written to .*' "$log" | tail -n 1 | sed 's/^Test unit written to //')
  {
    echo "fuzz_$name: FAILED (exit $code)${input:+: input $input}"
    grep -m 1 -E 'ERROR: |runtime error: |==[0-9]+== ?ERROR|error without|deadly signal' "$log" || true
    echo "  log: $log"
    [[ -n $input ]] && echo "  replay: $fuzz_dir/fuzz_$name $input"
  } >&2
}

started=$(date +%s)
for name in $targets; do
  [[ -x $fuzz_dir/fuzz_$name ]] || { echo "fuzz.sh: no target fuzz_$name" >&2; exit 2; }
  while ((${#running[@]} >= jobs)); do
    code=0
    wait -n -p done_pid "${!running[@]}" || code=$?
    report "${running[$done_pid]}" "$code"
    unset "running[$done_pid]"
  done
  fuzz_one "$name" &
  running[$!]=$name
done
while ((${#running[@]} > 0)); do
  code=0
  wait -n -p done_pid "${!running[@]}" || code=$?
  report "${running[$done_pid]}" "$code"
  unset "running[$done_pid]"
done
echo "fuzz.sh: $(wc -w <<<"$targets") targets, ${seconds}s each, $((jobs)) at once: $(($(date +%s) - started))s of fuzzing"
if ((${#failed[@]})); then
  echo "fuzz.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
