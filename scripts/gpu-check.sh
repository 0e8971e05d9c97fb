#!/usr/bin/env bash
# scripts/gpu-check.sh: builds, tests and benches nasq on a GPU machine in one go (under 10
# minutes on 16 cores), for a machine that has python3 with a CUDA PyTorch, a C++ compiler, and
# neither gRPC/protobuf C++ nor internet. docs/gpu.md describes the session.
#
#   scripts/gpu-check.sh fetch   (here, with apt) downloads the Debian .debs of the build's C++
#                                dependencies and tools and their libraries into build/gpu-debs/
#   scripts/gpu-check.sh run [--cpu-dry-run]
#                                (on the GPU machine) unpacks the .debs with dpkg -x into a prefix
#                                (/opt/deps; the dry run: a temp folder under build/), configures
#                                build-gpu/ with NASQ_TORCH_DIR = the torch folder of $PYTHON
#                                (default python3) and NASQ_TORCH_CUDA=ON, builds the worker, the
#                                server, the worker tests and the train-step bench with all cores,
#                                runs the *_CUDA tests, the worker tests, the train-step bench on
#                                cuda:0 and bench/trials_per_hour/run.sh --device cuda:0 --quick
#                                (when that file exists), and prints a table of the steps last.
#
# --cpu-dry-run runs the same steps on a CPU machine (device cpu, CUDA tests skipped,
# NASQ_TORCH_CUDA=AUTO) to prove the build-from-debs path. Each step has a time limit; a failed
# step is reported in the table and the script exits non-zero at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
debs_dir=build/gpu-debs

# What the build needs (scripts/install-deps.sh's C++ libraries and tools), and the packages of
# their dependency closure that a machine has already or that must not shadow the host's (libc,
# libstdc++, the compiler's runtimes, perl, init).
packages=(
  libsqlite3-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libboost-dev libssl-dev libgtest-dev libgmock-dev libyaml-cpp-dev nlohmann-json3-dev
  libcli11-dev libspdlog-dev libfmt-dev libabsl-dev libre2-dev libicu-dev
  cmake ninja-build pkgconf
)
host_packages='^(libc6|libc6-dev|libc-dev-bin|libcrypt1|libcrypt-dev|libgcc-s1|libgcc-[0-9]+-dev|libstdc\+\+6|libstdc\+\+-[0-9]+-dev|gcc-[0-9]+-base|lib(asan|lsan|tsan|ubsan|itm|atomic|quadmath|gomp)[0-9]+|linux-libc-dev|dpkg|tar|perl|perl-base|perl-modules-.*|libperl.*|lib.*-perl|init-system-helpers|usrmerge|usr-is-merged|procps|libproc2-.*|libselinux1|libsystemd0|libelogind0|libnsl.*|libtirpc.*|rpcsvc-proto|libacl1|libmd0|libcap2|libpcre2-.*|libgdbm.*|libdb5\.3|libtinfo6|libncursesw6)$'

fetch() {
  local closure
  closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
              --no-replaces --no-enhances "${packages[@]}" |
            grep -v -e '^ ' -e '^<' -e ':' | sort -u | grep -Ev "$host_packages")
  rm -rf "$debs_dir" && mkdir -p "$debs_dir"
  # shellcheck disable=SC2086
  (cd "$debs_dir" && apt-get download -q $closure) || return 1
  echo "gpu-check: $(ls "$debs_dir" | wc -l) .debs, $(du -sh "$debs_dir" | cut -f1) in $debs_dir"
  scripts/fetch-data.sh
}

# Results, one row a step: name, status, seconds, note.
rows=()
failed=0
step() {  # step <name> <limit seconds> <command...>: runs it, logs to build-gpu/logs/<name>.log
  local name=$1 limit=$2
  shift 2
  local log=$build/logs/$name.log start=$SECONDS status=ok
  echo "== $name" >&2
  if ! timeout "$limit" "$@" >"$log" 2>&1; then
    status=FAIL
    failed=1
    tail -n 20 "$log" >&2
  fi
  rows+=("$name|$status|$((SECONDS - start))|${note:-}")
  note=
}
skip() { rows+=("$1|skipped|0|$2"); }

