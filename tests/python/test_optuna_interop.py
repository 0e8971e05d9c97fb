"""Optuna interoperability (issue 15, acceptance 3): `nasq export --format optuna` writes a file
that Optuna 5.0's API, its CLI and optuna-dashboard read; `nasq import` brings an Optuna study
(exported by nasq, or made by Optuna itself) into nasq with its finished trials, which the
study's sampler then learns from. A real nasq-server and the nasq CLI, Optuna from the venv."""
from __future__ import annotations

import datetime
import json
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request

import optuna
import pytest

from conftest import free_port
from nasq import _rpc
from nasq.v1 import study_pb2, study_service_pb2, trial_pb2, worker_service_pb2

optuna.logging.set_verbosity(optuna.logging.WARNING)
VENV_BIN = pathlib.Path(sys.executable).parent

SINGLE = """
name: single
direction: minimize
metric: loss
space:
  params:
    x: {type: float, low: 0.0, high: 1.0}
    lr: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}
    n: {type: int, low: 1, high: 8}
    w: {type: float, low: 0.0, high: 1.0, step: 0.25}
    act: {type: categorical, choices: [relu, gelu, 3]}
sampler: {type: random, seed: 1}
"""

MULTI = """
name: multi
directions: [maximize, minimize]
metrics: [accuracy, bits]
space:
  params:
    x: {type: float, low: 0.0, high: 1.0}
    bits: {type: categorical, choices: [4, 8, 16]}
sampler: {type: random, seed: 2}
"""


def create(nasq_cli, tmp_path: pathlib.Path, spec: str) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(spec)
    return nasq_cli("study", "create", str(path)).stdout.strip()


def connect(server) -> _rpc.Connection:
    return _rpc.Connection(_rpc.ConnectOptions(address=server.address))


def run_as_worker(server, study: str, metrics_of, steps: int = 2, fail: bool = False):
    """Leases one trial of `study` as worker "w1" (labels device, host), reports `steps`
    intermediate values and completes it with metrics_of(params) or fails it."""
    connection = connect(server)
    leased = connection.call(connection.workers.LeaseTrial, worker_service_pb2.LeaseTrialRequest(
        worker_id="w1", wait_ms=1000,
        capabilities=worker_service_pb2.WorkerCapabilities(
            studies=[study], labels={"device": "cpu", "host": "box"})))
    trial = leased.trial
    params = {k: getattr(v, v.WhichOneof("kind")) for k, v in trial.params.items()}
    lease = dict(name=trial.name, epoch=leased.lease.epoch, lease_token=leased.lease.token)
    for step in range(steps):
        connection.call(connection.workers.ReportIntermediate,
                        worker_service_pb2.ReportIntermediateRequest(
                            step=step, value=0.5 / (step + 1), **lease))
    if fail:
        connection.call(connection.workers.FailTrial,
                        worker_service_pb2.FailTrialRequest(reason="out of memory", **lease))
    else:
        connection.call(connection.workers.CompleteTrial, worker_service_pb2.CompleteTrialRequest(
            metrics=metrics_of(params), **lease))


def nasq_trials(nasq_cli, study: str) -> list[dict]:
    return json.loads(nasq_cli("trials", study, "-f", "json").stdout)


def proto_trials(server, study: str) -> list[trial_pb2.Trial]:
    connection = connect(server)
    return list(connection.call(connection.studies.ListTrials, study_service_pb2.ListTrialsRequest(
        parent=f"studies/{study}", page_size=1000)).trials)


