"""Optuna's TPE on the bench/tpe quality problems; prints one JSON object on stdout.

Run by bench_tpe_quality (usage: optuna_quality.py --seeds 20 --trials 200
--problems sphere,rosenbrock,styblinski_tang,nas_table,nas_conditional). For every problem and
seed s in [0, seeds) it runs TPESampler(seed=s) with Optuna's defaults for `trials` trials and
reports the best value and the number of trials that repeat an earlier trial's params, plus the
first trials' params and values of seed 0 so the caller can check that its own problem
definitions give the same values. With --multivariate it runs TPESampler(seed=s,
multivariate=True) instead. With --fix-logpdf-scale, Optuna 3.1's TPE is run with the fix of
Optuna PR #5110 (see fix_logpdf_scale; Optuna 3.1 only). Output:
  {"optuna_version": "5.0.0", "variant": "...", "problems": {name: {"best": [per seed],
   "duplicates": [per seed], "seconds": total, "probes": [{"params": {...}, "value": v}, ...]}}}
"""

import argparse
import json
import sys
import time
import warnings

import numpy as np
import optuna

import problems

PROBES_PER_PROBLEM = 5


def fix_logpdf_scale():
    """Applies Optuna PR #5110 (issue #5109, released after 3.1) to the running Optuna.

    Optuna 3.1's _truncnorm.logpdf(x, a, b, loc, scale) omits the -log(scale) term, so the
    kernels of TPE's Parzen estimators are not normalised densities: wide kernels (the prior,
    sparse "below" points) are over-weighted against narrow ones. Later Optuna versions, and
    nasq, use the normalised density.
    """
    from optuna.samplers._tpe import _truncnorm

    original = _truncnorm.logpdf

    def logpdf(x, a, b, loc=0, scale=1):
        return original(x, a, b, loc=loc, scale=scale) - np.log(scale)

    _truncnorm.logpdf = logpdf


def run_study(name, seed, trials, multivariate):
    direction, suggest, objective = problems.PROBLEMS[name]
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=multivariate)
    study = optuna.create_study(direction=direction, sampler=sampler)

    def wrapped(trial):
        return objective(suggest(trial))

    study.optimize(wrapped, n_trials=trials)
    return study


def count_duplicates(study):
    """Trials whose params equal those of an earlier trial of the study."""
    seen, duplicates = set(), 0
    for trial in study.trials:
        key = tuple(sorted(trial.params.items()))
        duplicates += key in seen
        seen.add(key)
    return duplicates


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, required=True)
    parser.add_argument("--trials", type=int, required=True)
    parser.add_argument("--problems", required=True, help="comma-separated problem names")
    parser.add_argument("--fix-logpdf-scale", action="store_true",
                        help="run TPE with the fix of Optuna PR #5110 (see fix_logpdf_scale)")
    parser.add_argument("--multivariate", action="store_true",
                        help="TPESampler(multivariate=True): params sampled jointly")
    args = parser.parse_args()
    names = args.problems.split(",")
    unknown = [n for n in names if n not in problems.PROBLEMS]
    if unknown or args.seeds < 1 or args.trials < 1:
        sys.exit(f"optuna_quality.py: bad arguments (unknown problems: {unknown}, "
                 f"seeds={args.seeds}, trials={args.trials})")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # multivariate=True is experimental in 3.1; its warning would repeat once per study.
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    variant = f"Optuna {optuna.__version__} TPE"
    if args.multivariate:
        variant += " multivariate"
    if args.fix_logpdf_scale:
        if not optuna.__version__.startswith("3.1."):
            sys.exit(f"optuna_quality.py: --fix-logpdf-scale patches Optuna 3.1, not "
                     f"{optuna.__version__} (which has the fix)")
        fix_logpdf_scale()
        variant += " + logpdf scale fix (PR #5110)"
    out = {"optuna_version": optuna.__version__, "variant": variant,
           "multivariate": args.multivariate, "problems": {}}
    for name in names:
        start = time.perf_counter()
        best, duplicates, probes = [], [], []
        for seed in range(args.seeds):
            study = run_study(name, seed, args.trials, args.multivariate)
            best.append(study.best_value)
            duplicates.append(count_duplicates(study))
            if seed == 0:
                probes = [{"params": t.params, "value": t.value}
                          for t in study.trials[:PROBES_PER_PROBLEM]]
        out["problems"][name] = {"best": best, "duplicates": duplicates,
                                 "seconds": time.perf_counter() - start, "probes": probes}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
