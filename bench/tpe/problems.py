"""Benchmark problems of bench/tpe, the Python twin of bench/tpe/problems.cc.

The formulas are documented once, in bench/tpe/README.md; this module and problems.cc must
implement them identically (bench_tpe_quality re-evaluates the parameters Optuna reports and
refuses to run if the two disagree).
"""

import math

import optuna

SPHERE_LOW, SPHERE_HIGH = -5.12, 5.12
ROSENBROCK_LOW, ROSENBROCK_HIGH = -2.048, 2.048
STYBLINSKI_TANG_LOW, STYBLINSKI_TANG_HIGH = -5.0, 5.0
DIMENSIONS = 5

NUM_LAYERS = [2, 4, 8]
NUM_HEADS = [2, 4, 8, 16]
HIDDEN_SIZE = [128, 192, 256, 384, 512]
INTERMEDIATE_SIZE = [512, 768, 1024, 1536, 2048]
EXTRA_BLOCK_KINDS = ["identity", "attention_only", "ffn_only", "full"]
NUM_EXTRA_BLOCKS = 3

LAYER_GAIN = {2: 0.0, 4: 0.02, 8: 0.03}
HEAD_GAIN = {2: 0.0, 4: 0.01, 8: 0.015, 16: 0.012}
EXTRA_BLOCK_GAIN = {"identity": 0.0, "attention_only": 0.006, "ffn_only": 0.004, "full": 0.012}
COST_BUDGET = 4 * (4 * 256 * 256 + 2 * 256 * 1024)

# nas_conditional: per-layer format and width of a network of 1..6 layers.
DEPTHS = [1, 2, 3, 4, 5, 6]
FORMATS = ["int", "minifloat", "log"]
LAYER_WIDTHS = [2, 4, 8]
DEPTH_GAIN = [0.0, 0.05, 0.085, 0.112, 0.12, 0.125]  # by depth
SENSITIVITY = [1.0, 0.8, 0.6, 0.3, 0.25, 0.2]  # by layer
QUANT_ERROR = {"int": [0.20, 0.04, 0.008], "minifloat": [0.30, 0.03, 0.004],
               "log": [0.12, 0.05, 0.025]}  # by width (LAYER_WIDTHS)
BIT_COST = 0.0025


def _float_space(low, high):
    return {f"x{i}": optuna.distributions.FloatDistribution(low, high) for i in range(DIMENSIONS)}


def _xs(params):
    return [params[f"x{i}"] for i in range(DIMENSIONS)]


def sphere(params):
    return sum(x * x for x in _xs(params))


def rosenbrock(params):
    x = _xs(params)
    return sum(100.0 * (x[i + 1] - x[i] * x[i]) ** 2 + (1.0 - x[i]) ** 2
               for i in range(DIMENSIONS - 1))


def styblinski_tang(params):
    return 0.5 * sum(x ** 4 - 16.0 * x * x + 5.0 * x for x in _xs(params))


def extra_block_name(b):
    return f"extra_block_{b}"


def _block_cost(kind, d, i):
    attention, ffn = 4.0 * d * d, 2.0 * d * i
    return {"identity": 0.0, "attention_only": attention, "ffn_only": ffn,
            "full": attention + ffn}[kind]


def nas_table(params):
    layers, heads = params["num_layers"], params["num_heads"]
    d, i = params["hidden_size"], params["intermediate_size"]
    kinds = [params[extra_block_name(b)] for b in range(NUM_EXTRA_BLOCKS)]
    acc = 0.78 + LAYER_GAIN[layers] + HEAD_GAIN[heads]
    acc += 0.015 * math.log2(d / 128.0) + 0.005 * math.log2(i / 512.0)
    acc -= 0.010 * math.log2(i / (4.0 * d)) ** 2
    acc -= 0.008 * math.log2(d / (64.0 * heads)) ** 2
    acc += sum(EXTRA_BLOCK_GAIN[k] for k in kinds)
    cost = layers * _block_cost("full", d, i) + sum(_block_cost(k, d, i) for k in kinds)
    acc -= 0.05 * max(0.0, math.log2(cost / COST_BUDGET))
    return acc


