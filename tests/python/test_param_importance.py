"""nasq's PED-ANOVA parameter importance (analysis/param_importance.h) against Optuna 5.0's
PedAnovaImportanceEvaluator on the same trials: equal to 1e-6 relative.

nasq's numbers come from tests/analysis/param_importance_tool ($NASQ_IMPORTANCE_BIN), which reads
the study's YAML spec and its trials and calls ComputeParamImportances; Optuna's from an
in-memory study holding the same trials (optuna.trial.create_trial)."""
from __future__ import annotations

import json
import math
import os
import pathlib
import subprocess
import warnings

import numpy as np
import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.importance import PedAnovaImportanceEvaluator

SPACE_YAML = """space:
  params:
    x: {type: float, low: 0.0, high: 1.0}
    lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
    n: {type: int, low: 1, high: 64}
    c: [a, b, c]
    dropout: {type: float, low: 0.0, high: 0.5, step: 0.1}
    hidden: {type: int, low: 64, high: 512, step: 64}
    batch: {type: int, low: 8, high: 256, log: true}
    bits: [4, 8, 16]
    momentum: {type: float, low: 0.5, high: 0.99}
"""

DISTRIBUTIONS = {
    "x": FloatDistribution(0.0, 1.0),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "n": IntDistribution(1, 64),
    "c": CategoricalDistribution(["a", "b", "c"]),
    "dropout": FloatDistribution(0.0, 0.5, step=0.1),
    "hidden": IntDistribution(64, 512, step=64),
    "batch": IntDistribution(8, 256, log=True),
    "bits": CategoricalDistribution([4, 8, 16]),
    "momentum": FloatDistribution(0.5, 0.99),
}


def _binary() -> str:
    path = os.environ.get("NASQ_IMPORTANCE_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"$NASQ_IMPORTANCE_BIN must name param_importance_tool (got {path!r})")
    return path


def _random_params(rng: np.random.Generator) -> dict:
    """One draw of every param; momentum only when c is "a" (a conditional param)."""
    params = {
        "x": float(rng.uniform(0, 1)),
        "lr": float(math.exp(rng.uniform(math.log(1e-5), math.log(1e-1)))),
        "n": int(rng.integers(1, 65)),
        "c": ["a", "b", "c"][int(rng.integers(3))],
        "dropout": round(0.1 * int(rng.integers(6)), 1),
        "hidden": 64 * int(rng.integers(1, 9)),
        "batch": int(round(math.exp(rng.uniform(math.log(8), math.log(256))))),
        "bits": [4, 8, 16][int(rng.integers(3))],
    }
    if params["c"] == "a":
        params["momentum"] = float(rng.uniform(0.5, 0.99))
    return params


def _objectives(p: dict, rng: np.random.Generator) -> list[float]:
    """Two objectives, each decided by a few params plus a little noise."""
    loss = ((p["x"] - 0.3) ** 2 + 0.1 * (math.log10(p["lr"]) + 3) ** 2 + 0.01 * abs(p["n"] - 40)
            + (0.0 if p["c"] == "b" else 0.3) + float(rng.normal(0, 0.01)))
    size = p["hidden"] * p["bits"] / 512 + p["dropout"] + 0.001 * p["batch"]
    return [loss, size]


def _nasq(tmp_path: pathlib.Path, directions: list[str], trials: list[dict], objective: int,
          target_quantile: float, region_quantile: float) -> dict[str, float]:
    spec = tmp_path / "study.yaml"
    spec.write_text(f"name: importance\ndirections: [{', '.join(directions)}]\n{SPACE_YAML}")
    trials_file = tmp_path / "trials.json"
    trials_file.write_text(json.dumps(trials))
    out = subprocess.run([_binary(), str(spec), str(trials_file), str(objective),
                          repr(target_quantile), repr(region_quantile)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _optuna(directions: list[str], trials: list[dict], objective: int, target_quantile: float,
            region_quantile: float) -> dict[str, float]:
    study = optuna.create_study(directions=directions)
    for t in trials:
        study.add_trial(optuna.trial.create_trial(
            params=t["params"], distributions={k: DISTRIBUTIONS[k] for k in t["params"]},
            values=t["values"]))
    evaluator = PedAnovaImportanceEvaluator(target_quantile=target_quantile,
                                            region_quantile=region_quantile)
    sign = -1.0 if directions[objective] == "maximize" else 1.0
    # One objective's importance: Optuna's target (lower is better) is that objective, negated
    # when it is maximised; a single-objective study needs none.
    target = None if len(directions) == 1 else (lambda t: sign * t.values[objective])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return optuna.importance.get_param_importances(study, evaluator=evaluator, target=target,
                                                       normalize=False)


CASES = [
    # (directions, objective, target_quantile, region_quantile, n_trials)
    (["minimize"], 0, 0.1, 1.0, 200),
    (["maximize"], 0, 0.1, 1.0, 200),
    (["minimize"], 0, 0.2, 0.5, 150),
    (["minimize"], 0, 0.1, 1.0, 12),
    (["minimize", "maximize"], 1, 0.1, 1.0, 300),
    (["minimize", "minimize"], 0, 0.25, 0.75, 100),
]


@pytest.mark.parametrize("directions,objective,target_quantile,region_quantile,n_trials", CASES)
def test_importances_equal_optunas(tmp_path, directions, objective, target_quantile,
                                   region_quantile, n_trials):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    rng = np.random.default_rng(n_trials + 7 * objective)
    trials = []
    for _ in range(n_trials):
        params = _random_params(rng)
        values = _objectives(params, rng)[:len(directions)]
        trials.append({"params": params, "values": values})
    ours = _nasq(tmp_path, directions, trials, objective, target_quantile, region_quantile)
    theirs = _optuna(directions, trials, objective, target_quantile, region_quantile)
    assert set(ours) == set(theirs)
    assert max(theirs.values()) > 0  # a case where something matters
    for name, value in theirs.items():
        assert ours[name] == pytest.approx(value, rel=1e-6, abs=1e-12), name
    assert list(ours.values()) == sorted(ours.values(), reverse=True)  # most important first