@pytest.fixture
def tokyo_time():
    """Local time UTC+9 for the test and the CLI it runs (the machine's is UTC), so that a
    datetime stored as local time instead of Optuna's UTC shows as a 9 hour difference."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def local_naive(timestamp) -> datetime.datetime:
    """A protobuf Timestamp as Optuna's naive local datetime."""
    return (datetime.datetime.fromtimestamp(timestamp.seconds)
            + datetime.timedelta(microseconds=timestamp.nanos // 1000))


def single_study(server, nasq_cli, tmp_path) -> str:
    """Study "single": three COMPLETE worker trials with intermediate values, metrics and worker
    labels, one FAIL, one PRUNED (ask/tell) and one RUNNING (asked, never told)."""
    study = create(nasq_cli, tmp_path, SINGLE)
    for i in range(3):
        run_as_worker(server, study, lambda p, i=i: {"loss": p["x"] + i, "acc": 0.5})
    run_as_worker(server, study, None, fail=True)
    pruned = json.loads(nasq_cli("ask", study).stdout)["number"]
    nasq_cli("tell", study, str(pruned), "--state", "pruned")
    nasq_cli("ask", study)
    return study


def export(nasq_cli, study: str, path: pathlib.Path) -> None:
    out = nasq_cli("export", study, "--format", "optuna", "--out", str(path)).stdout
    assert str(path) in out


def test_optuna_load_study_reads_the_export(server, nasq_cli, tmp_path, tokyo_time):
    study = single_study(server, nasq_cli, tmp_path)
    db = tmp_path / "single.db"
    export(nasq_cli, study, db)

    loaded = optuna.load_study(study_name=study, storage=f"sqlite:///{db}")
    assert loaded.directions == [optuna.study.StudyDirection.MINIMIZE]
    assert loaded.metric_names == ["loss"]
    ours = proto_trials(server, study)
    theirs = loaded.get_trials(deepcopy=False)
    assert [t.number for t in theirs] == [t.number for t in ours] == list(range(6))
    states = {trial_pb2.TRIAL_STATE_COMPLETE: "COMPLETE", trial_pb2.TRIAL_STATE_FAIL: "FAIL",
              trial_pb2.TRIAL_STATE_PRUNED: "PRUNED", trial_pb2.TRIAL_STATE_RUNNING: "RUNNING"}
    for mine, t in zip(ours, theirs):
        assert t.state.name == states[mine.state]
        assert t.params == {k: getattr(v, v.WhichOneof("kind")) for k, v in mine.params.items()}
        assert list(t.values or []) == list(mine.values)
        assert t.intermediate_values == dict(mine.intermediate_values)
        assert t.datetime_start == local_naive(mine.start_time)
        if mine.HasField("complete_time"):
            assert t.datetime_complete == local_naive(mine.complete_time)
        else:
            assert t.datetime_complete is None
    # Distributions as Optuna's own.
    first = theirs[0]
    assert first.distributions == {
        "x": optuna.distributions.FloatDistribution(0.0, 1.0),
        "lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True),
        "n": optuna.distributions.IntDistribution(1, 8),
        "w": optuna.distributions.FloatDistribution(0.0, 1.0, step=0.25),
        "act": optuna.distributions.CategoricalDistribution(["relu", "gelu", 3]),
    }
    # nasq's metrics are a user attr, the worker and the failure reason system attrs.
    assert first.user_attrs["metrics"] == {"loss": first.values[0], "acc": 0.5}
    assert first.system_attrs["worker"] == {"id": "w1", "device": "cpu", "host": "box"}
    assert theirs[3].system_attrs["fail_reason"] == "out of memory"
    best = json.loads(nasq_cli("best", study, "-f", "json").stdout)
    assert loaded.best_trial.number == best["number"]
    assert loaded.best_value == best["value"]


def test_optuna_best_trial_cli_agrees_with_nasq_best(server, nasq_cli, tmp_path):
    study = single_study(server, nasq_cli, tmp_path)
    db = tmp_path / "single.db"
    export(nasq_cli, study, db)
    theirs = json.loads(subprocess.run(
        [str(VENV_BIN / "optuna"), "best-trial", "--study-name", study, "--storage",
         f"sqlite:///{db}", "-f", "json"], check=True, capture_output=True, text=True,
        timeout=120).stdout)
    ours = json.loads(nasq_cli("best", study, "-f", "json").stdout)
    assert theirs["number"] == ours["number"]
    assert theirs["value"] == {"loss": ours["value"]}  # Optuna's CLI names it by its metric
    assert theirs["params"] == ours["params"]


def test_multi_objective_export_keeps_directions_metric_names_and_the_front(server, nasq_cli,
                                                                            tmp_path):
    study = create(nasq_cli, tmp_path, MULTI)
    for _ in range(6):
        run_as_worker(server, study, lambda p: {"accuracy": p["x"], "bits": float(p["bits"])},
                      steps=0)
    db = tmp_path / "multi.db"
    export(nasq_cli, study, db)
    loaded = optuna.load_study(study_name=study, storage=f"sqlite:///{db}")
    assert loaded.directions == [optuna.study.StudyDirection.MAXIMIZE,
                                 optuna.study.StudyDirection.MINIMIZE]
    assert loaded.metric_names == ["accuracy", "bits"]
    front = json.loads(nasq_cli("pareto", study, "-f", "json").stdout)
    assert sorted(t.number for t in loaded.best_trials) == sorted(
        t["number"] for t in front["trials"])
    for t in loaded.trials:
        assert t.values == [t.params["x"], float(t.params["bits"])]


def test_optuna_dashboard_serves_the_export(server, nasq_cli, tmp_path):
    study = single_study(server, nasq_cli, tmp_path)
    db = tmp_path / "single.db"
    export(nasq_cli, study, db)
    port = free_port()
    log = open(tmp_path / "dashboard.log", "wb")
    dashboard = subprocess.Popen(
        [str(VENV_BIN / "optuna-dashboard"), f"sqlite:///{db}", "--port", str(port), "--host",
         "127.0.0.1"], stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/studies", timeout=5) as answer:
                    studies = json.load(answer)["study_summaries"]
                break
            except OSError:
                assert dashboard.poll() is None, (tmp_path / "dashboard.log").read_text()
                assert time.monotonic() < deadline, "optuna-dashboard did not answer in 60 s"
                time.sleep(0.2)
        assert [s["study_name"] for s in studies] == [study]
        assert studies[0]["directions"] == ["minimize"]
        with urllib.request.urlopen(f"{base}/api/studies/{studies[0]['study_id']}",
                                    timeout=30) as answer:
            detail = json.load(answer)
        assert len(detail["trials"]) == len(nasq_trials(nasq_cli, study))
        best = json.loads(nasq_cli("best", study, "-f", "json").stdout)
        assert [t["number"] for t in detail["best_trials"]] == [best["number"]]
        assert detail["best_trials"][0]["values"] == [best["value"]]
    finally:
        dashboard.kill()
        dashboard.wait()
        log.close()


def test_round_trip_export_then_import_keeps_trials_params_and_values(server, nasq_cli, tmp_path):
    study = single_study(server, nasq_cli, tmp_path)
    db = tmp_path / "single.db"
    export(nasq_cli, study, db)
    out = nasq_cli("import", "--from", f"sqlite:///{db}", "--study", study, "--as", "back").stdout
    assert "imported 5 finished trials" in out and "skipped 1 running" in out

    def finished(name):
        return [t for t in proto_trials(server, name) if t.state != trial_pb2.TRIAL_STATE_RUNNING]

    original, imported = finished(study), finished("back")
    assert len(imported) == len(original) == 5
    for a, b in zip(original, imported):
        assert b.number == a.number  # the running trial was the last one
        assert b.state == a.state
        assert dict(b.params) == dict(a.params)
        assert list(b.values) == list(a.values)
        assert dict(b.intermediate_values) == dict(a.intermediate_values)
        assert dict(b.user_attrs) == dict(a.user_attrs)
        assert b.start_time == a.start_time and b.complete_time == a.complete_time
        assert json.loads(b.system_attrs["optuna_trial"]) == {"study": study, "number": a.number}
    connection = connect(server)
    spec = connection.call(connection.studies.GetStudy,
                           study_service_pb2.GetStudyRequest(name="studies/back")).spec
    assert list(spec.metric_names) == ["loss"]
    assert json.loads(nasq_cli("best", "back", "-f", "json").stdout)["value"] == \
        json.loads(nasq_cli("best", study, "-f", "json").stdout)["value"]


@pytest.fixture(scope="module")
def native_db(tmp_path_factory) -> pathlib.Path:
    """An Optuna storage holding study "native", made by Optuna itself: float, log-float, int and
    categorical params, 6 COMPLETE trials, a PRUNED one, a FAIL one and a RUNNING one."""
    path = tmp_path_factory.mktemp("optuna") / "native.db"
    study = optuna.create_study(storage=f"sqlite:///{path}", study_name="native",
                                sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", -2.0, 2.0)
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        layers = trial.suggest_int("layers", 1, 6)
        act = trial.suggest_categorical("act", ["relu", "gelu"])
        trial.set_user_attr("note", f"run {trial.number}")
        trial.report(x * x, 0)
        if trial.number == 2:
            raise optuna.TrialPruned()
        if trial.number == 4:
            raise RuntimeError("diverged")
        return x * x + layers * 0.01 + (0.1 if act == "relu" else 0.0) + lr

    study.optimize(objective, n_trials=8, catch=(RuntimeError,))
    study.ask()  # a RUNNING trial, which import skips
    return path


def test_a_study_made_by_optuna_imports_with_its_space_and_trials(server, nasq_cli, native_db,
                                                                  tokyo_time):
    native = optuna.load_study(study_name="native", storage=f"sqlite:///{native_db}")
    out = nasq_cli("import", "--from", f"sqlite:///{native_db}", "--study", "native", "--as",
                   "warm").stdout
    assert "imported 8 finished trials" in out and "skipped 1 running" in out
    connection = connect(server)
    spec = connection.call(connection.studies.GetStudy,
                           study_service_pb2.GetStudyRequest(name="studies/warm")).spec
    space = {p.name: p.distribution for p in spec.space.params}
    assert set(space) == {"x", "lr", "layers", "act"}
    x, lr = space["x"].float_distribution, space["lr"].float_distribution
    assert (x.low, x.high, x.log) == (-2.0, 2.0, False)
    assert (lr.low, lr.high, lr.log) == (1e-5, 1e-1, True)
    layers = space["layers"].int_distribution
    assert (layers.low, layers.high, layers.step) == (1, 6, 1)
    choices = space["act"].categorical_distribution.choices
    assert [getattr(c, c.WhichOneof("kind")) for c in choices] == \
        ["relu", "gelu"]
    assert spec.sampler.kind == study_pb2.SAMPLER_KIND_TPE

    trials = {t["number"]: t for t in nasq_trials(nasq_cli, "warm")}
    times = {t.number: (local_naive(t.start_time), local_naive(t.complete_time))
             for t in proto_trials(server, "warm")}
    for t in native.get_trials(deepcopy=False):
        if not t.state.is_finished():
            assert t.number not in trials
            continue
        ours = trials[t.number]
        assert ours["state"] == t.state.name
        assert ours["params"] == t.params
        assert times[t.number] == (t.datetime_start, t.datetime_complete)
        if t.value is not None:
            assert ours["value"] == t.value

    asked = json.loads(nasq_cli("ask", "warm").stdout)
    assert asked["number"] == 8
    assert -2.0 <= asked["params"]["x"] <= 2.0
    assert 1e-5 <= asked["params"]["lr"] <= 1e-1
    assert asked["params"]["layers"] in range(1, 7)
    assert asked["params"]["act"] in ("relu", "gelu")


@pytest.mark.parametrize("case", ["missing file", "unknown study", "not an Optuna file",
                                  "not sqlite url"])
def test_bad_input_is_refused_clearly_and_creates_nothing(server, nasq_cli, tmp_path, native_db,
                                                          case):
    db = native_db
    garbage = tmp_path / "garbage.db"
    garbage.write_text("this is not a database\n" * 100)
    source, study, message = {
        "missing file": (f"sqlite:///{tmp_path / 'nope.db'}", "native", "no such file"),
        "unknown study": (f"sqlite:///{db}", "other", "has no study 'other' (its studies: native)"),
        "not an Optuna file": (f"sqlite:///{garbage}", "native", "is not an Optuna storage"),
        "not sqlite url": (f"postgresql://host/{db}", "native", "--from"),
    }[case]
    result = nasq_cli("import", "--from", source, "--study", study, "--as", "x", check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert json.loads(nasq_cli("study", "list", "-f", "json").stdout) == []


def test_export_adds_studies_to_an_optuna_file_but_never_overwrites(server, nasq_cli, tmp_path):
    study = create(nasq_cli, tmp_path, MULTI)
    db = tmp_path / "all.db"
    other = tmp_path / "other.yaml"
    other.write_text(SINGLE)
    nasq_cli("study", "create", str(other))
    export(nasq_cli, study, db)
    export(nasq_cli, "single", db)
    assert sorted(s.study_name for s in optuna.get_all_study_summaries(f"sqlite:///{db}")) == \
        ["multi", "single"]
    again = nasq_cli("export", study, "--format", "optuna", "--out", str(db), check=False)
    assert again.returncode != 0 and "already holds a study named 'multi'" in again.stderr
    text = tmp_path / "notes.db"
    text.write_text("keep me")
    result = nasq_cli("export", study, "--format", "optuna", "--out", str(text), check=False)
    assert result.returncode != 0 and "is not an Optuna storage" in result.stderr
    assert text.read_text() == "keep me"


def test_a_trial_the_server_refuses_rolls_the_import_back(server, nasq_cli, tmp_path, native_db):
    """A COMPLETE trial without its value (an edited file) is refused by AddTrial midway: the
    study created for the import is deleted again."""
    db = tmp_path / "edited.db"
    shutil.copy(native_db, db)
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM trial_values WHERE trial_id = "
                           "(SELECT trial_id FROM trials WHERE number = 5)")
    result = nasq_cli("import", "--from", f"sqlite:///{db}", "--study", "native", "--as", "x",
                      check=False)
    assert result.returncode != 0
    assert "Optuna trial 5: trial.values" in result.stderr
    assert "deleted again" in result.stderr
    assert json.loads(nasq_cli("study", "list", "-f", "json").stdout) == []


def test_outcome_constraints_make_optuna_skip_the_trials_nasq_skips(server, nasq_cli, tmp_path):
    study = create(nasq_cli, tmp_path, SINGLE)
    for value, memory in (("0.1", "1"), ("0.5", "-1")):  # the better trial is infeasible
        number = json.loads(nasq_cli("ask", study).stdout)["number"]
        nasq_cli("tell", study, str(number), "--values", value, "--constraint", f"mem={memory}")
    db = tmp_path / "constrained.db"
    export(nasq_cli, study, db)
    loaded = optuna.load_study(study_name=study, storage=f"sqlite:///{db}")
    best = json.loads(nasq_cli("best", study, "-f", "json").stdout)
    assert best["number"] == 1
    assert loaded.best_trial.number == 1
    assert loaded.trials[0].system_attrs["constraints:mem"] == 1.0


CONDITIONAL = """
name: cond
direction: minimize
space:
  params:
    layers: {type: int, low: 1, high: 4}
    width: {type: categorical, choices: [8, 16], when: {parent: layers, op: ">=", value: 3}}
sampler: {type: random, seed: 5}
"""


def test_a_conditional_nasq_study_round_trips_through_its_stored_spec(server, nasq_cli, tmp_path):
    """Optuna's rows cannot say when a param exists; the export's study system attr "nasq:spec"
    can, so the import gets the exact space back instead of refusing a conditional param."""
    study = create(nasq_cli, tmp_path, CONDITIONAL)
    for _ in range(8):
        asked = json.loads(nasq_cli("ask", study).stdout)
        nasq_cli("tell", study, str(asked["number"]), "--values", str(asked["params"]["layers"]))
    db = tmp_path / "cond.db"
    export(nasq_cli, study, db)
    loaded = optuna.load_study(study_name=study, storage=f"sqlite:///{db}")
    assert {"width" in t.params for t in loaded.trials} == {True, False}, "both kinds of trial"
    nasq_cli("import", "--from", f"sqlite:///{db}", "--study", study, "--as", "cond2")
    original, imported = nasq_trials(nasq_cli, study), nasq_trials(nasq_cli, "cond2")
    assert [(t["params"], t["value"]) for t in imported] == \
        [(t["params"], t["value"]) for t in original]
    connection = connect(server)
    spec = connection.call(connection.studies.GetStudy,
                           study_service_pb2.GetStudyRequest(name="studies/cond2")).spec
    width = next(p for p in spec.space.params if p.name == "width")
    assert [c.parent for c in width.conditions] == ["layers"]
    for _ in range(6):
        params = json.loads(nasq_cli("ask", "cond2").stdout)["params"]
        assert ("width" in params) == (params["layers"] >= 3)
