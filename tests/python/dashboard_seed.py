"""Studies for the dashboard's browser tests (test_dashboard_browser.py), seeded through the
Python client, and what the page must show for each.

Each seed_* function creates one study on `client` and returns its expectations as a JSON-ready
dict (the manifest's entry that tests/dashboard/run_dashboard_checks.mjs checks the DOM
against): trial counts per state, the best first objective and its trial, the Pareto front's
size, the tabs the study page must and must not show, and the numbers of the charts. The
finished trials are stored with Study.add_trials (the AddTrial RPC); the running study's trials
come from ask and tell (the Python client), a Python worker (nasq.Worker) and `nasq ask
--lease` (the CLI), as users make them.
"""
from __future__ import annotations

import json
import pathlib
import re
import subprocess
import threading
from typing import Any, Callable, Optional, Sequence

import yaml

import nasq

STATES = ("RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING")
SPACE = {"params": {"x": {"type": "float", "low": -5, "high": 5},
                    "y": {"type": "int", "low": 0, "high": 4},
                    "kind": {"type": "categorical", "choices": ["conv", "mlp", "attn"]}}}
PARAM_NAMES = sorted(SPACE["params"])
# The tabs every study page shows; pareto, intermediate and precision are added per study.
BASE_TABS = ["history", "trials", "parallel", "slice", "importance"]
DEMO_SPEC = pathlib.Path(__file__).resolve().parents[2] / "examples" / "demo.yaml"


def trial_params(i: int) -> dict[str, Any]:
    """Trial i's params, spread over the space without repeats of x."""
    return {"x": round(-5 + (i * 7.3 + 1.7) % 10, 6), "y": i % 5,
            "kind": ("conv", "mlp", "attn")[i % 3]}


def _dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """a dominates b, every objective minimised."""
    return all(p <= q for p, q in zip(a, b)) and any(p < q for p, q in zip(a, b))


def pareto_front(values: dict[int, Sequence[float]]) -> list[int]:
    """The numbers whose values no other trial's dominate (every objective minimised)."""
    return sorted(n for n, v in values.items()
                  if not any(_dominates(w, v) for m, w in values.items() if m != n))


def _expectation(name: str, trials: list[nasq.FrozenTrial], directions: Sequence[str],
                 params: Sequence[str] = PARAM_NAMES, precision: bool = False) -> dict[str, Any]:
    """The counts, best and chart numbers of a study of objectives `directions` ("minimize" or
    "maximize") and params `params` (sorted) holding `trials`; `precision`: the study searches
    layer precisions (its page shows the precision tab)."""
    counts = {s: sum(t.state.name == s for t in trials) for s in STATES}
    complete = {t.number: t.values for t in trials if t.state == nasq.TrialState.COMPLETE}
    signs = [-1 if d == "maximize" else 1 for d in directions]
    minimised = {n: [s * v for s, v in zip(signs, values)] for n, values in complete.items()}
    front = pareto_front(minimised)
    best = min(front, key=lambda n: minimised[n][0]) if front else None
    with_steps = [t for t in trials if t.intermediate_values]
    n_objectives = len(directions)
    tabs = (BASE_TABS + (["pareto"] if n_objectives > 1 else [])
            + (["intermediate"] if with_steps else []) + (["precision"] if precision else []))
    return {
        "name": name, "state": "RUNNING", "n_objectives": n_objectives, "total": len(trials),
        "counts": counts, "progress_done": counts["COMPLETE"] + counts["PRUNED"],
        "best_number": best, "best_value": None if best is None else complete[best][0],
        "n_best": len(front) if n_objectives > 1 else int(best is not None),
        "tabs": tabs, "absent_tabs": sorted({"pareto", "intermediate", "precision"} - set(tabs)),
        "params": list(params), "n_complete": len(complete),
        "curves": len(with_steps),
        "pruned_curves": sum(t.state == nasq.TrialState.PRUNED for t in with_steps),
    }


def _with_sort_and_filter(expected: dict[str, Any], trials: list[nasq.FrozenTrial]
                          ) -> dict[str, Any]:
    """Adds what the trials tab's sort by value and filters must show: the first row of each
    direction (trials without a value sort last either way) and the totals of a filter."""
    valued = {t.number: t.values[0] for t in trials if t.values}
    expected["sort_value_first"] = sorted([min(valued, key=valued.get),
                                           max(valued, key=valued.get)])
    expected["filter"] = {"text": "params.y = 2", "total": sum(t.params["y"] == 2 for t in trials)}
    expected["state_filter"] = {"state": "PRUNED", "total": expected["counts"]["PRUNED"]}
    return expected


