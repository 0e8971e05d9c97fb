#!/usr/bin/env python3
# Prints the reference numbers of tpe_optuna_differential_test.cc, computed by Optuna 5.0's
# TPE on the test's two fixed histories. Run with the venv of bench/common/make_venv.sh:
#   bench/common/make_venv.sh build && build/venv/bin/python3 tests/sampler/tpe_optuna_differential_reference.py
# Trial i sits at x_j = low + range * frac((i + 1) sqrt(p_j)), p = 2, 3, 5, 7, 11 (no RNG).
#  * Multivariate: 40 COMPLETE trials of 5-D Rosenbrock (minimise) on [-2.048, 2.048]^5.
#  * Multi-objective (univariate, 5.0's default there): 80 COMPLETE trials of 3-objective DTLZ2
#    on [0, 1]^5, reported as (f1, -f2, f3) with directions (minimize, maximize, minimize).
import math

import numpy as np
import optuna
from optuna.distributions import FloatDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import (_split_trials, default_gamma,
                                          default_gamma_multiobjective, default_weights)

LOW, HIGH, DIMS, TRIALS = -2.048, 2.048, 5, 40
PRIMES = (2, 3, 5, 7, 11)


def weyl_point(i, low=LOW, high=HIGH):
    return [low + (high - low) * math.fmod((i + 1) * math.sqrt(p), 1.0) for p in PRIMES]


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(DIMS - 1))


def dtlz2(x):
    g = sum((xi - 0.5) ** 2 for xi in x[2:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return [(1 + g) * math.cos(a) * math.cos(b), -(1 + g) * math.cos(a) * math.sin(b),
            (1 + g) * math.sin(a)]


def multivariate():
    space = {f"x{j}": FloatDistribution(LOW, HIGH) for j in range(DIMS)}
    study = optuna.create_study(direction="minimize")
    for i in range(TRIALS):
        x = weyl_point(i)
        study.add_trial(optuna.trial.create_trial(
            params={f"x{j}": x[j] for j in range(DIMS)}, distributions=space,
            value=rosenbrock(x)))
    trials = study.get_trials(deepcopy=False)
    below, above = _split_trials(study, trials, default_gamma(TRIALS))
    print("below", [t.number for t in below], "above size", len(above))
    # The sampler's parameters (5.0 always passes multivariate=True, which nothing reads).
    params = _ParzenEstimatorParameters(1.0, True, False, default_weights, True)
    estimators = []
    for name, group in (("below", below), ("above", above)):
        obs = {k: np.array([t.params[k] for t in group]) for k in space}
        pe = _ParzenEstimator(obs, space, params)
        estimators.append(pe)
        mix = pe._mixture_distribution
        print(f"{name} weights", [float(w) for w in mix.weights])
        for j, d in enumerate(mix.distributions):
            print(f"{name} x{j} sigmas", [float(s) for s in d.sigma])
    probes = [[0.0] * 5, [1.0] * 5, [0.5, -0.3, 1.2, 0.9, -1.5], weyl_point(100),
              weyl_point(101), [2.0, -2.0, 2.0, -2.0, 2.0]]
    for x in probes:
        sample = {f"x{j}": np.array([x[j]]) for j in range(DIMS)}
        score = estimators[0].log_pdf(sample) - estimators[1].log_pdf(sample)
        print("score", repr(float(score[0])))


def multi_objective():
    space = {f"x{j}": FloatDistribution(0.0, 1.0) for j in range(DIMS)}
    study = optuna.create_study(directions=["minimize", "maximize", "minimize"])
    n = 80
    for i in range(n):
        x = weyl_point(i, 0.0, 1.0)
        study.add_trial(optuna.trial.create_trial(
            params={f"x{j}": x[j] for j in range(DIMS)}, distributions=space, values=dtlz2(x)))
    trials = study.get_trials(deepcopy=False)
    below, above = _split_trials(study, trials, default_gamma_multiobjective(n))
    print("mo below", [t.number for t in below], "above size", len(above))
    params = _ParzenEstimatorParameters(1.0, True, False, default_weights, True)
    for j in range(DIMS):
        name = f"x{j}"
        sub = {name: space[name]}
        obs_below = {name: np.array([t.params[name] for t in below])}
        obs_above = {name: np.array([t.params[name] for t in above])}
        # TPESampler._build_parzen_estimator: unit weights for l(x) of a multi-objective study.
        pe_below = _ParzenEstimator(obs_below, sub, params, np.ones(len(below)))
        pe_above = _ParzenEstimator(obs_above, sub, params)
        if j == 0:
            print("mo below weights", [float(w) for w in pe_below._mixture_distribution.weights])
            print("mo below x0 sigmas",
                  [float(s) for s in pe_below._mixture_distribution.distributions[0].sigma])
        probes = np.array([0.05, 0.3, 0.5, 0.77, 0.98])
        scores = pe_below.log_pdf({name: probes}) - pe_above.log_pdf({name: probes})
        print(f"mo {name} scores", [repr(float(v)) for v in scores])


def main():
    assert optuna.__version__.startswith("5."), optuna.__version__
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    multivariate()
    multi_objective()


if __name__ == "__main__":
    main()
