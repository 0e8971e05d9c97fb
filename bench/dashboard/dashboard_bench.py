"""The dashboard at 10,000 trials: nasq's dashboard against optuna-dashboard, in one run.

Seeds the same single-objective study (tests/python/dashboard_seed.py's seed_big: 3 params,
float x, int y, categorical kind; trial i has trial_params(i) and big_value(i, n)) into
  nasq: a nasq-server with --http (both ports chosen by the OS), through the Python client's
        Study.add_trials;
  optuna-dashboard: Optuna 5.0's JournalStorage file (optuna.create_study + add_trials of
        FrozenTrials), served by `optuna-dashboard <journal file> --port P --host 127.0.0.1`,
then runs bench/dashboard/dashboard_timing.mjs (headless Chromium through playwright-core),
which times each dashboard's first load of the trial table, of the history plot and a next-page
click, and prints the medians and the ratio optuna-dashboard / nasq as a table.

Usage: build/venv/bin/python3 bench/dashboard/dashboard_bench.py [--server-bin PATH]
         [--trials 10000] [--reps 3] [--timeout-s 60] [--chromium /usr/bin/chromium]
         [--node-modules dashboard/web/node_modules] [--dir DIR]
Errors: exits non-zero naming what is missing (a binary, node, Chromium, playwright-core) or
which server did not start.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))
import dashboard_seed  # noqa: E402  (the study the browser acceptance test times)

STUDY = "big"
TIMING_SCRIPT = ROOT / "bench" / "dashboard" / "dashboard_timing.mjs"
START_TIMEOUT_S = 30.0


def _die(message: str) -> None:
    sys.exit(f"dashboard_bench: {message}")


def _wait_for(what: str, ready, process: subprocess.Popen, log: pathlib.Path):
    """Polls ready() (returns a value or None) until it returns a value; dies when `process`
    exits or START_TIMEOUT_S passes, with the log's tail."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        value = ready()
        if value is not None:
            return value
        if process.poll() is not None:
            break
        time.sleep(0.1)
    _die(f"{what} did not start within {START_TIMEOUT_S} s: {log.read_text()[-2000:]}")


def start_nasq(server_bin: str, directory: pathlib.Path) -> tuple[subprocess.Popen, str, int]:
    """nasq-server on 127.0.0.1, gRPC and HTTP ports chosen by the OS; (process, gRPC address,
    HTTP port)."""
    log = directory / "nasq-server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([server_bin, "--db", str(directory / "nasq.db"), "--listen",
                                    "127.0.0.1:0", "--http", "127.0.0.1:0", "--log-level", "info"],
                                   stdout=out, stderr=subprocess.STDOUT)

    def ports():
        found = re.search(r"gRPC port (\d+).*HTTP port (\d+)", log.read_text())
        return (int(found.group(1)), int(found.group(2))) if found else None

    grpc_port, http_port = _wait_for("nasq-server", ports, process, log)
    return process, f"127.0.0.1:{grpc_port}", http_port


def seed_nasq(address: str, n: int) -> None:
    import nasq
    with nasq.connect(address, client_id="dashboard-bench") as client:
        dashboard_seed.seed_big(client, STUDY, n)


def _optuna_distribution(param: dict):
    import optuna
    if param["type"] == "float":
        return optuna.distributions.FloatDistribution(param["low"], param["high"])
    if param["type"] == "int":
        return optuna.distributions.IntDistribution(param["low"], param["high"])
    return optuna.distributions.CategoricalDistribution(param["choices"])


