"""Optuna ask/tell round trips with its SQLite (RDB) storage; prints one JSON object on stdout.

Run by ask_tell_bench (usage: optuna_ask_tell.py --db PATH --trials N --clients C). The study
uses RandomSampler(seed=0) on the benchmark's space (x float [-10, 10], y int [0, 10],
c categorical [a, b, c]); C threads share one Study and each repeats study.ask(space) +
study.tell(trial, value) until N trials are told. Output:
  {"optuna_version": "3.1.0", "trials": N, "clients": C, "seconds": s,
   "latency_ms": [per round trip], "errors": count}
"""

import argparse
import json
import sys
import threading
import time

import optuna

SPACE = {
    "x": optuna.distributions.FloatDistribution(-10.0, 10.0),
    "y": optuna.distributions.IntDistribution(0, 10),
    "c": optuna.distributions.CategoricalDistribution(["a", "b", "c"]),
}


def objective(params):
    return params["x"] ** 2 + params["y"] + (0.5 if params["c"] == "b" else 0.0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--trials", type=int, required=True)
    parser.add_argument("--clients", type=int, required=True)
    args = parser.parse_args()

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = optuna.storages.RDBStorage(
        "sqlite:///" + args.db, engine_kwargs={"connect_args": {"timeout": 60}})
    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))

    lock = threading.Lock()
    state = {"started": 0, "errors": 0}
    latencies = []

    def client():
        while True:
            with lock:
                if state["started"] >= args.trials:
                    return
                state["started"] += 1
            begin = time.perf_counter()
            try:
                trial = study.ask(SPACE)
                study.tell(trial, objective(trial.params))
            except Exception:  # noqa: BLE001 - counted and reported, like a failed RPC
                with lock:
                    state["errors"] += 1
                continue
            elapsed_ms = (time.perf_counter() - begin) * 1e3
            with lock:
                latencies.append(elapsed_ms)

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    json.dump({"optuna_version": optuna.__version__, "trials": args.trials,
               "clients": args.clients, "seconds": seconds, "latency_ms": latencies,
               "errors": state["errors"]}, sys.stdout)


if __name__ == "__main__":
    main()
