#!/usr/bin/env bash
# bench/pruners/real_study.sh: the real-study half of the pruner benchmark. Starts nasq-server on
# a fresh SQLite file and WORKERS nasq-workers, then runs the same small study of tiny BERTs on
# the embedded SpamAssassin data twice, without a pruner and with ASHA (successive_halving,
# min_resource 10 steps, Optuna's reduction factor 4), one after the other, and prints for each
# the training steps spent, the training seconds and the best final accuracy, and the ratios.
#
# Steps of a trial = the last optimizer step at which it was evaluated (task option
# evaluate_every_steps, stored per report as user attr "intermediate/<step>"): for a complete
# trial its last evaluation, within evaluate_every_steps of its end; for a pruned one the step
# at which it was pruned. Training seconds = the trials' train_seconds metric (pruned trials
# keep it). One study per pruner, so the best values are single runs, not medians over seeds.
#
# Environment: BUILD_DIR (build), OUT_DIR (out/pruner-bench), WORKERS (2), TRIALS (16),
# NASQ_BENCH_PORT (50161), NASQ_DEVICE (cpu), SEED (0: the TPE sampler's).
# Needs the embedded data (scripts/fetch-data.sh) and python3. Stops its processes on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=${BUILD_DIR:-build}
out=${OUT_DIR:-out/pruner-bench}
workers=${WORKERS:-2}
trials=${TRIALS:-16}
seed=${SEED:-0}
cmake --build "$build_dir" -j"$(nproc)" --target nasq-server nasq nasq-worker
export NASQ_SERVER=127.0.0.1:${NASQ_BENCH_PORT:-50161}
nasq="$build_dir/cli/nasq"
mkdir -p "$out"
rm -f "$out"/nasq.db*

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

# The study with pruner section $2 (YAML lines), named $1.
study_yaml() {
  cat <<YAML
name: $1
direction: maximize
metric: accuracy
space:
  params:
    train.learning_rate: {type: float, low: 1.0e-5, high: 3.0e-2, log: true}
    hidden_size: [32, 64]
sampler: {type: tpe, seed: $seed, n_startup_trials: 4}
$2
max_trials: $trials
task:
  kind: bert-classify
  dataset: {name: spam-assassin, max_examples: 1200, max_length: 64}
  tokenizer: {vocab_size: 2000}
  model: {num_layers: 1, num_heads: 2, intermediate_size: 64, dropout: 0.0}
  stages:
    - {stage: train, epochs: 3, batch_size: 16}
  evaluate_each_stage: false
  evaluate_every_steps: 10
  intermediate_eval_examples: 120
YAML
}

threads=$(( $(nproc) / workers > 0 ? $(nproc) / workers : 1 ))
run_study() {
  local name=$1 pruner=$2
  study_yaml "$name" "$pruner" >"$out/$name.yaml"
  "$nasq" study create "$out/$name.yaml" >/dev/null
  local worker_pids=()
  for w in $(seq "$workers"); do
    "$build_dir/worker/app/nasq-worker" --device "${NASQ_DEVICE:-cpu}" --threads "$threads" \
      --study "$name" --worker-id "$name-$w" >"$out/$name-worker-$w.log" 2>&1 &
    worker_pids+=($!)
    pids+=($!)
  done
  local start=$SECONDS
  "$nasq" watch "$name" --interval 5 >"$out/$name-watch.log" 2>&1
  echo "$name: $((SECONDS - start)) s wall" >&2
  for pid in "${worker_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${worker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$nasq" export "$name" --format json --out "$out/$name.json"
}

run_study pruners-none "pruner: {type: none}"
run_study pruners-asha "pruner: {type: successive_halving, min_resource: 10}"

python3 - "$out/pruners-none.json" "$out/pruners-asha.json" <<'PY'
import json, sys

def summary(path):
    trials = json.load(open(path))
    steps = seconds = 0.0
    best = None
    states = {}
    for t in trials:
        states[t["state"]] = states.get(t["state"], 0) + 1
        attrs = t.get("user_attrs") or {}
        reported = [int(k.split("/", 1)[1]) for k in attrs if k.startswith("intermediate/")]
        steps += max(reported, default=0)
        metrics = attrs.get("metrics") or {}
        if isinstance(metrics, str):
            metrics = json.loads(metrics)
        seconds += metrics.get("train_seconds", 0.0)
        if t["state"] == "COMPLETE" and (best is None or t["value"] > best):
            best = t["value"]
    return steps, seconds, best, states

none, asha = summary(sys.argv[1]), summary(sys.argv[2])
print("| study | trials by state | steps | train seconds | best accuracy |")
print("|---|---|---|---|---|")
for name, (steps, seconds, best, states) in (("none", none), ("asha", asha)):
    print(f"| {name} | {states} | {steps:.0f} | {seconds:.1f} | {best} |")
print(f"ASHA / none: steps {asha[0] / none[0]:.3f}, train seconds {asha[1] / none[1]:.3f}, "
      f"best accuracy {asha[2]} vs {none[2]}")
PY
