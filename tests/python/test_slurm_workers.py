"""Issue 18: nasq workers as Slurm jobs, on a real single-node Slurm (slurm_cluster.py).

A study of three tiny-BERT trials is served by two workers that `nasq workers slurm` submits
as a job array of deploy/slurm/nasq-worker.sbatch (one worker per array task, each on a GPU of
its own: the node's two fake GPUs; the workers run on the CPU through NASQ_WORKER_ARGS). One
array task is cancelled with `scancel` while its worker trains: the worker gives the trial back
(ReleaseTrial) and the coordinator re-queues it at once, although its lease has 60 s left, and
the other worker runs it again; the study completes. The other task is then stopped as Slurm
does before a time limit (SIGTERM to the batch shell only, --signal=B:TERM), which the script's
trap forwards to its worker, which exits 0.

Skipped when the Slurm or munge programs are missing or the test does not run as root (slurmd
runs jobs as root here), or without the SpamAssassin data (scripts/fetch-data.sh).
"""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import time

import pytest

import slurm_cluster
from conftest import binary
from worker_helpers import REPO, state_name, system_attr, trials, wait_for

SCRIPT = REPO / "deploy" / "slurm" / "nasq-worker.sbatch"
STUDY = "slurm"
STUDY_YAML = """name: slurm
direction: maximize
metric: accuracy
space:
  params:
    train.learning_rate: [1.0e-3, 2.0e-3, 3.0e-3]
sampler: {type: grid, seed: 0}
max_trials: 3
lease: {duration: 60s, heartbeat_interval: 500ms}
task:
  kind: bert-classify
  dataset: {max_examples: 400, max_length: 32}
  tokenizer: {vocab_size: 500}
  model: {num_layers: 1, num_heads: 2, hidden_size: 16, intermediate_size: 32}
  stages:
    - {stage: train, epochs: 3, batch_size: 16}
"""


def _skip_reason() -> str | None:
    missing = slurm_cluster.missing_programs()
    if missing:
        return (f"Slurm/munge programs missing: {', '.join(missing)} (Debian: apt-get install "
                "slurmd slurmctld slurm-client munge)")
    if os.geteuid() != 0:
        return "the single-node Slurm runs slurmd and its jobs as root"
    if not (REPO / "third_party" / "spam-assassin" / "data").exists():
        return "SpamAssassin data not fetched (scripts/fetch-data.sh)"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


@pytest.fixture
def cluster():
    with slurm_cluster.SlurmCluster(cpus=2) as c:
        yield c


def holder(trial) -> str:
    return trial.lease.worker_id if state_name(trial) == "RUNNING" else ""


