#!/usr/bin/env bash
# Builds and runs the TPE benchmarks (see bench/tpe/README.md). Arguments are passed to both
# programs, e.g. `bench/tpe/run.sh --quick`. BUILD_DIR overrides the build directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DNASQ_BUILD_WORKER=OFF -DNASQ_BUILD_SERVICE=OFF -DNASQ_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target bench_tpe_quality bench_tpe_speed -j2
"$root/bench/common/make_venv.sh" "$build"
status=0
"$build/bench/tpe/bench_tpe_quality" "$@" || status=$?
echo
"$build/bench/tpe/bench_tpe_speed" "$@" || status=$?
exit "$status"
