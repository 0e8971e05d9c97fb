#!/usr/bin/env bash
# Runs the examples reported in docs/results.md on the embedded SpamAssassin data: trains the
# baseline (examples/baseline.yaml, once), starts nasq-server and one nasq-worker, submits each
# study, waits for it and writes its trials table (.txt) and CSV to the output folder.
#
# On a CPU the studies that train are cut down: 64 tokens per e-mail instead of 128, fewer
# trials, and for the studies that train from scratch 2,000 of the 6,046 e-mails (a
# checkpoint's studies keep every e-mail, so their test split is the baseline's);
# NASQ_RESULTS_FULL=1 runs the files as they are (for a GPU worker). The reduced specs are written next to the results, so every
# number in docs/results.md traces back to the exact YAML that produced it.
# Environment: BUILD_DIR (default build), OUT_DIR (out/results), NASQ_DEVICE (cpu),
# NASQ_RESULTS_PORT (50161), NASQ_RESULTS_ONLY (space-separated example names; default all).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
out=${OUT_DIR:-out/results}
device=${NASQ_DEVICE:-cpu}
export NASQ_SERVER=127.0.0.1:${NASQ_RESULTS_PORT:-50161}
nasq="$build_dir/cli/nasq"
worker="$build_dir/worker/app/nasq-worker"
mkdir -p "$out"
rm -f "$out"/nasq.db*

if [ ! -f baselines/bert-tiny-spam/model.safetensors ]; then
  echo "== training the baseline (examples/baseline.yaml)"
  /usr/bin/time -f "baseline: %e s" "$worker" --once --task examples/baseline.yaml \
    --device "$device" >"$out/baseline.json" 2>"$out/baseline.log"
  tail -n 1 "$out/baseline.log"
fi

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$build_dir/server/nasq-server" --db "$out/nasq.db" --listen "$NASQ_SERVER" >"$out/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do "$nasq" study list >/dev/null 2>&1 && break; sleep 0.2; done
"$worker" --device "$device" >"$out/worker.log" 2>&1 &
pids+=($!)

# run EXAMPLE [SED-EXPRESSION...]: submits examples/EXAMPLE.yaml (edited by the expressions
# unless NASQ_RESULTS_FULL=1), waits for the study and saves its trials.
run() {
  local example=$1
  shift
  case " ${NASQ_RESULTS_ONLY:-$example} " in *" $example "*) ;; *) return 0 ;; esac
  local spec="$out/$example.yaml"
  if [ "${NASQ_RESULTS_FULL:-0}" = 1 ] || [ $# -eq 0 ]; then
    cp "examples/$example.yaml" "$spec"
  else
    local args=()
    for expression in "$@"; do args+=(-e "$expression"); done
    sed "${args[@]}" "examples/$example.yaml" >"$spec"
  fi
  local study
  study=$(sed -n 's/^name: *//p' "$spec" | head -n 1)
  echo "== $study ($spec)"
  local start=$SECONDS
  "$nasq" study create "$spec" >/dev/null
  "$nasq" watch "$study" >"$out/$example.watch.log"
  "$nasq" trials "$study" -f table | tee "$out/$example.txt"
  "$nasq" export "$study" --format csv --out "$out/$example.csv"
  echo "$study: $((SECONDS - start)) s" | tee -a "$out/durations.txt"
}

short='s/dataset: {name: spam-assassin, max_length: 128}/dataset: {name: spam-assassin, max_length: 64}/'
small='s/dataset: {name: spam-assassin, max_length: 128}/dataset: {name: spam-assassin, max_length: 64, max_examples: 2000}/'
trials() { echo "s/^max_trials: .*/max_trials: $1/"; }
run 01-ptq-width-sweep
run 02-qat-width-sweep "$short"
run 04-pruning-sweep "$short" "$(trials 10)" \
  's/prune.sparsity: {type: float, low: 0.1, high: 0.9, step: 0.1}/prune.sparsity: {type: float, low: 0.1, high: 0.9, step: 0.2}/'
run 05-nas-tpe "$small" "$(trials 20)"
run 06-compression-aware-nas "$small" "$(trials 10)"
run 06-compression-aware-nas-finetune "$small" "$(trials 10)"
run 07-mixed-precision-layers "$short" "$(trials 10)"
