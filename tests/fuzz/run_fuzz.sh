#!/usr/bin/env bash
# Fuzzes the security-descriptor parser, SDDL renderer and access check (target fuzz_sd) for
# SECONDS seconds: configures a clang build with libFuzzer + ASan + UBSan in build/fuzz, runs
# from the seed corpus tests/fuzz/corpus/sd, exits non-zero on a crash, a leak, a sanitizer
# report or a broken invariant. New inputs go to build/fuzz/corpus-sd (the checked-in seeds stay
# untouched); a crashing input is saved under build/fuzz/artifacts/.
#
#   tests/fuzz/run_fuzz.sh 120
set -euo pipefail

seconds=${1:-}
if [[ ! $seconds =~ ^[0-9]+$ || $seconds -lt 1 ]]; then
  echo "usage: $0 SECONDS   (how long to fuzz, e.g. 120)" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build/fuzz
jobs=$(( $(nproc) < 2 ? $(nproc) : 2 ))

command -v clang++ >/dev/null || { echo "run_fuzz: clang++ not found (Debian package clang)" >&2; exit 2; }

echo "run_fuzz: configuring $build with clang"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DADCHECK_FUZZ=ON -DADCHECK_BENCH=OFF >"$build.configure.log" 2>&1 \
  || { cat "$build.configure.log" >&2; echo "run_fuzz: configure failed" >&2; exit 2; }
echo "run_fuzz: building fuzz_sd"
cmake --build "$build" --target fuzz_sd -j"$jobs" \
  || { echo "run_fuzz: build failed" >&2; exit 2; }

mkdir -p "$build/corpus-sd" "$build/artifacts"
echo "run_fuzz: fuzzing for $seconds s"
set +e
"$build/tests/fuzz/fuzz_sd" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix="$build/artifacts/" \
  "$build/corpus-sd" "$root/tests/fuzz/corpus/sd" 2>&1 | tee "$build/last-run.log" | grep -v '^#[0-9].*\(NEW\|REDUCE\|pulse\)'
status=${PIPESTATUS[0]}
set -e
if [[ $status -ne 0 ]]; then
  echo "run_fuzz: FAILED (exit $status); reproducer in $build/artifacts/, log in $build/last-run.log" >&2
  exit 1
fi
echo "run_fuzz: no crash in $seconds s ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$build/last-run.log" | awk '{print $2}') executions)"
