#!/usr/bin/env python3
"""Prints the reference table of tests/pruner/pruner_optuna_differential_test.cc.

Runs one sequential Optuna study per pruner case: trial i reports value(i, step) for steps
0..N_STEPS-1 and asks should_prune() after each report; a pruned trial stops (TrialPruned),
the others complete with their last value. Prints, per case and direction, the step at which
each trial was pruned (-1: completed). No RNG is involved, so the C++ test replays the same
study. Usage: build/venv/bin/python tests/pruner/optuna_pruner_reference.py (pip install optuna).
"""
import math
import warnings

import optuna

N_TRIALS = 24
N_STEPS = 12
STUDY_NAME = "pruner-diff"


def frac(x):
    return x - math.floor(x)


def value(i, step):
    # A per-trial level, a per-trial decay over the steps and some noise (as the C++ test).
    level = frac((i + 1) * math.sqrt(2.0))
    slope = frac((i + 1) * math.sqrt(3.0))
    noise = frac((i + 1) * (step + 1) * math.sqrt(5.0))
    return level + slope / (step + 1) + 0.1 * noise


CASES = {
    "median": lambda: optuna.pruners.MedianPruner(),
    "median_warmup": lambda: optuna.pruners.MedianPruner(
        n_startup_trials=2, n_warmup_steps=3, interval_steps=2, n_min_trials=2),
    "percentile25": lambda: optuna.pruners.PercentilePruner(25.0, n_startup_trials=3),
    "sha": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
    "sha_auto": lambda: optuna.pruners.SuccessiveHalvingPruner(),
    "sha_bootstrap": lambda: optuna.pruners.SuccessiveHalvingPruner(
        min_resource=2, reduction_factor=3, min_early_stopping_rate=1, bootstrap_count=2),
    "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1, reduction_factor=3),
    "hyperband_max": lambda: optuna.pruners.HyperbandPruner(
        min_resource=1, max_resource=9, reduction_factor=2),
    "threshold": lambda: optuna.pruners.ThresholdPruner(lower=0.3, upper=1.6, n_warmup_steps=1),
    "patient": lambda: optuna.pruners.PatientPruner(None, patience=2, min_delta=0.0),
    "patient_median": lambda: optuna.pruners.PatientPruner(
        optuna.pruners.MedianPruner(n_startup_trials=2), patience=1, min_delta=0.01),
}


def run(make_pruner, direction):
    study = optuna.create_study(study_name=STUDY_NAME, direction=direction,
                                pruner=make_pruner())
    pruned_at = []
    for i in range(N_TRIALS):
        trial = study.ask()
        at = -1
        for step in range(N_STEPS):
            trial.report(value(i, step), step)
            if trial.should_prune():
                at = step
                break
        if at >= 0:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, value(i, N_STEPS - 1))
        pruned_at.append(at)
    return pruned_at


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    print(f"// Optuna {optuna.__version__}")
    for name, make in CASES.items():
        for direction in ("minimize", "maximize"):
            steps = ", ".join(str(s) for s in run(make, direction))
            print(f'    {{"{name}", StudyDirection::k{direction.capitalize()}, {{{steps}}}}},')


if __name__ == "__main__":
    main()