def _seed(client: nasq.Client, spec: dict[str, Any] | str, n: int,
          make: Callable[[int], nasq.FrozenTrial]) -> tuple[nasq.Study, list[nasq.FrozenTrial]]:
    study = client.create_study(spec)
    return study, study.add_trials(make(i) for i in range(n))


def seed_mixed_precision(client: nasq.Client, name: str, n: int = 20) -> dict[str, Any]:
    """`n` COMPLETE trials of examples/demo.yaml's study (named `name`): a bert-classify study
    maximising accuracy and minimising avg_bitwidth over num_layers, hidden_size and the
    precision ("linear" = fp32 or "integer") of five Linear layers. Trial i takes the space's
    configuration 53 i mod (the space's size), so no two repeat; its avg_bitwidth falls with its
    number of integer layers and its accuracy (0.85 to 0.95) drops a little with it, so the front
    trades them off. The study is COMPLETED once `n` reaches the demo's max_trials. The
    expectations' "precision" holds the number of layers searched."""
    text = re.sub(r"^name: .*$", f"name: {name}", DEMO_SPEC.read_text(), count=1, flags=re.M)
    spec = yaml.safe_load(text)
    space = spec["space"]["params"]
    layer_types = [p for p in space if p.endswith(".type")]
    size = 1
    for choices in space.values():
        size *= len(choices)
    if n > size or size % 53 == 0:
        raise ValueError(f"{n} distinct trials of {DEMO_SPEC}'s {size} configurations")

    def make(i: int) -> nasq.FrozenTrial:
        params, rest = {}, (53 * i) % size
        for param, choices in space.items():
            params[param] = choices[rest % len(choices)]
            rest //= len(choices)
        integer = sum(params[p] == "integer" for p in layer_types)
        accuracy = (0.946 - 0.012 * integer - 0.005 * ((7 * i) % 5)
                    + 0.004 * (params["hidden_size"] == 64))
        avg_bitwidth = 32.0 - 4.1 * integer + 0.2 * (params["num_layers"] == 2)
        return nasq.create_trial(values=[round(accuracy, 4), round(avg_bitwidth, 2)], params=params)

    _, trials = _seed(client, text, n, make)
    expected = _expectation(name, trials, ["maximize", "minimize"], sorted(space), precision=True)
    expected["precision"] = {"n_layers": len(layer_types)}
    if n >= spec["max_trials"]:
        expected["state"] = "COMPLETED"
    return expected


def seed_single(client: nasq.Client, name: str) -> dict[str, Any]:
    """40 trials of one minimised objective that x decides ((x - 1)^2; y and kind add at most
    1e-3): every 10th trial from 3 FAILs, from 7 is PRUNED after 3 steps, the even COMPLETE
    ones reported 4 steps. The importance view must rank x first."""
    def make(i: int) -> nasq.FrozenTrial:
        p = trial_params(i)
        value = (p["x"] - 1) ** 2 + 1e-4 * p["y"] + 1e-5 * i
        if i % 10 == 3:
            return nasq.create_trial(state="FAIL", params=p, system_attrs={"fail_reason": "seeded"})
        if i % 10 == 7:
            steps = {s: value + 3 - s for s in range(3)}
            return nasq.create_trial(state="PRUNED", params=p, intermediate_values=steps)
        steps = {s: value + 4 - s for s in range(4)} if i % 2 == 0 else {}
        return nasq.create_trial(value=value, params=p, intermediate_values=steps)

    _, trials = _seed(client, {"name": name, "space": SPACE, "direction": "minimize"}, 40, make)
    expected = _with_sort_and_filter(_expectation(name, trials, ["minimize"]), trials)
    expected["importance_first"] = "x"
    shown = next(t for t in trials if t.intermediate_values and t.state == nasq.TrialState.COMPLETE)
    # The trial page of a trial with a learning curve; an added trial has no lease, hence no
    # attempts to check.
    expected["trial"] = {"number": shown.number, "state": "COMPLETE", "value": shown.values[0],
                         "steps": len(shown.intermediate_values), "attempts": None}
    return expected


def seed_multi(client: nasq.Client, name: str, n_objectives: int, n: int) -> dict[str, Any]:
    """`n` trials of `n_objectives` minimised objectives: trial i's values trade objective 0
    against the others along a line for the COMPLETE trials i % 3 == 0 (the front) and lie
    above it otherwise; every 8th trial from 5 is PRUNED after reporting 2 steps, from 6
    FAILs."""
    def make(i: int) -> nasq.FrozenTrial:
        p = trial_params(i)
        if i % 8 == 5:
            return nasq.create_trial(state="PRUNED", params=p,
                                     intermediate_values={0: 2.0 + i, 1: 1.5 + i})
        if i % 8 == 6:
            return nasq.create_trial(state="FAIL", params=p)
        t = i / n
        lift = 0.0 if i % 3 == 0 else 0.5 + (i % 7) / 10
        values = [t + lift] + [1 - t + lift + 0.1 * k for k in range(n_objectives - 1)]
        return nasq.create_trial(values=values, params=p,
                                 intermediate_values={0: values[0] + 1} if i % 4 == 0 else {})

    spec = {"name": name, "space": SPACE, "directions": ["minimize"] * n_objectives}
    _, trials = _seed(client, spec, n, make)
    return _expectation(name, trials, ["minimize"] * n_objectives)


