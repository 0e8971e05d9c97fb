"""`python -m nasq.worker --fn MODULE:FUNCTION`: a nasq.Worker from the shell (docs/python.md).

Exit status 0 once the worker returns (max trials, idle timeout, SIGTERM/SIGINT), 2 for a bad
--fn or a server that refuses the worker for good, with the reason on stderr.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import pathlib
import sys
from typing import Any, Callable, Optional

from nasq import errors
from nasq.worker._trial import WorkerTrial
from nasq.worker._worker import Worker


def load_function(spec: str) -> Callable[[WorkerTrial], Any]:
    """The function named by "module:function" or "path/to/file.py:function"; ValueError naming
    what is missing. Errors that the module raises as it loads propagate with its traceback."""
    module_name, _, function_name = spec.rpartition(":")
    if not module_name or not function_name:
        raise ValueError(f"--fn: expected MODULE:FUNCTION or FILE.py:FUNCTION (got {spec!r})")
    if module_name.endswith(".py"):
        path = pathlib.Path(module_name)
        if not path.is_file():
            raise ValueError(f"--fn: no such file {module_name}")
        sys.path.insert(0, str(path.resolve().parent))  # its sibling modules, as for a script
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[path.stem] = module
        module_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            raise ValueError(f"--fn: cannot import {module_name}: {e}") from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ValueError(f"--fn: {module_name} has no function {function_name}")
    return function


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (got {text!r})")
    return key, value


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nasq.worker",
        description="Runs a Python function as the trials of nasq studies of one task kind.")
    parser.add_argument("--fn", required=True, help="MODULE:FUNCTION or FILE.py:FUNCTION")
    parser.add_argument("--server", help="coordinator address (default $NASQ_SERVER)")
    parser.add_argument("--task-kind", default="python", help="task kind served (default python)")
    parser.add_argument("--worker-id", help="lease holder id (default HOST-PID)")
    parser.add_argument("--study", action="append", default=[], help="only this study (repeatable)")
    parser.add_argument("--label", action="append", default=[], type=_label,
                        help="KEY=VALUE recorded with every trial (repeatable)")
    parser.add_argument("--max-trials", type=int, help="return after this many trials")
    parser.add_argument("--idle-timeout", type=float, help="return after this many seconds idle")
    parser.add_argument("--token-file",
                        help="file whose first line is the token (default $NASQ_TOKEN, else "
                             "the file $NASQ_TOKEN_FILE)")
    parser.add_argument("--tls-ca", help="PEM CA of the server's certificate (default $NASQ_TLS_CA)")
    parser.add_argument("--tls-cert", help="PEM client certificate for mutual TLS "
                                           "(default $NASQ_TLS_CERT; needs --tls-key)")
    parser.add_argument("--tls-key", help="its PEM private key (default $NASQ_TLS_KEY)")
    parser.add_argument("--on-sigterm", choices=("finish", "release"),
                        help="what the first SIGTERM does to the running trial: let it finish, "
                             "or give it back to the coordinator at once (default "
                             "$NASQ_ON_SIGTERM, else finish)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="nasq-worker: %(message)s")
    try:
        fn = load_function(args.fn)
        worker = Worker(args.server, task_kind=args.task_kind, fn=fn, tls_ca=args.tls_ca,
                        worker_id=args.worker_id, studies=args.study, labels=dict(args.label),
                        token_file=args.token_file, tls_cert=args.tls_cert,
                        tls_key=args.tls_key, on_sigterm=args.on_sigterm)
        with worker:
            worker.run(max_trials=args.max_trials, idle_timeout=args.idle_timeout)
    except (ValueError, errors.NasqError) as e:
        print(f"python -m nasq.worker: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
