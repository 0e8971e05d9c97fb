"""Multi-objective benchmark problems of bench/mo, the Python twin of bench/mo/problems.cc.

The formulas, dimensions and reference points are documented once, in bench/mo/README.md; this
module and problems.cc must implement them identically (bench_mo_quality re-evaluates the
params Optuna reports and refuses to run if the two disagree).
"""

import math

import optuna

ZDT_DIMENSIONS = 10  # the standard ZDT1/ZDT2 have 30; see README.md
DTLZ2_OBJECTIVES = 3
DTLZ2_K = 5  # distance variables (standard: 10); DTLZ2 has DTLZ2_OBJECTIVES - 1 + DTLZ2_K params

# mixed_precision: one format per layer; (bits, quantisation error) per format.
FORMATS = {"fp32": (32, 0.0), "fp16": (16, 0.0005), "int8": (8, 0.004), "fp8": (8, 0.003),
           "int4": (4, 0.03), "fp4": (4, 0.025), "int2": (2, 0.15)}
LAYER_WEIGHTS = [0.5, 2.0, 2.0, 4.0, 4.0, 2.0, 2.0, 0.5]  # millions of weights per layer
SENSITIVITY = [1.0, 0.5, 0.4, 0.3, 0.3, 0.4, 0.5, 1.2]
BASE_ACCURACY = 0.90
LOW_BITS = 4  # two adjacent layers of at most LOW_BITS bits cost ADJACENT_LOW_PENALTY
ADJACENT_LOW_PENALTY = 0.02


def _xs(params, n):
    return [params[f"x{i}"] for i in range(n)]


def _zdt_g(x):
    return 1.0 + 9.0 * sum(x[1:]) / (len(x) - 1)


def zdt1(params):
    x = _xs(params, ZDT_DIMENSIONS)
    g = _zdt_g(x)
    return [x[0], g * (1.0 - math.sqrt(x[0] / g))]


def zdt2(params):
    x = _xs(params, ZDT_DIMENSIONS)
    g = _zdt_g(x)
    return [x[0], g * (1.0 - (x[0] / g) ** 2)]


def dtlz2(params):
    m = DTLZ2_OBJECTIVES
    x = _xs(params, m - 1 + DTLZ2_K)
    g = sum((xi - 0.5) ** 2 for xi in x[m - 1:])
    values = []
    for i in range(m):  # f_i = (1 + g) prod_{j < m-1-i} cos(x_j pi/2) * sin(x_{m-1-i} pi/2)
        f = 1.0 + g
        for j in range(m - 1 - i):
            f *= math.cos(x[j] * math.pi / 2.0)
        if i > 0:
            f *= math.sin(x[m - 1 - i] * math.pi / 2.0)
        values.append(f)
    return values


def layer_param(layer):
    return f"layer{layer}.format"


def mixed_precision(params):
    formats = [params[layer_param(l)] for l in range(len(LAYER_WEIGHTS))]
    bits = [FORMATS[f][0] for f in formats]
    accuracy = BASE_ACCURACY - sum(s * FORMATS[f][1] for s, f in zip(SENSITIVITY, formats))
    accuracy -= ADJACENT_LOW_PENALTY * sum(
        a <= LOW_BITS and b <= LOW_BITS for a, b in zip(bits, bits[1:]))
    average_bits = sum(w * b for w, b in zip(LAYER_WEIGHTS, bits)) / sum(LAYER_WEIGHTS)
    return [accuracy, average_bits]


def _suggest_floats(n):
    return lambda trial: {f"x{i}": trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n)}


def _suggest_formats(trial):
    return {layer_param(l): trial.suggest_categorical(layer_param(l), list(FORMATS))
            for l in range(len(LAYER_WEIGHTS))}


# name -> (directions, suggest(trial) -> params, objective(params) -> values)
PROBLEMS = {
    "zdt1": (["minimize", "minimize"], _suggest_floats(ZDT_DIMENSIONS), zdt1),
    "zdt2": (["minimize", "minimize"], _suggest_floats(ZDT_DIMENSIONS), zdt2),
    "dtlz2": (["minimize"] * DTLZ2_OBJECTIVES, _suggest_floats(DTLZ2_OBJECTIVES - 1 + DTLZ2_K),
              dtlz2),
    "mixed_precision": (["maximize", "minimize"], _suggest_formats, mixed_precision),
}
