"""Writes fuzz/corpus/optuna_storage/optuna_made, the optuna_storage fuzzer's seed that Optuna
itself made: study "fuzz" (the name the target reads) with float, log, stepped and int params, a
categorical of mixed types, intermediate values (one infinite), study and trial user attrs,
metric names, two COMPLETE trials, a PRUNED and a FAIL one. Rewritten with 512-byte pages to
keep it small. Run with the Optuna the interop tests use (scripts/python-env.sh):

    build/venv/bin/python3 fuzz/optuna_storage_seed.py fuzz/corpus/optuna_storage/optuna_made

The other seed, nasq_export, is `nasq export fuzz --format optuna --out F` of a study "fuzz"
(lr: log float, n: int step 2, act: categorical [relu, 3, true] when n >= 2) with two COMPLETE
trials, a PRUNED and a FAIL one asked and told with the Python client (intermediate values 0.5 i
at step 0 and inf at step 1), then `sqlite3 F "PRAGMA page_size=512; VACUUM"`.
"""
import pathlib
import sqlite3
import sys
import warnings

import optuna


def objective(trial: optuna.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    drop = trial.suggest_float("drop", 0.0, 0.5, step=0.1)
    n = trial.suggest_int("n", 1, 9, step=2)
    trial.suggest_categorical("act", ["relu", 3, 1.5, True])
    trial.set_user_attr("note", {"n": n})
    trial.report(lr * n, 0)
    trial.report(float("inf"), 1)
    if trial.number == 2:
        raise optuna.TrialPruned()
    if trial.number == 3:
        raise RuntimeError("a failed trial")
    return lr * n + drop


def main(path: pathlib.Path) -> None:
    path.unlink(missing_ok=True)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    study = optuna.create_study(study_name="fuzz", storage=f"sqlite:///{path}",
                                sampler=optuna.samplers.RandomSampler(seed=1))
    study.set_user_attr("owner", "lab")
    study.set_metric_names(["loss"])
    study.optimize(objective, n_trials=4, catch=(RuntimeError,))
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA page_size=512")
    connection.execute("VACUUM")
    connection.close()


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
