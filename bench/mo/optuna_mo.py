#!/usr/bin/env python3
"""Optuna half of bench_mo_quality: multi-objective studies of the bench/mo problems.

Runs, for every problem and seed s in [0, seeds), a sequential study of `trials` trials with
Optuna's NSGAIISampler(seed=s) or TPESampler(seed=s) (each with its other defaults; TPE is
univariate by default for multi-objective studies) and prints one JSON document on stdout:
{"optuna_version": "...", "sampler": "nsga2"|"tpe", "trials": n, "problems": {name:
{"values": [per seed: [per trial: [objective values]]], "seconds": total, "probes":
[{"params": {...}, "values": [...]}, ...]}}}. bench_mo_quality computes the hypervolumes itself,
with the same code and reference points as for nasq, and re-evaluates the probes (seed 0's first
trials) with its C++ problem definitions.
"""

import argparse
import json
import sys
import time

import optuna

import problems

PROBES_PER_PROBLEM = 5
SAMPLERS = {"nsga2": optuna.samplers.NSGAIISampler, "tpe": optuna.samplers.TPESampler}


def run_study(name, sampler, seed, trials):
    directions, suggest, objective = problems.PROBLEMS[name]
    study = optuna.create_study(directions=directions, sampler=SAMPLERS[sampler](seed=seed))
    study.optimize(lambda trial: objective(suggest(trial)), n_trials=trials)
    return study


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sampler", required=True, choices=sorted(SAMPLERS))
    parser.add_argument("--seeds", type=int, required=True)
    parser.add_argument("--trials", type=int, required=True)
    parser.add_argument("--problems", required=True, help="comma-separated problem names")
    args = parser.parse_args()
    names = args.problems.split(",")
    unknown = [n for n in names if n not in problems.PROBLEMS]
    if unknown or args.seeds < 1 or args.trials < 1:
        sys.exit(f"optuna_mo.py: bad arguments (unknown problems: {unknown}, "
                 f"seeds={args.seeds}, trials={args.trials})")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out = {"optuna_version": optuna.__version__, "sampler": args.sampler, "trials": args.trials,
           "problems": {}}
    for name in names:
        start = time.perf_counter()
        values, probes = [], []
        for seed in range(args.seeds):
            study = run_study(name, args.sampler, seed, args.trials)
            values.append([t.values for t in study.trials])
            if seed == 0:
                probes = [{"params": t.params, "values": t.values}
                          for t in study.trials[:PROBES_PER_PROBLEM]]
        out["problems"][name] = {"values": values, "seconds": time.perf_counter() - start,
                                 "probes": probes}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
