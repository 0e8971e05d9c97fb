"""Helpers of the Python worker suites: studies from YAML through the CLI, trials through the
raw stubs (independent of the client API under test elsewhere), `python -m nasq.worker`
subprocesses, and polling."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
from typing import Callable, Optional

from nasq import _rpc
from nasq.v1 import study_service_pb2, trial_pb2

REPO = pathlib.Path(__file__).resolve().parents[2]


def create_study(nasq_cli, tmp_path: pathlib.Path, yaml_text: str) -> None:
    path = tmp_path / f"study-{time.monotonic_ns()}.yaml"
    path.write_text(yaml_text)
    nasq_cli("study", "create", str(path))


def list_trials(connection: _rpc.Connection, study: str) -> list[trial_pb2.Trial]:
    """The study's trials (up to 1000), through `connection`."""
    return list(connection.call(connection.studies.ListTrials, study_service_pb2.ListTrialsRequest(
        parent=f"studies/{study}", page_size=1000)).trials)


def trials(address: str, study: str) -> list[trial_pb2.Trial]:
    connection = _rpc.Connection(_rpc.ConnectOptions(address=address))
    try:
        return list_trials(connection, study)
    finally:
        connection.close()


def system_attr(trial: trial_pb2.Trial, key: str):
    return json.loads(trial.system_attrs[key]) if key in trial.system_attrs else None


def user_attr(trial: trial_pb2.Trial, key: str):
    return json.loads(trial.user_attrs[key]) if key in trial.user_attrs else None


def state_name(trial: trial_pb2.Trial) -> str:
    return trial_pb2.TrialState.Name(trial.state).removeprefix("TRIAL_STATE_")


def wait_for(condition: Callable[[], object], timeout_s: float, what: str) -> object:
    """Polls `condition` until it returns something truthy, which it returns; AssertionError
    naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)


class WorkerProcess:
    """`python -m nasq.worker ARGS` against `address`, logging to `log`."""

    def __init__(self, address: str, log: pathlib.Path, *args: str,
                 cwd: Optional[pathlib.Path] = None):
        self.log = log
        env = dict(os.environ, NASQ_SERVER=address)
        with open(log, "ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "nasq.worker", *args],
                                            stdout=out, stderr=subprocess.STDOUT, env=env,
                                            cwd=cwd or REPO)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout_s: float) -> int:
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"worker still running after {timeout_s} s: "
                                 f"{self.log.read_text()[-2000:]}") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