def test_slurm_workers_complete_a_study_and_release_a_cancelled_trial(server, cluster,
                                                                       tmp_path: pathlib.Path):
    env = cluster.env(NASQ_SERVER=server.address,
                      NASQ_WORKER_BIN=os.path.abspath(binary("NASQ_WORKER_BIN")),
                      NASQ_WORKER_ARGS=f"--device cpu --threads 1 --lease-wait-ms 500 "
                                       f"--cache-dir {tmp_path / 'cache'}")

    def nasq(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([binary("NASQ_CLI_BIN"), *args], env=env, capture_output=True,
                              text=True, timeout=60)

    spec = tmp_path / "study.yaml"
    spec.write_text(STUDY_YAML)
    assert nasq("study", "create", str(spec)).returncode == 0

    # A study the server does not have is refused before anything reaches Slurm.
    refused = nasq("workers", "slurm", "--study", "nope", "--count", "2", "--script", str(SCRIPT))
    assert refused.returncode == 1 and "nope" in refused.stderr, refused.stderr
    # A job sbatch refuses is reported with sbatch's own message.
    refused = nasq("workers", "slurm", "--study", STUDY, "--count", "2", "--script", str(SCRIPT),
                   "--partition=nope")
    assert refused.returncode == 1, refused.stderr
    assert "sbatch failed" in refused.stderr and "invalid partition" in refused.stderr.lower()
    assert cluster.jobs() == []

    logs = cluster.dir / "jobs"
    logs.mkdir()
    submitted = nasq("workers", "slurm", "--study", STUDY, "--count", "2", "--script", str(SCRIPT),
                     f"--chdir={logs}", f"--output={logs}/worker-%a.log", "--time=10",
                     "--partition", "nasq")
    assert submitted.returncode == 0, submitted.stderr
    job = re.match(r"Submitted Slurm job (\d+): 2 nasq-workers for study 'slurm'",
                   submitted.stdout).group(1)
    log = lambda task: (logs / f"worker-{task}.log").read_text(errors="replace")  # noqa: E731

    def failure_context() -> str:
        texts = [f"--- worker-{t}.log\n{log(t)[-3000:]}" for t in (0, 1)
                 if (logs / f"worker-{t}.log").exists()]
        return "\n".join(texts) + "\n" + cluster.logs() + "\n--- server\n" + \
            server.log.read_text()[-2000:]

    def held_by(worker: str):
        if f"{job}_0" not in cluster.jobs():
            pytest.fail(f"task 0 ended before it ran a trial\n{failure_context()}")
        return [t for t in trials(server.address, STUDY) if holder(t) == worker]

    # Task 0 holds a trial mid-run; scancel ends its job (SIGTERM to the script and the worker).
    first = f"slurm-{job}_0"
    try:
        held = wait_for(lambda: held_by(first), 120, f"{first} to run a trial")[0]
    except AssertionError:
        pytest.fail(failure_context())
    cancelled_at = time.monotonic()
    cluster.run("scancel", f"{job}_0")

    def released():
        trial = trials(server.address, STUDY)[held.number]
        attempts = system_attr(trial, "attempts") or []
        return trial if attempts and attempts[0]["outcome"] == "released" else None

    try:
        requeued = wait_for(released, 30, f"trial {held.number} to be released")
    except AssertionError:
        pytest.fail(failure_context())
    release_s = time.monotonic() - cancelled_at
    print(f"scancel to the trial re-queued: {release_s:.2f} s (lease: 60 s)")
    assert release_s < 30, "re-queued by the lease's expiry, not released"
    attempt = system_attr(requeued, "attempts")[0]
    assert attempt["worker_id"] == first and "SIGTERM" in attempt["reason"]

    # Task 1 runs the released trial again and completes the study.
    try:
        wait_for(lambda: sum(state_name(t) == "COMPLETE" for t in trials(server.address, STUDY))
                 == 3, 180, "3 COMPLETE trials")
    except AssertionError:
        pytest.fail(failure_context())
    done = trials(server.address, STUDY)
    rerun = done[held.number]
    assert rerun.attempt == 2
    assert system_attr(rerun, "worker")["id"] == f"slurm-{job}_1"
    assert {system_attr(t, "worker")["id"] for t in done} <= {first, f"slurm-{job}_1"}

    wait_for(lambda: f"{job}_0" not in cluster.jobs(), 30, "task 0's job to end")
    assert "nasq-worker exited with status 0" in log(0), failure_context()
    # One fake GPU each (the script's --gres=gpu:1): Slurm set a different device for each task.
    devices = {re.search(r"CUDA_VISIBLE_DEVICES=(\S+):", log(t)).group(1) for t in (0, 1)}
    assert devices == {"0", "1"}, failure_context()

    # Slurm's signal before a time limit reaches the batch shell only; its trap stops the worker.
    cluster.run("scancel", "--batch", "--signal=TERM", f"{job}_1")
    wait_for(lambda: f"{job}_1" not in cluster.jobs(), 30, "task 1's job to end")
    assert "SIGTERM received" in log(1), failure_context()
    assert "nasq-worker exited with status 0" in log(1), failure_context()
