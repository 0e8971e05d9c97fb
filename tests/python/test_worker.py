"""nasq.Worker against a real nasq-server: what fn returns or raises becomes the trial's result
(float, sequence, dict of metrics, exception -> FAIL with its text, TrialPruned and the
pruner's answer -> PRUNED), reports reach the intermediate values, a stopped study's trial is
not completed, the trial sees its params and task, the worker's labels are recorded,
`python -m nasq.worker` drains on SIGTERM, and the PyTorch example (examples/python-worker)
completes its study."""
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

import nasq
from nasq.worker._result import completion
from worker_helpers import (REPO, WorkerProcess, create_study, state_name, system_attr, trials,
                            user_attr, wait_for)


def study_yaml(name: str, objectives: str = "direction: maximize", max_trials: int = 3,
               extra: str = "") -> str:
    return f"""name: {name}
{objectives}
space:
  params:
    x: {{type: float, low: 0.0, high: 1.0}}
    n: {{type: int, low: 1, high: 4}}
sampler: {{type: random, seed: 7}}
max_trials: {max_trials}
lease: {{duration: 5s, heartbeat_interval: 200ms}}
task: {{kind: python, epochs: 2, data: {{rows: 64}}}}
{extra}"""


def run_worker(server, fn, max_trials: int, **kwargs) -> nasq.WorkerStats:
    with nasq.Worker(server.address, fn=fn, worker_id="pw-test", **kwargs) as worker:
        return worker.run(max_trials=max_trials, idle_timeout=10)


def test_a_float_completes_the_trial_and_fn_sees_params_task_and_study(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("f"))
    seen = []

    def fn(trial):
        seen.append((trial.number, trial.study, trial.attempt, dict(trial.params), trial.task))
        return trial.params["x"] * trial.params["n"]

    stats = run_worker(server, fn, max_trials=3)
    assert (stats.completed, stats.failed, stats.trials) == (3, 0, 3)
    done = trials(server.address, "f")
    assert [state_name(t) for t in done] == ["COMPLETE"] * 3
    for trial, (number, study, attempt, params, task) in zip(done, seen):
        assert (number, study, attempt) == (trial.number, "f", 1)
        assert params == {"n": trial.params["n"].int_value, "x": trial.params["x"].double_value}
        assert task == {"kind": "python", "epochs": 2, "data": {"rows": 64}}
        assert list(trial.values) == [pytest.approx(params["x"] * params["n"])]
        worker = system_attr(trial, "worker")
        assert worker["id"] == "pw-test"
        assert worker["task_kind"] == "python" and worker["device"] == "cpu"
        assert worker["python"].count(".") == 2 and worker["pid"].isdigit()


def test_a_sequence_gives_one_value_per_objective(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path,
                 study_yaml("seq", "directions: [maximize, minimize]", max_trials=2))
    stats = run_worker(server, lambda t: (t.params["x"], t.params["n"]), max_trials=2)
    assert stats.completed == 2
    for trial in trials(server.address, "seq"):
        assert list(trial.values) == [trial.params["x"].double_value, trial.params["n"].int_value]


def test_a_dict_gives_values_by_metric_name_and_keeps_every_metric(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml(
        "dict", "directions: [maximize, minimize]\nmetrics: [accuracy, size]", max_trials=2))

    def fn(trial):
        trial.set_user_attr("note", {"n": trial.params["n"]})
        return {"size": trial.params["n"] * 10, "accuracy": trial.params["x"], "seconds": 0.5}

    assert run_worker(server, fn, max_trials=2).completed == 2
    for trial in trials(server.address, "dict"):
        x, n = trial.params["x"].double_value, trial.params["n"].int_value
        assert list(trial.values) == [x, n * 10]
        assert user_attr(trial, "metrics") == {"accuracy": x, "size": n * 10, "seconds": 0.5}
        assert user_attr(trial, "note") == {"n": n}


