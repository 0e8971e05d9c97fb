"""nasq for Python: a client that feels like Optuna (nasq.connect) and workers that run any
Python training function as a nasq trial (nasq.Worker). See docs/python.md."""
__version__ = "0.1.0"

from nasq.errors import NasqError, TrialPruned  # noqa: E402,F401
from nasq.worker import Worker, WorkerStats, WorkerTrial  # noqa: E402,F401
