"""Optuna's TPE per-trial time on the 46-parameter seed-lab space; prints one JSON object.

Run by bench_tpe_speed (usage: optuna_speed.py --sizes 100,1000,5000 --measure 20,20,3
--seed 0). For every size N it builds a study whose history holds N COMPLETE trials (random
params drawn uniformly with random.Random(seed), value = problems.speed_objective) through
study.add_trials, then times `measure` ask/suggest/tell rounds: study.ask() + one
suggest_categorical per param + study.tell(). It also measures, with tracemalloc, the Python
heap that 1000 COMPLETE trials occupy in the in-memory storage. Output:
  {"optuna_version": "3.1.0", "bytes_per_1000_trials": b,
   "sizes": [{"completed": N, "trial_ms": [...], "build_seconds": s}, ...]}
"""

import argparse
import gc
import json
import random
import sys
import time
import tracemalloc

import optuna

import problems


def synthetic_history(n, rng, space):
    trials = []
    for _ in range(n):
        params = {name: rng.choice(dist.choices) for name, dist in space.items()}
        trials.append(optuna.trial.create_trial(params=params, distributions=space,
                                                value=problems.speed_objective(params)))
    return trials


def study_with_history(n, seed, space):
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    study.add_trials(synthetic_history(n, random.Random(seed), space))
    return study


def time_trials(study, space, count):
    times_ms = []
    for _ in range(count):
        start = time.perf_counter()
        trial = study.ask()
        params = problems.suggest_all(trial, space)
        study.tell(trial, problems.speed_objective(params))
        times_ms.append((time.perf_counter() - start) * 1e3)
    return times_ms


def bytes_per_1000_trials(seed, space):
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    study = study_with_history(1000, seed, space)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del study
    return after - before


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", required=True, help="comma-separated history sizes")
    parser.add_argument("--measure", required=True, help="comma-separated trials to time per size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    measure = [int(m) for m in args.measure.split(",")]
    if len(sizes) != len(measure) or min(sizes) < 0 or min(measure) < 1:
        sys.exit(f"optuna_speed.py: bad arguments (sizes={sizes}, measure={measure}): need one "
                 "positive measure count per non-negative size")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = problems.speed_space()
    out = {"optuna_version": optuna.__version__,
           "bytes_per_1000_trials": bytes_per_1000_trials(args.seed, space), "sizes": []}
    for n, count in zip(sizes, measure):
        start = time.perf_counter()
        study = study_with_history(n, args.seed, space)
        build_seconds = time.perf_counter() - start
        out["sizes"].append({"completed": n, "trial_ms": time_trials(study, space, count),
                             "build_seconds": build_seconds})
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
