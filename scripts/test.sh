#!/usr/bin/env bash
# The README's test command: installs what is needed, builds everything, checks the habits
# (includes against docs/design.md's layering, clang-format, lock annotations and ThreadSanitizer
# over the server and storage tests: scripts/check-layering.py, check-format.sh, sanitize.sh),
# runs every fuzz target briefly (scripts/fuzz.sh, about a minute in all), then runs every test
# with ctest. The pytest suites run in build/venv, which scripts/python-env.sh makes. Then the
# worker's LibTorch tests again against the other LibTorch (the pinned PyPI wheel of
# scripts/torch-wheel.sh) in build-torch2/: only the worker libraries and their tests, no service.
# Usage: scripts/test.sh  (BUILD_DIR overrides the build folder, default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase's wall time is printed when it ends and all of them at the end, so that a slow CI run
# shows where its time went (CI runs this on 2 cores; keep the whole run near 40 minutes).
timings=()
phase() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  timings+=("$(printf '%-16s %5d s' "$name" $((SECONDS - start)))")
  echo "test.sh: $name took $((SECONDS - start)) s"
}
build_dir=${BUILD_DIR:-build}
phase install-deps scripts/install-deps.sh
phase fetch-data scripts/fetch-data.sh
phase python-env env BUILD_DIR="$build_dir" scripts/python-env.sh
phase checks bash -c 'scripts/check-layering.py && scripts/check-format.sh'
phase configure cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
phase build cmake --build "$build_dir" -j"$(nproc)"
phase sanitize scripts/sanitize.sh
phase fuzz scripts/fuzz.sh --seconds 7
phase ctest ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)"
phase torch-wheel scripts/torch-wheel.sh
phase torch2-build bash -c 'cmake -S . -B build-torch2 -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DNASQ_BUILD_SERVICE=OFF -DNASQ_TORCH_DIR="$(scripts/torch-wheel.sh)" &&
  cmake --build build-torch2 -j"$(nproc)" --target tests/worker/all'
phase torch2-ctest ctest --test-dir build-torch2/tests/worker --output-on-failure -j"$(nproc)"
printf 'test.sh: %s\n' "${timings[@]}" "total            $SECONDS s"