class HeldTrialWorker:
    """A nasq.Worker (thread) that leases one trial of a study and holds it RUNNING, heart-beaten,
    until release(): then it completes it with value 0.5 and stops. Not reentrant."""

    def __init__(self, address: str, worker_id: str):
        self._released = threading.Event()
        self._leased = threading.Event()
        self.worker_id = worker_id
        self.number: Optional[int] = None
        self._address = address
        self._thread: Optional[threading.Thread] = None

    def _hold(self, trial) -> float:
        self.number = trial.number
        self._leased.set()
        self._released.wait()
        return 0.5

    def lease(self, study: str, timeout_s: float = 30.0) -> int:
        """Starts the worker on `study`; returns the number of the trial it holds."""
        worker = nasq.Worker(self._address, task_kind="python", fn=self._hold,
                             worker_id=self.worker_id, studies=[study])
        self._thread = threading.Thread(target=worker.run, kwargs={"max_trials": 1}, daemon=True)
        self._thread.start()
        if not self._leased.wait(timeout_s):
            raise AssertionError(f"worker {self.worker_id} leased no trial of {study} "
                                 f"within {timeout_s} s")
        return self.number

    def release(self, timeout_s: float = 30.0) -> None:
        self._released.set()
        if self._thread is not None:
            self._thread.join(timeout_s)


def seed_running(client: nasq.Client, name: str, cli_argv: list[str], client_id: str,
                 worker: HeldTrialWorker, n_told: int = 6, n_leased: int = 3) -> dict[str, Any]:
    """A running study of Python workers: `n_told` trials asked and told through the Python
    client (one PRUNED, the rest COMPLETE), one trial held RUNNING by `worker`, then `n_leased`
    trials leased for an hour with `nasq ask --lease 1h` as `client_id` and left RUNNING.
    `cli_argv` runs the CLI against the server (its path and --server). The expectations name
    the worker's trial, the leased trials and the `nasq tell` argv that completes each (the
    browser test runs them while the page is open)."""
    study = client.create_study({"name": name, "space": SPACE, "direction": "minimize",
                                 "sampler": {"type": "random", "seed": 3}, "max_trials": 50,
                                 "task": {"kind": "python"}})
    for i in range(n_told):
        trial = study.ask()
        if i == 1:
            trial.report(9.0, 0)
            study.tell(trial, state="PRUNED")
        else:
            study.tell(trial, 10.0 + i)
    held = worker.lease(name)
    leased = [json.loads(run_cli(cli_argv, "ask", name, "--lease", "1h", "--client-id",
                                 client_id, "-f", "json")) for _ in range(n_leased)]
    expected = _expectation(name, study.trials, ["minimize"])
    expected["worker"] = {"id": worker.worker_id, "number": held}
    expected["leased"] = [{
        "number": t["number"], "value": 1.0 + k,
        "tell_argv": [*cli_argv, "tell", name, str(t["number"]), "--values", str(1.0 + k),
                      "--epoch", str(t["lease"]["epoch"]), "--token", t["lease"]["token"],
                      "--client-id", client_id]} for k, t in enumerate(leased)]
    return expected


def big_value(i: int, n: int) -> float:
    """Trial i's value in seed_big's study of `n` trials: i * 7919 mod n (each value once when n
    is prime to 7919)."""
    return float((i * 7919) % n)


def seed_big(client: nasq.Client, name: str, n: int) -> dict[str, Any]:
    """`n` COMPLETE trials of one minimised objective (no intermediate values): trial i has
    trial_params(i) and big_value(i, n). bench/dashboard seeds Optuna's copy with the same."""
    _, trials = _seed(client, {"name": name, "space": SPACE, "direction": "minimize"}, n,
                      lambda i: nasq.create_trial(value=big_value(i, n), params=trial_params(i)))
    return _expectation(name, trials, ["minimize"])


def run_cli(cli_argv: list[str], *args: str) -> str:
    """The stdout of `cli_argv ARGS...`; AssertionError with its stderr when it fails."""
    done = subprocess.run([*cli_argv, *args], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise AssertionError(f"nasq {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.stdout