def _nas_space():
    cat = optuna.distributions.CategoricalDistribution
    space = {"num_layers": cat(NUM_LAYERS), "num_heads": cat(NUM_HEADS),
             "hidden_size": cat(HIDDEN_SIZE), "intermediate_size": cat(INTERMEDIATE_SIZE)}
    for b in range(NUM_EXTRA_BLOCKS):
        space[extra_block_name(b)] = cat(EXTRA_BLOCK_KINDS)
    return space


def layer_param(layer, what):
    return f"layer{layer}.{what}"


def nas_conditional(params):
    depth = params["num_layers"]
    acc = 0.70 + DEPTH_GAIN[depth - 1]
    for l in range(depth):
        width = params[layer_param(l, "width")]
        error = QUANT_ERROR[params[layer_param(l, "format")]][LAYER_WIDTHS.index(width)]
        acc -= SENSITIVITY[l] * error + BIT_COST * width
    return acc


def suggest_nas_conditional(trial):
    """num_layers, then the format and width of each of its layers (define-by-run)."""
    params = {"num_layers": trial.suggest_categorical("num_layers", DEPTHS)}
    for l in range(params["num_layers"]):
        for what, choices in (("format", FORMATS), ("width", LAYER_WIDTHS)):
            name = layer_param(l, what)
            params[name] = trial.suggest_categorical(name, choices)
    return params


def suggest_all(trial, space):
    """Suggests every param of `space` (name -> distribution) in order through the public API."""
    params = {}
    for name, dist in space.items():
        if isinstance(dist, optuna.distributions.FloatDistribution):
            params[name] = trial.suggest_float(name, dist.low, dist.high)
        else:
            params[name] = trial.suggest_categorical(name, dist.choices)
    return params


def _suggest_space(space):
    return lambda trial: suggest_all(trial, space)


# name -> (direction, suggest(trial) -> params, objective)
PROBLEMS = {
    "sphere": ("minimize", _suggest_space(_float_space(SPHERE_LOW, SPHERE_HIGH)), sphere),
    "rosenbrock": ("minimize", _suggest_space(_float_space(ROSENBROCK_LOW, ROSENBROCK_HIGH)),
                   rosenbrock),
    "styblinski_tang": ("minimize",
                        _suggest_space(_float_space(STYBLINSKI_TANG_LOW, STYBLINSKI_TANG_HIGH)),
                        styblinski_tang),
    "nas_table": ("maximize", _suggest_space(_nas_space()), nas_table),
    "nas_conditional": ("maximize", suggest_nas_conditional, nas_conditional),
}

# --- The 46-parameter space of the seed labs, for the speed benchmark. ---

QUANT_TYPES = ["linear", "integer", "minifloat_ieee", "minifloat_denorm", "block_fp", "log"]
WIDTHS = [4, 8, 12, 16, 24, 32]
FRAC_WIDTHS = [2, 3, 4, 6, 8]
ENCODER_LINEARS = ["attention.self.query", "attention.self.key", "attention.self.value",
                   "attention.output.dense", "intermediate.dense", "output.dense"]


def quantised_layers():
    layers = [f"bert.encoder.layer.{l}.{lin}" for l in range(2) for lin in ENCODER_LINEARS]
    return layers + ["bert.pooler.dense", "classifier"]


def speed_space():
    cat = optuna.distributions.CategoricalDistribution
    space = {"num_layers": cat(NUM_LAYERS), "num_heads": cat(NUM_HEADS),
             "hidden_size": cat(HIDDEN_SIZE), "intermediate_size": cat(INTERMEDIATE_SIZE)}
    for layer in quantised_layers():
        space[f"{layer}.type"] = cat(QUANT_TYPES)
        space[f"{layer}.width"] = cat(WIDTHS)
        space[f"{layer}.frac_width"] = cat(FRAC_WIDTHS)
    return space


def speed_objective(params):
    value = 0.01 * NUM_LAYERS.index(params["num_layers"])
    value += 0.01 * HIDDEN_SIZE.index(params["hidden_size"])
    for layer in quantised_layers():
        width = params[f"{layer}.width"]
        value += 0.004 * math.log2(width)
        value -= 0.002 * QUANT_TYPES.index(params[f"{layer}.type"])
        value -= 0.001 * abs(params[f"{layer}.frac_width"] - width / 4.0)
    return value