def test_a_dict_without_metric_names_fails_the_trial_saying_so(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("nonames", max_trials=1))
    stats = run_worker(server, lambda t: {"accuracy": 1.0}, max_trials=1)
    assert stats.failed == 1
    (trial,) = trials(server.address, "nonames")
    assert state_name(trial) == "FAIL"
    assert "names no metrics" in system_attr(trial, "fail_reason")


def test_an_exception_fails_the_trial_with_its_type_message_and_place(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("exc", max_trials=2))

    def fn(trial):
        if trial.number == 0:
            raise ValueError(f"x={trial.params['x']:.3f} is not trainable")
        return 1.0

    stats = run_worker(server, fn, max_trials=2)
    assert (stats.failed, stats.completed) == (1, 1)  # the worker goes on after a failure
    failed, complete = trials(server.address, "exc")
    assert (state_name(failed), state_name(complete)) == ("FAIL", "COMPLETE")
    reason = system_attr(failed, "fail_reason")
    assert reason.startswith(f"ValueError: x={failed.params['x'].double_value:.3f} is not trainable")
    assert "test_worker.py" in reason and "in fn)" in reason


def test_trial_pruned_ends_the_trial_pruned_at_its_last_report(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("pruned", max_trials=1))

    def fn(trial):
        for step, value in enumerate((0.25, 0.5)):
            assert trial.report(value, step, metrics={"loss": 1 - value}) is False
        raise nasq.TrialPruned()

    assert run_worker(server, fn, max_trials=1).pruned == 1
    (trial,) = trials(server.address, "pruned")
    assert state_name(trial) == "PRUNED"
    assert dict(trial.intermediate_values) == {0: 0.25, 1: 0.5}
    assert list(trial.values) == [0.5]
    assert user_attr(trial, "intermediate/1") == {"loss": 0.5}


def test_the_pruners_answer_turns_should_prune_and_ends_the_trial_pruned(server, nasq_cli,
                                                                          tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml(
        "threshold", max_trials=1, extra="pruner: {type: threshold, lower: 0.5}\n"))
    answers = []

    def fn(trial):
        answers.append((trial.report(0.9, 0), trial.should_stop()))
        answers.append((trial.report(0.1, 1), trial.should_stop()))
        return {"ignored": 1.0}  # returning instead of raising TrialPruned: still PRUNED

    assert run_worker(server, fn, max_trials=1).pruned == 1
    assert answers == [(False, False), (True, True)]
    (trial,) = trials(server.address, "threshold")
    assert state_name(trial) == "PRUNED"
    assert list(trial.values) == [0.1]
    assert user_attr(trial, "metrics") == {"ignored": 1.0}


def test_stopping_the_study_makes_should_stop_true_and_nothing_is_completed(server, nasq_cli,
                                                                             tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("stop", max_trials=3))
    running = threading.Event()
    observed = {}

    def fn(trial):
        running.set()
        deadline = time.monotonic() + 20
        while not trial.should_stop() and time.monotonic() < deadline:
            time.sleep(0.02)
        observed["should_stop"] = trial.should_stop()
        return 1.0

    stopper = threading.Thread(target=lambda: running.wait(20) and nasq_cli("study", "stop", "stop"))
    stopper.start()
    stats = run_worker(server, fn, max_trials=1)
    stopper.join()
    assert observed == {"should_stop": True}
    assert (stats.failed, stats.completed) == (1, 0)
    (trial,) = trials(server.address, "stop")
    assert state_name(trial) == "FAIL"
    assert system_attr(trial, "fail_reason") == "stopped by the coordinator"
    assert len(trial.values) == 0


def test_a_result_of_the_wrong_type_fails_the_trial_naming_it(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("wrongtype", max_trials=1))
    assert run_worker(server, lambda t: "0.5", max_trials=1).failed == 1
    (trial,) = trials(server.address, "wrongtype")
    assert "the returned value is str '0.5', not a number" in system_attr(trial, "fail_reason")


