#!/usr/bin/env bash
# README command 2: install what is missing, build, and run every test.
#  1. the ci preset (Release, warnings as errors): unit, integration (real Samba AD DC), e2e
#  2. the sanitize preset (ASan + UBSan): the same suite again
#  3. the descriptor fuzzer for a bounded time (clang, libFuzzer + ASan/UBSan)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash adcheck/install_deps.sh || { echo "run_all: installing packages failed"; exit 2; }
jobs=$(nproc)
status=0

run_preset() {
  local preset=$1
  echo "=== [$preset] configure + build"
  cmake --preset "$preset" >/dev/null || return 1
  cmake --build --preset "$preset" -j"$jobs" || return 1
  echo "=== [$preset] ctest"
  ctest --preset "$preset" -j1 --timeout 1200
}

run_preset ci || status=1
run_preset sanitize || status=1

if [[ -x tests/fuzz/run_fuzz.sh ]]; then
  echo "=== fuzz: security descriptor parser (${ADCHECK_FUZZ_SECONDS:-60} s)"
  tests/fuzz/run_fuzz.sh "${ADCHECK_FUZZ_SECONDS:-60}" || status=1
fi

if ((status)); then echo "run_all: FAILED (see above)"; else echo "run_all: all green"; fi
exit $status
