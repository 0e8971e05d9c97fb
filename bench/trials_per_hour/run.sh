#!/usr/bin/env bash
# Trials per hour of a 16-trial mixed-precision study (study.yaml) on the embedded SpamAssassin
# data: nasq with workers training one trial at a time (solo, K = 1) and fused (`nasq-worker
# --fuse K`, K > 1), against the same trials as a Python loop (python_loop.py: PyTorch from the
# wheel plus Optuna). Each nasq mode runs on a fresh nasq-server (temporary SQLite file, a free
# loopback port) with --workers nasq-workers (default 1); its wall time runs from `nasq study create` until the
# study is COMPLETED (the grid exhausted), worker start-up and data preparation included. The
# Python loop's wall time is its whole process (imports included; the token ids are exported
# beforehand by trials_per_hour_export_tokens, the worker's own data preparation). Prints each
# trial's accuracy per mode, then the table (mode, trials, wall s, trials/hour, ratio against the
# Python loop, mean accuracy), also written to BUILD_DIR/trials_per_hour/results.txt.
#
# Usage: bench/trials_per_hour/run.sh [--device cpu|cuda:0] [--quick] [--fuse-list "1 2 4 8"]
#                                     [--threads N] [--workers N] [--no-python]
#   --quick      4 trials (the first two params) on dataset.max_examples 600 (quick_spec.py)
#   --fuse-list  the nasq modes, K per worker (1 = solo); default "1 2 4 8". A K > 1 with a worker
#                that has no --fuse prints "fused: not available in this build" and is skipped.
#   --threads    LibTorch threads of each worker and of the Python loop (default 0: all cores for
#                the Python loop, the cores divided among the workers for nasq)
#   --workers    nasq-workers per nasq mode, all on this machine and one server (default 1): the
#                way a nasq user fills a machine, which a single-process Python loop cannot
#   --no-python  skip the Python loop
# Needs (it builds nothing): BUILD_DIR (default build) with the targets nasq-server nasq
# nasq-worker trials_per_hour_export_tokens, build/venv (scripts/python-env.sh) and, for the
# Python loop, BUILD_DIR/venv-torch (bench/trials_per_hour/make_torch_venv.sh). Elsewhere (the
# GPU machine) NASQ_BENCH_PYTHON names the helpers' Python (PyYAML for --quick) and
# NASQ_BENCH_TORCH_PYTHON the Python loop's (torch, PyYAML and Optuna).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${BUILD_DIR:-$root/build}" && pwd)"

device=cpu quick=0 fuse_list="1 2 4 8" threads=0 workers=1 with_python=1
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --fuse-list) fuse_list="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --no-python) with_python=0; shift ;;
    *) echo "run.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

server="$build/server/nasq-server" nasq="$build/cli/nasq" worker="$build/worker/app/nasq-worker"
export_tokens="$build/bench/trials_per_hour/trials_per_hour_export_tokens"
py="${NASQ_BENCH_PYTHON:-$build/venv/bin/python3}"
torch_py="${NASQ_BENCH_TORCH_PYTHON:-$build/venv-torch/bin/python3}"
for binary in "$server" "$nasq" "$worker" "$export_tokens" "$py"; do
  if [ ! -x "$binary" ]; then
    echo "run.sh: $binary is missing; build it first:" >&2
    echo "  scripts/python-env.sh && cmake --build $build --target nasq-server nasq nasq-worker trials_per_hour_export_tokens" >&2
    exit 1
  fi
done
if [ "$with_python" = 1 ] && [ ! -x "$torch_py" ]; then
  echo "run.sh: $torch_py is missing: run bench/trials_per_hour/make_torch_venv.sh (or pass --no-python)" >&2
  exit 1
fi

out="$build/trials_per_hour"
work=$(mktemp -d)
mkdir -p "$out"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

spec="$here/study.yaml"
if [ "$quick" = 1 ]; then
  spec="$work/study-quick.yaml"
  "$py" "$here/quick_spec.py" "$here/study.yaml" "$spec"
fi
study=$(sed -n 's/^name: *//p' "$spec" | head -n 1)

# One nasq mode: fresh server and worker, wall time from study creation to COMPLETED.
# Sets `wall` and writes $out/nasq-k$1.json (the trials).
run_nasq() {
  local k=$1 port db="$work/nasq-k$1.db"
  port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export NASQ_SERVER=127.0.0.1:$port
  "$server" --db "$db" --listen "$NASQ_SERVER" >"$out/server-k$k.log" 2>&1 &
  local server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 100); do "$nasq" study list >/dev/null 2>&1 && break; sleep 0.1; done
  local fuse=()
  [ "$k" -gt 1 ] && fuse=(--fuse "$k")
  local start
  start=$(date +%s.%N)
  "$nasq" study create "$spec" >/dev/null
  local worker_pids=() w
  for w in $(seq "$workers"); do
    "$worker" --device "$device" --threads "$worker_threads" "${fuse[@]}" \
      >"$out/worker-k$k-$w.log" 2>&1 &
    worker_pids+=($!)
  done
  pids+=("${worker_pids[@]}")
  while ! "$nasq" study list -f json | "$py" -c '
import json, sys
sys.exit(not any(s["name"] == sys.argv[1] and s["state"] == "COMPLETED" for s in json.load(sys.stdin)))
' "$study"; do
    for pid in "${worker_pids[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "run.sh: a nasq-worker (K=$k) exited before the study completed; see $out/worker-k$k-*.log" >&2
        exit 1
      fi
    done
    sleep 0.5
  done
  wall=$("$py" -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)")
  "$nasq" trials "$study" -f json >"$out/nasq-k$k.json"
  kill -TERM "${worker_pids[@]}" "$server_pid"
  wait "${worker_pids[@]}" "$server_pid" 2>/dev/null || true
}

worker_threads=$threads
if [ "$threads" = 0 ] && [ "$workers" -gt 1 ]; then
  worker_threads=$(( $(nproc) / workers > 0 ? $(nproc) / workers : 1 ))
fi
report_args=()
setup="$(nproc) cores, device $device; nasq: $workers worker(s) of $worker_threads threads each"
notes=("Study: $spec ($setup; Python loop: $threads threads; 0 = all cores)"
  "uptime before: $(uptime)")
for k in $fuse_list; do
  if [ "$k" -gt 1 ] && ! "$worker" --help 2>&1 | grep -q -- '--fuse'; then
    echo "fused (K=$k): not available in this build"
    notes+=("fused (K=$k): not available in this build")
    continue
  fi
  label="nasq solo"
  [ "$k" -gt 1 ] && label="nasq fused K=$k"
  [ "$workers" = 1 ] || label="$label, $workers workers"
  echo "== $label ..."
  run_nasq "$k"
  echo "== $label: $(printf '%.1f' "$wall") s"
  report_args+=(--nasq "$label" "$wall" "$out/nasq-k$k.json")
done

if [ "$with_python" = 1 ]; then
  echo "== Python loop: exporting nasq's token ids ..."
  "$export_tokens" "$spec" "$work/tokens"
  echo "== Python loop ..."
  "$torch_py" "$here/python_loop.py" --spec "$spec" --tokens "$work/tokens" \
    --out "$out/python.json" --device "$device" --threads "$threads"
  report_args+=(--python "$out/python.json")
fi
notes+=("uptime after: $(uptime)")
note_args=()
for note in "${notes[@]}"; do note_args+=(--note "$note"); done
echo
"$py" "$here/report.py" --out "$out/results.txt" "${report_args[@]}" "${note_args[@]}"