def seed_optuna(journal: pathlib.Path, n: int) -> int:
    """Optuna's copy of seed_big's study in a JournalStorage file; returns its study id."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions = {name: _optuna_distribution(p)
                     for name, p in dashboard_seed.SPACE["params"].items()}
    study = optuna.create_study(study_name=STUDY, direction="minimize",
                                storage=JournalStorage(JournalFileBackend(str(journal))))
    study.add_trials([optuna.trial.create_trial(params=dashboard_seed.trial_params(i),
                                                distributions=distributions,
                                                value=dashboard_seed.big_value(i, n))
                      for i in range(n)])
    return study._study_id


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_optuna_dashboard(journal: pathlib.Path, directory: pathlib.Path
                           ) -> tuple[subprocess.Popen, int]:
    """`optuna-dashboard <journal> --port P --host 127.0.0.1` (P free a moment before; the CLI
    takes no port 0); (process, P) once it answers HTTP."""
    cli = pathlib.Path(sys.executable).parent / "optuna-dashboard"
    if not cli.is_file():
        _die(f"{cli} is missing (scripts/python-env.sh installs optuna-dashboard)")
    port = _free_port()
    log = directory / "optuna-dashboard.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([str(cli), str(journal), "--port", str(port), "--host",
                                    "127.0.0.1"], stdout=out, stderr=subprocess.STDOUT)

    def answers():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=1):
                return True
        except OSError:
            return None

    _wait_for("optuna-dashboard", answers, process, log)
    return process, port


def targets(nasq_http: int, optuna_port: int, optuna_study_id: int, n: int) -> list[dict]:
    """What dashboard_timing.mjs loads and waits for in each dashboard (its file comment)."""
    nasq_base = f"http://127.0.0.1:{nasq_http}/#/studies/{STUDY}"
    optuna_base = f"http://127.0.0.1:{optuna_port}/dashboard/studies/{optuna_study_id}"
    return [{
        "name": "nasq",
        "table_url": f"{nasq_base}/trials",
        "row": '[data-testid="trials-table"][data-ready="1"] [data-testid="trial-row"]',
        "next": '[data-testid="page-next"]',
        "history_url": f"{nasq_base}/history",
        "history": f'[data-testid="view-history"][data-ready="1"] '
                   f'[data-testid="chart-history"][data-points="{n}"]',
    }, {
        "name": "optuna-dashboard",
        # 0.21 has no trial table (its trialTable route renders nothing): "Trials (List)" is
        # one scrolled, virtualised list of every trial, without pages.
        "table_url": f"{optuna_base}/trials",
        "row": "main li.MuiListItem-root .MuiListItemText-primary",
        "next": None,
        "history_url": optuna_base,
        "history": "#plot-history .scatterlayer .trace .points path",
    }]


def _median(xs: list) -> object:
    """The median of the measured figures; None (timeout) when any repetition timed out,
    'none' when the dashboard has no such thing."""
    if "none" in xs or None in xs:
        return "none" if "none" in xs else None
    return sorted(xs)[len(xs) // 2]


def print_table(results: dict, names: list[str], timeout_ms: int) -> None:
    rows = [("first trial table rows, ms", "rows_ms"), ("history plot drawn, ms", "history_ms"),
            ("next-page click to new rows, ms", "next_ms"),
            ("bytes transferred until the first rows", "rows_bytes")]
    def shown(v) -> str:
        if v is None:
            return f"timeout (> {timeout_ms} ms)"
        if v == "none":
            return "no pages"
        return f"{v:.0f}" if isinstance(v, int) else f"{v:.1f}"

    print(f"\n| median of {len(results[names[0]])} | " + " | ".join(names)
          + f" | {names[1]} / {names[0]} |")
    print("|---|" + "---:|" * (len(names) + 1))
    for label, key in rows:
        medians = [_median([r[key] for r in results[name]]) for name in names]
        numbers = all(isinstance(m, (int, float)) for m in medians)
        ratio = f"{medians[1] / medians[0]:.2f}" if numbers and medians[0] else "-"
        print(f"| {label} | " + " | ".join(shown(m) for m in medians) + f" | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server-bin", default=str(ROOT / "build" / "server" / "nasq-server"))
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--timeout-s", type=int, default=60,
                        help="longest wait for any one figure (a longer one prints 'timeout')")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--node-modules", default=str(ROOT / "dashboard" / "web" / "node_modules"))
    parser.add_argument("--dir", help="folder for the storages and logs (default: a temporary one)")
    args = parser.parse_args()
    node = shutil.which("node")
    for what, ok in (("node on PATH", node), (f"nasq-server at {args.server_bin}",
                                              pathlib.Path(args.server_bin).is_file()),
                     (f"Chromium at {args.chromium}", pathlib.Path(args.chromium).is_file()),
                     (f"playwright-core in {args.node_modules} (npm ci in dashboard/web)",
                      (pathlib.Path(args.node_modules) / "playwright-core").is_dir())):
        if not ok:
            _die(f"needs {what}")
    directory = pathlib.Path(args.dir or tempfile.mkdtemp(prefix="dashboard-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    processes = []
    try:
        nasq_server, address, http_port = start_nasq(args.server_bin, directory)
        processes.append(nasq_server)
        started = time.monotonic()
        seed_nasq(address, args.trials)
        print(f"nasq: {args.trials} trials added in {time.monotonic() - started:.1f} s "
              f"(Study.add_trials)")
        journal = directory / "optuna-journal.log"
        started = time.monotonic()
        study_id = seed_optuna(journal, args.trials)
        print(f"optuna: {args.trials} trials added in {time.monotonic() - started:.1f} s "
              f"(JournalStorage file, add_trials)")
        dashboard, optuna_port = start_optuna_dashboard(journal, directory)
        processes.append(dashboard)
        manifest = {"chromium": args.chromium, "node_modules": args.node_modules,
                    "reps": args.reps, "timeout_ms": args.timeout_s * 1000,
                    "profiles": str(directory / "profiles"),
                    "targets": targets(http_port, optuna_port, study_id, args.trials)}
        manifest_path = directory / "manifest.json"
        manifest_path.write_text(json.dumps(manifest, indent=1))
        done = subprocess.run([node, str(TIMING_SCRIPT), str(manifest_path)],
                              stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            _die(f"dashboard_timing.mjs failed ({done.returncode})")
        results = json.loads(done.stdout.strip().splitlines()[-1])
        print_table(results, [t["name"] for t in manifest["targets"]], manifest["timeout_ms"])
    finally:
        for process in processes:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
