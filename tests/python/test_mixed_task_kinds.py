"""Issue 15, acceptance 2: one nasq-server, a study of task kind `python` and a bert-classify
study, a Python worker (`python -m nasq.worker`) and a C++ nasq-worker at the same time. Each
worker leases only trials of its own kind (system attr "worker" of every trial), and a Python
worker SIGKILLed mid-trial has its trial re-queued once the lease expires (WAITING, untouched
by the C++ worker, then run again as attempt 2 by another Python worker).

Needs the C++ worker ($NASQ_WORKER_BIN, set by ctest when nasq-worker is built) and the embedded
SpamAssassin data (scripts/fetch-data.sh); skipped without them.
"""
import os
import signal
import subprocess
import time

import pytest

from worker_helpers import (REPO, WorkerProcess, create_study, state_name, system_attr, trials,
                            wait_for)

SPAM_DATA = REPO / "third_party" / "spam-assassin" / "data"
LEASE = "lease: {duration: 2s, heartbeat_interval: 200ms}"

# Eight tiny BERTs of one epoch on 200 e-mails: about a second each on one CPU thread, so the
# C++ worker is still busy with them while the Python workers serve their study.
BERT_STUDY = f"""name: bert
direction: maximize
metric: accuracy
space:
  params:
    hidden_size: [16, 32]
    num_layers: [1, 2]
    train.learning_rate: [1.0e-3, 3.0e-3]
sampler: {{type: grid, seed: 0}}
max_trials: 8
{LEASE}
task:
  kind: bert-classify
  dataset: {{max_examples: 200, max_length: 32}}
  tokenizer: {{vocab_size: 300}}
  model: {{num_layers: 1, num_heads: 2, hidden_size: 16, intermediate_size: 32}}
  stages:
    - {{stage: train, epochs: 1, batch_size: 16}}
"""

PYTHON_STUDY = f"""name: py
direction: maximize
space:
  params:
    x: {{type: float, low: 0.0, high: 1.0}}
sampler: {{type: random, seed: 3}}
max_trials: 3
max_retries: 2
{LEASE}
task: {{kind: python}}
"""


@pytest.fixture
def cpp_worker_bin():
    path = os.environ.get("NASQ_WORKER_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.skip("the C++ worker is not built ($NASQ_WORKER_BIN)")
    if not SPAM_DATA.is_dir():
        pytest.skip(f"SpamAssassin data not found at {SPAM_DATA} (scripts/fetch-data.sh)")
    return path


def test_each_worker_serves_its_own_kind_and_a_killed_python_workers_trial_is_requeued(
        server, nasq_cli, tmp_path, cpp_worker_bin):
    create_study(nasq_cli, tmp_path, BERT_STUDY)
    create_study(nasq_cli, tmp_path, PYTHON_STUDY)
    started = tmp_path / "started"
    (tmp_path / "pyfn.py").write_text(f"""import pathlib, time
def slow(trial):  # holds its trial until the test kills the worker
    pathlib.Path({str(started)!r}).touch()
    time.sleep(600)
def quick(trial):
    return trial.params["x"]
""")
    fn = str(tmp_path / "pyfn.py")
    cpp_log = tmp_path / "cpp-worker.log"
    with open(cpp_log, "wb") as log:
        cpp = subprocess.Popen([cpp_worker_bin, "--server", server.address, "--worker-id", "cpp",
                                "--threads", "1", "--lease-wait-ms", "300",
                                "--cache-dir", str(tmp_path / "cache")],
                               stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    first = WorkerProcess(server.address, tmp_path / "py-1.log", "--fn", f"{fn}:slow",
                          "--worker-id", "py-1")
    second = None
    try:
        wait_for(started.exists, 60, "the Python worker to start trial 0 of study py")
        assert [(t.number, state_name(t), t.lease.worker_id, t.attempt)
                for t in trials(server.address, "py")] == [(0, "RUNNING", "py-1", 1)]

        first.kill()  # SIGKILL mid-trial: no FailTrial, no more heartbeats
        requeued = wait_for(lambda: [t for t in trials(server.address, "py")
                                     if state_name(t) == "WAITING"], 20,
                            "the killed worker's trial to return to WAITING")
        assert [t.number for t in requeued] == [0]
        # The C++ worker polls all along but never takes the python trial.
        time.sleep(1.0)
        assert state_name(trials(server.address, "py")[0]) == "WAITING"

        second = WorkerProcess(server.address, tmp_path / "py-2.log", "--fn", f"{fn}:quick",
                               "--worker-id", "py-2", "--idle-timeout", "3")
        assert second.wait(60) == 0
        wait_for(lambda: all(state_name(t) == "COMPLETE" for t in trials(server.address, "bert"))
                 and len(trials(server.address, "bert")) == 8, 180,
                 "the C++ worker to complete the bert study")
    finally:
        first.kill()
        if second:
            second.kill()
        cpp.send_signal(signal.SIGTERM)
        try:
            cpp.wait(timeout=30)
        except subprocess.TimeoutExpired:
            cpp.kill()
            cpp.wait()

    python_trials = trials(server.address, "py")
    assert [(t.number, state_name(t), t.attempt) for t in python_trials] == [
        (0, "COMPLETE", 2), (1, "COMPLETE", 1), (2, "COMPLETE", 1)]
    for trial in python_trials:
        worker = system_attr(trial, "worker")
        assert (worker["id"], worker["task_kind"]) == ("py-2", "python"), trial.name
        assert list(trial.values) == [trial.params["x"].double_value]
    bert_trials = trials(server.address, "bert")
    assert {system_attr(t, "worker")["id"] for t in bert_trials} == {"cpp"}, cpp_log.read_text()
