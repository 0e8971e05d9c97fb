#!/usr/bin/env bash
# bench/train_step/compare.sh: the BERT-tiny train step with Debian's LibTorch 1.13, with
# LibTorch 2.x from the pinned PyPI wheel (scripts/torch-wheel.sh), and in Python PyTorch 1.13
# (/usr/bin/python3) and 2.x (the pinned torch in the bench venv), in one run. Builds
# train_step_bench in build-libtorch113/ (Debian's LibTorch) and build-torch2/ (the wheel), both
# without the service (the folders scripts/test.sh uses for its LibTorch builds), makes
# build/venv-torch (pip install torch==<pin> numpy: a few GB with the nvidia wheels, for benches
# only), runs the two benches one after the other and
# prints a table with ratios to Python PyTorch 2.x (median ms per step; cpu ms is the robust
# figure on a shared machine with --threads 1).
# Usage: bench/train_step/compare.sh [train_step_bench options, default --threads 1 --steps 20]
set -euo pipefail
cd "$(dirname "$0")/../.."
bench_args=("$@")
[[ ${#bench_args[@]} -gt 0 ]] || bench_args=(--threads 1 --steps 20)

version=$(scripts/torch-wheel.sh --version)
torch_dir=$(scripts/torch-wheel.sh)
venv=build/venv-torch
if [[ ! -x $venv/bin/python3 ]] || ! "$venv/bin/python3" -c "import torch, sys
sys.exit(torch.__version__.split('+')[0] != '$version')" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "torch==$version" numpy
fi

configure() {  # configure <dir> [cmake args]: only what the bench needs
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNASQ_BUILD_SERVICE=OFF "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target train_step_bench >/dev/null
}
configure build-libtorch113 -DNASQ_TORCH_DIR=
configure build-torch2 -DNASQ_TORCH_DIR="$torch_dir"

echo "load before: $(uptime)"
out113=$("build-libtorch113/bench/train_step/train_step_bench" "${bench_args[@]}" --python /usr/bin/python3)
out2=$("build-torch2/bench/train_step/train_step_bench" "${bench_args[@]}" \
  --python "$venv/bin/python3")
echo "load after:  $(uptime)"
echo "$out2" | head -n 1

# Rows "<impl> <wall> <cpu> <torch version>" from the benches' tables.
row() { echo "$1" | awk -v impl="$2" -v name="$3" 'index($0, name) == 1 {
  split(substr($0, length(name) + 1), f, " "); print impl, f[1], f[2], f[3] }'; }
{
  row "$out113" nasq "nasq (C++ LibTorch)"
  row "$out2" nasq "nasq (C++ LibTorch)"
  row "$out113" Python "Python PyTorch"
  row "$out2" Python "Python PyTorch"
} | awk '{ impl[NR] = $1; wall[NR] = $2; cpu[NR] = $3; torch[NR] = $4 }
  END {
    if (NR != 4) { print "compare.sh: a bench failed" > "/dev/stderr"; exit 1 }
    printf "%-8s %-16s %12s %12s %10s %10s\n", "impl", "torch", "wall ms", "cpu ms", "wall/Py2",
           "cpu/Py2"
    for (i = 1; i <= NR; ++i)
      printf "%-8s %-16s %12.2f %12.2f %10.3f %10.3f\n", impl[i], torch[i], wall[i], cpu[i],
             wall[i] / wall[4], cpu[i] / cpu[4]
  }'