def test_bad_arguments_are_refused_naming_them(server):
    with pytest.raises(TypeError, match="fn:"):
        nasq.Worker(server.address)
    with pytest.raises(ValueError, match="task_kind"):
        nasq.Worker(server.address, task_kind="", fn=lambda t: 0.0)
    with nasq.Worker(server.address, fn=lambda t: 0.0) as worker:
        with pytest.raises(ValueError, match="max_trials"):
            worker.run(max_trials=-1)


def test_a_worker_leases_only_studies_of_its_task_kind(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("other", max_trials=1).replace(
        "kind: python", "kind: other"))
    with nasq.Worker(server.address, fn=lambda t: 0.0) as worker:
        started = time.monotonic()
        assert worker.run(idle_timeout=1.0).trials == 0
        assert 1.0 <= time.monotonic() - started < 5
    assert trials(server.address, "other") == []


def start_sleeping_worker(server, tmp_path, sleep_s: float, extra=()) -> WorkerProcess:
    """`python -m nasq.worker` whose fn sleeps `sleep_s` and returns 2.0, once its first trial
    has started."""
    marker = tmp_path / "started"
    (tmp_path / "sleepfn.py").write_text(f"""import pathlib, time
def fn(trial):
    pathlib.Path({str(marker)!r}).touch()
    time.sleep({sleep_s})
    return 2.0
""")
    worker = WorkerProcess(server.address, tmp_path / "worker.log", "--fn",
                           str(tmp_path / "sleepfn.py") + ":fn", *extra)
    try:
        wait_for(marker.exists, 30, "the first trial to start")
    except BaseException:
        worker.kill()
        raise
    return worker


def test_sigterm_lets_the_running_trial_finish_and_leases_no_more(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("drain", max_trials=3))
    worker = start_sleeping_worker(server, tmp_path, sleep_s=1.5, extra=("--worker-id", "drainer"))
    try:
        worker.signal(signal.SIGTERM)
        assert worker.wait(30) == 0
    finally:
        worker.kill()
    done = trials(server.address, "drain")
    assert [(state_name(t), list(t.values)) for t in done] == [("COMPLETE", [2.0])]


def test_the_heartbeat_keeps_a_trial_longer_than_its_lease(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("long", max_trials=1).replace(
        "duration: 5s", "duration: 2s"))

    def fn(trial):
        time.sleep(4.5)  # over two leases; the server reaps expired leases every second
        return 1.0

    assert run_worker(server, fn, max_trials=1).completed == 1
    (trial,) = trials(server.address, "long")
    assert (state_name(trial), trial.attempt) == ("COMPLETE", 1)


def assert_released_by_a_signal(address: str, study: str) -> None:
    """The study's one trial was given back by ReleaseTrial: WAITING again, its attempt 1
    recorded as released with the worker's reason, nothing reported."""
    (trial,) = trials(address, study)
    assert state_name(trial) == "WAITING" and list(trial.values) == []
    (attempt,) = system_attr(trial, "attempts")
    assert attempt["outcome"] == "released", attempt
    assert "stopped by a signal" in attempt["reason"], attempt


def test_a_second_sigterm_gives_the_running_trial_back_without_reporting(server, nasq_cli,
                                                                          tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("abandon", max_trials=1))
    worker = start_sleeping_worker(server, tmp_path, sleep_s=60)
    try:
        worker.signal(signal.SIGTERM)
        time.sleep(0.5)
        worker.signal(signal.SIGTERM)
        assert worker.wait(10) == 0
    finally:
        worker.kill()
    assert "released at shutdown" in worker.log.read_text()
    assert_released_by_a_signal(server.address, "abandon")


def test_on_sigterm_release_gives_the_trial_back_at_the_first_signal(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("release", max_trials=1))
    worker = start_sleeping_worker(server, tmp_path, sleep_s=60, extra=("--on-sigterm", "release"))
    try:
        started = time.monotonic()
        worker.signal(signal.SIGTERM)
        assert worker.wait(10) == 0
        assert time.monotonic() - started < 5  # not the 60 s the trial would take
    finally:
        worker.kill()
    assert_released_by_a_signal(server.address, "release")


