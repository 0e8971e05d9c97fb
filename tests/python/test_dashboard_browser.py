"""The dashboard's acceptance test (issue 16): a real nasq-server with --http serves the page to
headless Chromium, driven by tests/dashboard/run_dashboard_checks.mjs (playwright-core).

This test seeds the studies (tests/python/dashboard_seed.py), writes the manifest of what every
view must show, and runs the node script, which checks the DOM against it, completes running
trials while the page is open, times the 10,000-trial study and saves a screenshot of every
view in $NASQ_DASHBOARD_SCREENSHOTS, beside checks.log (what it printed, timings included). It
fails (never skips) when node, Chromium or dashboard/web/node_modules are missing.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import time
import urllib.request

import pytest

import nasq
from conftest import LocalServer, binary
import dashboard_seed

ROOT = pathlib.Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "dashboard" / "web" / "node_modules"
SCRIPT = ROOT / "tests" / "dashboard" / "run_dashboard_checks.mjs"
CHROMIUM = os.environ.get("NASQ_CHROMIUM", "/usr/bin/chromium")
BIG_TRIALS = 10_000
INTERACTIVE_BUDGET_MS = 2000   # navigation start to header, first table page and a click answered
PAGE_BUDGET_MS = 200           # page-next clicked to the next page's rows shown
NODE_TIMEOUT_S = 90


def _require_tools() -> tuple[str, pathlib.Path]:
    """node and the screenshot folder; pytest.fail naming what is missing."""
    node = shutil.which("node")
    missing = [what for what, ok in (
        ("node on PATH", node is not None),
        (f"Chromium at {CHROMIUM} (set NASQ_CHROMIUM)", os.access(CHROMIUM, os.X_OK)),
        (f"playwright-core in {NODE_MODULES} (npm ci in dashboard/web)",
         (NODE_MODULES / "playwright-core" / "package.json").is_file()),
        ("$NASQ_DASHBOARD_SCREENSHOTS (ctest sets it)", "NASQ_DASHBOARD_SCREENSHOTS" in os.environ),
    ) if not ok]
    if missing:
        pytest.fail("the dashboard browser test needs: " + "; ".join(missing))
    screenshots = pathlib.Path(os.environ["NASQ_DASHBOARD_SCREENSHOTS"])
    shutil.rmtree(screenshots, ignore_errors=True)
    screenshots.mkdir(parents=True)
    return node, screenshots


def _dashboard_url(log: pathlib.Path, timeout_s: float = 10.0) -> str:
    """The dashboard's URL as the server logs it (it listens on port 0, so the OS chose it)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = re.search(r"dashboard: (http://127\.0\.0\.1:\d+/)", log.read_text())
        if found:
            return found.group(1)
        time.sleep(0.05)
    pytest.fail(f"nasq-server logged no dashboard URL within {timeout_s} s: "
                f"{log.read_text()[-2000:]}")


def _with_precision_layers(expected: dict, base_url: str) -> dict:
    """Adds to the mixed-precision study's expectations the layers its /precision route lists,
    after checking the route lists one per searched layer and every COMPLETE trial."""
    url = f"{base_url}api/v1/studies/{expected['name']}/precision"
    with urllib.request.urlopen(url, timeout=10) as answer:
        route = json.load(answer)
    assert len(route["layers"]) == expected["precision"]["n_layers"], route["layers"]
    assert len(route["trials"]) == expected["n_complete"], route["trials"]
    expected["precision"]["layers"] = route["layers"]
    return expected


@pytest.fixture
def http_server(tmp_path):
    s = LocalServer(tmp_path / "nasq.db", tmp_path / "server.log",
                    extra_args=("--http", "127.0.0.1:0"), log_level="info")
    s.start()
    yield s, _dashboard_url(s.log)
    s.kill()


def test_every_view_live_updates_and_the_big_study_is_fast(http_server, tmp_path, capsys):
    node, screenshots = _require_tools()
    server, base_url = http_server
    cli_argv = [binary("NASQ_CLI_BIN"), "--server", server.address]
    worker = dashboard_seed.HeldTrialWorker(server.address, "dashboard-worker")
    try:
        started = time.monotonic()
        with nasq.connect(server.address, client_id="dashboard-test") as client:
            studies = [dashboard_seed.seed_single(client, "single"),
                       dashboard_seed.seed_multi(client, "multi2", 2, 40),
                       dashboard_seed.seed_multi(client, "multi3", 3, 24),
                       _with_precision_layers(
                           dashboard_seed.seed_mixed_precision(client, "mixed-precision"),
                           base_url),
                       dashboard_seed.seed_running(client, "running", cli_argv, "dashboard-cli",
                                                   worker)]
            big = dashboard_seed.seed_big(client, "big", BIG_TRIALS)
        seed_s = time.monotonic() - started
        manifest = {
            "base_url": base_url, "chromium": CHROMIUM,
            "node_modules": str(NODE_MODULES), "screenshots": str(screenshots),
            "studies": studies, "big": big, "live_study": "running",
            "interactive_budget_ms": INTERACTIVE_BUDGET_MS, "page_budget_ms": PAGE_BUDGET_MS,
        }
        manifest_path = tmp_path / "manifest.json"
        manifest_path.write_text(json.dumps(manifest, indent=1))
        done = subprocess.run([node, str(SCRIPT), str(manifest_path)], capture_output=True,
                              text=True, timeout=NODE_TIMEOUT_S)
    finally:
        worker.release()
    report = (f"seeding {sum(s['total'] for s in studies) + big['total']} trials: {seed_s:.1f} s\n"
              f"{done.stdout}{done.stderr}")
    (screenshots / "checks.log").write_text(report)
    with capsys.disabled():
        print("\n" + report)
    assert done.returncode == 0, f"the browser checks failed:\n{done.stdout[-4000:]}{done.stderr}"
