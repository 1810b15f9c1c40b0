#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with CTest:
#   1. the full build (core, training, annotation, ui, app) and every test;
#   2. core, CLI and state-dict reader tests again under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. a short libFuzzer run of every importer and of the state-dict reader (clang-14).
# Stages can be skipped for a quick local loop: SKIP_SANITIZE=1, SKIP_FUZZ=1.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
jobs=$(nproc)
export QT_QPA_PLATFORM=offscreen

echo "== build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
ctest --test-dir build --output-on-failure -j"$jobs"

if [[ -z "${SKIP_SANITIZE:-}" ]]; then
  echo "== sanitizers (ASan + UBSan): core, CLI and the state-dict reader"
  # Without the training modules (fast), but with the .pth reader alone: it reads files users are sent.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DANNOTRAIN_SANITIZE=ON \
    -DANNOTRAIN_WITH_TORCH=OFF -DANNOTRAIN_WITH_STATE_DICT=ON -DANNOTRAIN_WITH_GUI=OFF >/dev/null
  cmake --build build-asan -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -L 'core|cli|state_dict'
fi

if [[ -z "${SKIP_FUZZ:-}" && -x fuzz/run-smoke.sh ]]; then
  echo "== fuzz smoke"
  fuzz/run-smoke.sh
fi
