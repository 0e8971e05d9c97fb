"""nasq for Python: a client that feels like Optuna (nasq.connect) and workers that run any
Python training function as a nasq trial (nasq.Worker). See docs/python.md."""
__version__ = "0.1.0"

from nasq import errors  # noqa: E402,F401
from nasq.client import Client, StudySummary, connect  # noqa: E402,F401
from nasq.errors import NasqError, TrialPruned  # noqa: E402,F401
from nasq.study import Progress, Study  # noqa: E402,F401
from nasq.trial import FrozenTrial, Trial, TrialState, create_trial  # noqa: E402,F401
from nasq.worker import Worker, WorkerStats, WorkerTrial  # noqa: E402,F401
