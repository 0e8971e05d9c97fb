#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang++-14 with ASan + UBSan, in build-fuzz/) and runs
# each one (as many at a time as there are cores) for a set time or number of inputs, then prints
# executions and crashes per target.
# Exits non-zero when any target crashed (or failed to run). See fuzz/README.md.
#
# Usage: scripts/fuzz.sh [--seconds N | --runs N] [TARGET ...]
#   --seconds N   run each target for N seconds (default 10)
#   --runs N      run each target for N inputs instead (the long run: --runs 1000000)
#   TARGET        fuzzer names without the _fuzzer suffix (default: all), e.g. spec_yaml
# Environment: FUZZ_BUILD_DIR (default build-fuzz), CXX_FUZZ (default clang++-14).
# New coverage goes to $FUZZ_BUILD_DIR/corpus/<target>/ (kept between runs; the seeds in
# fuzz/corpus/ are read, never written) and crashing inputs to $FUZZ_BUILD_DIR/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(spec_yaml spec_json convert task_spec safetensors torch_save wordpiece tabular
  optuna_storage http_query)
# Largest input per target: big enough for the largest seed, small enough to keep every target
# fast.
declare -A max_len=(
  [spec_yaml]=4096 [spec_json]=8192 [convert]=4096 [task_spec]=4096
  [safetensors]=4096 [torch_save]=4096 [wordpiece]=2048 [tabular]=2048
  [optuna_storage]=45056 [http_query]=512
)
# Seed folders beyond fuzz/corpus/<target>.
declare -A extra_seeds=([spec_yaml]=examples)

mode=(-max_total_time=10)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) mode=(-max_total_time="$2"); shift 2 ;;
    --runs) mode=(-runs="$2"); shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [ -n "${max_len[$t]:-}" ] || { echo "fuzz.sh: unknown target $t (${all_targets[*]})" >&2; exit 2; }
done

build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
cxx=${CXX_FUZZ:-clang++-14}
command -v "$cxx" >/dev/null || { echo "fuzz.sh: $cxx not found (scripts/install-deps.sh)" >&2; exit 2; }
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# -O1 -g without NDEBUG: assertions stay on, stacks stay readable.
cmake -S . -B "$build_dir" -G Ninja -DNASQ_BUILD_FUZZ=ON -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" "${launcher[@]}" \
  >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]/%/_fuzzer}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}
# fuzz_target T: runs target T once; writes its table row to $rows_dir/T, and $rows_dir/T.failed
# when it crashed or failed to run.
rows_dir=$(mktemp -d)
trap 'rm -rf "$rows_dir"' EXIT
fuzz_target() {
  local t=$1
  local corpus="$build_dir/corpus/$t" artifacts="$build_dir/artifacts/$t"
  local log="$build_dir/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  local seeds=("fuzz/corpus/$t")
  [ -z "${extra_seeds[$t]:-}" ] || seeds+=("${extra_seeds[$t]}")
  local dict=()
  [ ! -f "fuzz/dict/$t.dict" ] || dict=(-dict="fuzz/dict/$t.dict")
  local before status=ok crashes execs
  before=$(find "$artifacts" -type f | wc -l)
  "$build_dir/fuzz/${t}_fuzzer" "${mode[@]}" -max_len="${max_len[$t]}" -rss_limit_mb=2048 \
    -timeout=30 -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
    "$corpus" "${seeds[@]}" >"$log" 2>&1 || status="FAILED (exit $?)"
  crashes=$(( $(find "$artifacts" -type f | wc -l) - before ))
  # The final stats line, or the last progress line ("#1234 ...") when the run died.
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  printf '%-12s %14s %8s  %s\n' "$t" "${execs:-?}" "$crashes" "$status" >"$rows_dir/$t"
  if [ "$status" != ok ] || [ "$crashes" -gt 0 ]; then
    echo "fuzz.sh: $t: $status, $crashes new crash input(s) in $artifacts; log $log:" >&2
    grep -m 20 -E 'ERROR|runtime error|fuzz check failed|SUMMARY|Test unit written' "$log" >&2 || true
    touch "$rows_dir/$t.failed"
  fi
}

# One target per core at a time (a libFuzzer run is one thread).
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
  fuzz_target "$t" &
done
wait

printf '%-12s %14s %8s  %s\n' target executions crashes status
failed=0
for t in "${targets[@]}"; do
  cat "$rows_dir/$t"
  [ ! -e "$rows_dir/$t.failed" ] || failed=1
done
exit $failed
