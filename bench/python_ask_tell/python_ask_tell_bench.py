"""Python ask+tell round trips per second: nasq's Python client against a real nasq-server
(loopback gRPC, SQLite) versus Optuna 5.0 with its SQLite storage (RDBStorage) and its journal
file storage (JournalStorage(JournalFileBackend)), with 1 and 8 processes, in one run; prints
one table with the ratios.

Usage (from the repository root, in the venv of scripts/python-env.sh):
  build/venv/bin/python3 bench/python_ask_tell/python_ask_tell_bench.py \
      --server-bin build/server/nasq-server [--trials 500] [--processes 1,8] [--dir DIR]

Every backend runs the same loop: P processes (spawned, each with its own client or storage
object, set up before the clock starts) share `--trials` round trips; one round trip is ask,
the objective (microseconds), tell. The study samples at random from x float [-10, 10], y int
[0, 10], c categorical [a, b, c] (nasq: `sampler: random`; Optuna: RandomSampler, the space
given to ask), so the numbers measure the client, the service and the storage, not a sampler.
A nasq trial is asked under a lease and heart-beaten from a thread, as users get it.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import pathlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SPACE_YAML = """
name: bench
space:
  params:
    x: {type: float, low: -10, high: 10}
    y: {type: int, low: 0, high: 10}
    c: [a, b, c]
sampler: {type: random, seed: 0}
"""


def objective(params: dict) -> float:
    return params["x"] ** 2 + params["y"] + (0.5 if params["c"] == "b" else 0.0)


# --- one process of a run: set up, wait at the barrier, then take round trips off the counter --

def _nasq_round_trips(address: str):
    import nasq

    study = nasq.connect(address).load_study("bench")

    def round_trip():
        trial = study.ask()
        study.tell(trial, objective(trial.params))
    return round_trip


def _optuna_round_trips(storage_url: str):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    space = {"x": optuna.distributions.FloatDistribution(-10.0, 10.0),
             "y": optuna.distributions.IntDistribution(0, 10),
             "c": optuna.distributions.CategoricalDistribution(["a", "b", "c"])}
    study = optuna.load_study(study_name="bench", storage=_optuna_storage(storage_url),
                              sampler=optuna.samplers.RandomSampler(seed=os.getpid()))

    def round_trip():
        trial = study.ask(space)
        study.tell(trial, objective(trial.params))
    return round_trip


def _optuna_storage(url: str):
    import optuna

    if url.startswith("journal:"):
        from optuna.storages.journal import JournalFileBackend
        return optuna.storages.JournalStorage(JournalFileBackend(url.removeprefix("journal:")))
    return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})


def _process(backend: str, target: str, barrier, counter, trials: int, results) -> None:
    round_trip = (_nasq_round_trips if backend == "nasq" else _optuna_round_trips)(target)
    barrier.wait()
    latencies, errors = [], 0
    while True:
        with counter.get_lock():
            if counter.value >= trials:
                break
            counter.value += 1
        begin = time.perf_counter()
        try:
            round_trip()
        except Exception as e:  # noqa: BLE001 - counted, as a failed call
            errors += 1
            print(f"{backend}: {e}", file=sys.stderr)
            continue
        latencies.append((time.perf_counter() - begin) * 1e3)
    results.put((latencies, errors))


def run(backend: str, target: str, processes: int, trials: int) -> dict:
    ctx = multiprocessing.get_context("spawn")  # gRPC and sqlite connections do not survive fork
    barrier, counter, results = ctx.Barrier(processes + 1), ctx.Value("l", 0), ctx.Queue()
    children = [ctx.Process(target=_process, args=(backend, target, barrier, counter, trials,
                                                   results)) for _ in range(processes)]
    for child in children:
        child.start()
    barrier.wait()
    started = time.perf_counter()
    collected = [results.get() for _ in children]
    seconds = time.perf_counter() - started
    for child in children:
        child.join()
    latencies = sorted(ms for part, _ in collected for ms in part)
    return {"backend": backend, "processes": processes, "trials": len(latencies),
            "errors": sum(e for _, e in collected), "seconds": seconds,
            "rate": len(latencies) / seconds if seconds > 0 else 0.0,
            "p50_ms": statistics.median(latencies) if latencies else 0.0,
            "p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
            if latencies else 0.0}


# --- backends ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_nasq(server_bin: str, directory: pathlib.Path, processes: int, trials: int) -> dict:
    address = f"127.0.0.1:{_free_port()}"
    log = open(directory / "server.log", "ab")
    server = subprocess.Popen([server_bin, "--db", str(directory / "nasq.db"), "--listen",
                               address, "--log-level", "warn"], stdout=log, stderr=log)
    try:
        # Created in a child: gRPC in this process would not survive the children's start.
        ctx = multiprocessing.get_context("spawn")
        creator = ctx.Process(target=_create_nasq_study, args=(address,))
        creator.start()
        creator.join()
        if creator.exitcode != 0:
            raise RuntimeError(f"could not create the nasq study (see {directory}/server.log)")
        return run("nasq", address, processes, trials)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _create_nasq_study(address: str) -> None:
    import nasq

    nasq.connect(address, retry_timeout_s=30).create_study(SPACE_YAML)


def bench_optuna(kind: str, directory: pathlib.Path, processes: int, trials: int) -> dict:
    import optuna

    url = (f"sqlite:///{directory / 'optuna.db'}" if kind == "rdb"
           else f"journal:{directory / 'optuna.log'}")
    optuna.create_study(study_name="bench", storage=_optuna_storage(url))
    result = run("optuna", url, processes, trials)
    result["backend"] = f"optuna-{kind}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-bin", required=True, help="the nasq-server binary")
    parser.add_argument("--trials", type=int, default=500, help="round trips per run")
    parser.add_argument("--processes", default="1,8", help="comma-separated process counts")
    parser.add_argument("--dir", help="scratch folder (default: a temporary one, removed)")
    args = parser.parse_args()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    scratch = pathlib.Path(args.dir or tempfile.mkdtemp(prefix="python-ask-tell-"))
    rows = []
    try:
        for processes in [int(p) for p in args.processes.split(",")]:
            for backend in ("nasq", "optuna-rdb", "optuna-journal"):
                directory = scratch / f"{backend}-{processes}"
                directory.mkdir(parents=True, exist_ok=True)
                if backend == "nasq":
                    row = bench_nasq(args.server_bin, directory, processes, args.trials)
                else:
                    row = bench_optuna(backend.removeprefix("optuna-"), directory, processes,
                                       args.trials)
                rows.append(row)
                print(f"{row['backend']:15} {processes:2} processes: {row['rate']:8.1f} "
                      "trials/s", file=sys.stderr)
    finally:
        if not args.dir:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"Python ask+tell round trips, {args.trials} per run; nasq (its Python client, "
          f"nasq-server on loopback, SQLite) vs Optuna {optuna.__version__}; "
          f"{os.cpu_count()} CPUs")
    print("| backend | processes | trials | errors | seconds | trials/s | p50 ms | p99 ms "
          "| nasq / this |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    nasq_rate = {r["processes"]: r["rate"] for r in rows if r["backend"] == "nasq"}
    for r in rows:
        ratio = nasq_rate[r["processes"]] / r["rate"] if r["rate"] else float("nan")
        print(f"| {r['backend']} | {r['processes']} | {r['trials']} | {r['errors']} | "
              f"{r['seconds']:.2f} | {r['rate']:.1f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
              f"{ratio:.2f} |")


if __name__ == "__main__":
    main()