run() {
  local dry=0
  [[ ${1:-} == --cpu-dry-run ]] && dry=1 && shift
  [[ $# -eq 0 ]] || { echo "usage: $0 run [--cpu-dry-run]" >&2; return 2; }
  compgen -G "$debs_dir/*.deb" >/dev/null || { echo "gpu-check: no .debs in $debs_dir" \
    "(run scripts/gpu-check.sh fetch first)" >&2; return 1; }
  command -v c++ >/dev/null || { echo "gpu-check: no C++ compiler (c++)" >&2; return 1; }
  local python=${PYTHON:-python3} torch_dir device=cuda cuda=ON prefix=/opt/deps
  if ((dry)); then
    device=cpu cuda=AUTO prefix=$PWD/build/gpu-check-prefix
  fi
  torch_dir=$("$python" -c 'import torch, os; print(os.path.dirname(torch.__file__))') ||
    { echo "gpu-check: $python has no torch" >&2; return 1; }
  build=build-gpu
  mkdir -p "$build/logs"

  local start=$SECONDS
  rm -rf "$prefix" && mkdir -p "$prefix"
  for deb in "$debs_dir"/*.deb; do dpkg -x "$deb" "$prefix"; done
  rows+=("unpack debs|ok|$((SECONDS - start))|$(ls "$debs_dir" | wc -l) .debs into $prefix")
  local lib=$prefix/usr/lib/x86_64-linux-gnu
  export PATH=$prefix/usr/bin:$PATH
  export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export PKG_CONFIG_LIBDIR=$lib/pkgconfig:$prefix/usr/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=$prefix

  note="torch $("$python" -c 'import torch; print(torch.__version__)')"
  step configure 120 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix/usr" -DNASQ_TORCH_DIR="$torch_dir" -DNASQ_TORCH_CUDA=$cuda \
    -DNASQ_BUILD_DASHBOARD=OFF -DPython3_EXECUTABLE="$(command -v "$python")"
  note="$(nproc) cores"
  step build 420 cmake --build "$build" -j"$(nproc)" --target nasq-worker nasq-server nasq \
    trials_per_hour_export_tokens tests/worker/all train_step_bench
  if ((dry)); then
    skip "CUDA tests" "--cpu-dry-run"
  else
    # Some worker tests are one ctest entry per executable (nasq_test ONE_ENTRY): filter in gtest.
    step "CUDA tests" 120 bash -c 'for t in $(find "$1/tests/worker" -type f -executable \
      -name "*_test"); do "$t" --gtest_filter="*_CUDA*" || exit 1; done' _ "$build"
  fi
  step "worker tests" 300 ctest --test-dir "$build/tests/worker" -j"$(nproc)" --output-on-failure
  step "train step" 120 "$build/bench/train_step/train_step_bench" --device "$device" \
    --python "$python" --threads "$(nproc)"
  rows[-1]="${rows[-1]}$(grep -h "^ratio" "$build/logs/train step.log" | tr -s ' ')"  # nasq/Python
  # The bench's helpers need PyYAML (--quick writes a spec), its Python loop Optuna as well.
  local tph=(--device "$device:0" --quick)
  if ! "$python" -c 'import yaml' 2>/dev/null; then
    skip "trials per hour" "$python has no PyYAML"
  else
    "$python" -c 'import optuna' 2>/dev/null || tph+=(--no-python)
    step "trials per hour" 240 env BUILD_DIR="$build" NASQ_BENCH_PYTHON="$python" \
      NASQ_BENCH_TORCH_PYTHON="$python" bench/trials_per_hour/run.sh "${tph[@]}"
    [[ $device == cpu ]] && rows[-1]="${rows[-1]} (device cpu)"
    [[ " ${tph[*]} " == *" --no-python "* ]] && rows[-1]="${rows[-1]} (no Optuna: no Python loop)"
  fi

  echo
  for log in "$build/logs/train step.log" "$build/logs/trials per hour.log"; do
    [[ -f $log ]] && { echo "--- ${log##*/}"; tail -n 12 "$log"; }
  done
  printf '\n%-16s %-8s %6s  %s\n' step status s note
  local row
  for row in "${rows[@]}"; do
    IFS='|' read -r name status seconds text <<<"$row"
    printf '%-16s %-8s %6s  %s\n' "$name" "$status" "$seconds" "$text"
  done
  return "$failed"
}

case ${1:-} in
  fetch) fetch ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 fetch | run [--cpu-dry-run]" >&2; exit 2 ;;
esac
