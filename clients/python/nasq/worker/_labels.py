"""The labels a Python worker advertises (WorkerCapabilities.labels), recorded on every trial it
leases in system attr "worker" next to its id, with the C++ worker's names where they mean the
same (worker/app/worker_labels.cc: host, device, gpu_name, gpu_memory_bytes).

Contract: `describe_worker(task_kind)` returns host, pid, python (version), nasq (version),
task_kind and device: "cpu", or "cuda:0" (plus gpu_name, gpu_memory_bytes) when PyTorch is
already imported by the user's code and sees a GPU. torch is not imported here: a worker whose
function does not use it does not pay for loading it.
"""
from __future__ import annotations

import os
import platform
import socket
import sys

import nasq


def _device_labels() -> dict[str, str]:
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available():
            index = torch.cuda.current_device()
            properties = torch.cuda.get_device_properties(index)
            return {"device": f"cuda:{index}", "gpu_name": properties.name,
                    "gpu_memory_bytes": str(properties.total_memory)}
    except Exception as e:  # a broken CUDA setup still lets the worker run on the CPU
        return {"device": "cpu", "gpu_error": f"{type(e).__name__}: {e}"}
    return {"device": "cpu"}


def describe_worker(task_kind: str) -> dict[str, str]:
    return {"host": socket.gethostname(), "pid": str(os.getpid()),
            "python": platform.python_version(), "nasq": nasq.__version__,
            "task_kind": task_kind, **_device_labels()}