def test_on_sigterm_takes_finish_or_release_only():
    with pytest.raises(ValueError, match="on_sigterm: finish or release"):
        nasq.Worker("127.0.0.1:1", fn=lambda trial: 1.0, on_sigterm="abort")


def test_a_lost_lease_makes_should_stop_true_and_drops_the_result(server, nasq_cli, tmp_path):
    create_study(nasq_cli, tmp_path, study_yaml("lost", max_trials=1))
    observed = {}

    def fn(trial):
        nasq_cli("tell", "lost", "0", "--values", "0.25", "--force")  # an admin takes it over
        deadline = time.monotonic() + 20
        while not trial.should_stop() and time.monotonic() < deadline:
            time.sleep(0.02)
        observed.update(lost=trial.lease_lost(), stopped=trial.stopped())
        return 1.0

    stats = run_worker(server, fn, max_trials=1)
    assert observed == {"lost": True, "stopped": False}
    assert (stats.dropped, stats.completed, stats.failed) == (1, 0, 0)
    (trial,) = trials(server.address, "lost")
    assert (state_name(trial), list(trial.values)) == ("COMPLETE", [0.25])  # the admin's value


@pytest.mark.parametrize("result, expected", [
    (0.5, ([0.5], {})),
    (3, ([3.0], {})),
    ([1, 2.5], ([1.0, 2.5], {})),
    ({"accuracy": 1}, ([], {"accuracy": 1.0})),
])
def test_completion_of_the_accepted_results(result, expected):
    assert completion(result, ["accuracy"]) == expected


@pytest.mark.filterwarnings("ignore:Failed to initialize NumPy")  # Debian's torch, venv's NumPy 2
def test_completion_of_torch_scalars():
    torch = pytest.importorskip("torch")
    assert completion(torch.tensor(0.5), []) == ([0.5], {})
    assert completion((torch.tensor(1.0), torch.tensor(2)), []) == ([1.0, 2.0], {})


@pytest.mark.parametrize("result, message", [
    (None, "the function returned None"),
    (True, "the returned value is bool True, not a number"),
    ((1.0, "a"), "value 1 is str 'a', not a number"),
    ({"accuracy": None}, "metric 'accuracy' is NoneType None, not a number"),
])
def test_completion_refuses_other_results_naming_them(result, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        completion(result, ["accuracy"])


@pytest.mark.parametrize("fn, message", [
    ("no_such_module_here:train", "--fn: cannot import no_such_module_here"),
    ("missing.py:train", "--fn: no such file missing.py"),
    ("train", "--fn: expected MODULE:FUNCTION or FILE.py:FUNCTION"),
    ("examples/python-worker/train.py:fit", "has no function fit"),
])
def test_the_command_refuses_a_bad_fn_naming_it(tmp_path, fn, message):
    done = subprocess.run([sys.executable, "-m", "nasq.worker", "--fn", fn], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_the_pytorch_example_study_completes_with_a_python_worker(server, nasq_cli, tmp_path):
    pytest.importorskip("torch")
    nasq_cli("study", "create", str(REPO / "examples/python-worker/study.yaml"))
    worker = WorkerProcess(server.address, tmp_path / "worker.log", "--fn",
                           "examples/python-worker/train.py:train", "--max-trials", "12",
                           "--idle-timeout", "5")
    assert worker.wait(120) == 0, worker.log.read_text()[-2000:]
    done = trials(server.address, "python-mlp-spirals")
    states = [state_name(t) for t in done]
    assert len(done) == 12 and set(states) <= {"COMPLETE", "PRUNED"}, states
    complete = [t for t in done if state_name(t) == "COMPLETE"]
    for trial in complete:  # every epoch reported; the value is the last epoch's accuracy
        assert sorted(trial.intermediate_values) == list(range(20))
        assert list(trial.values) == [trial.intermediate_values[19]]
        assert user_attr(trial, "metrics")["accuracy"] == trial.values[0]
    # It learns: two spirals are far from separable by chance (0.5).
    assert max(t.values[0] for t in complete) > 0.85
