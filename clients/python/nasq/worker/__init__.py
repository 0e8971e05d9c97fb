"""Python workers: nasq.Worker runs a user's function as the trials of studies of one task kind
(contract in nasq/worker/_worker.py; `python -m nasq.worker` runs one from the shell)."""
from nasq.worker._trial import WorkerTrial  # noqa: F401
from nasq.worker._worker import Worker, WorkerStats, failure_reason  # noqa: F401
