"""nasq across hosts (issue 18): the coordinator and two workers on three network hosts (network
namespaces on one bridge, netns.py), with TLS (a certificate for the server's LAN address) and
tokens (hosts hold the worker role; the test, as the administrator's machine, the admin role).

While host1's nasq-worker runs a trial, host1's link is cut for longer than the lease; host1
also holds an ask/tell trial of a second study (`nasq ask`) that it cannot tell in time. The
server expires both leases, and host2 asks and tells the second trial. When the link is back,
host1's late reports on the old leases are refused (fenced): its worker's late heartbeat or
result (CompleteTrial) gets FAILED_PRECONDITION and the worker drops the trial, and its late
`nasq tell`, with a value other than the re-run's, is refused. The first trial is re-run
(attempt 2) by whichever worker leases it first. The stored trials hold the re-runs' results,
and every trial finished exactly once.

A second test has host1 retry its late `nasq tell` until its link returns: the retry, which
asks the server to return a trial that is already finished (the client cannot know whether its
first try was applied), must be refused too, since another lease finished it.

Skipped, naming the failing command, where network namespaces cannot be made (not root, no
`ip`); CI runs as root, so it runs there.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import ssl
import subprocess
import time
import urllib.request

import pytest

from conftest import LocalServer, SecurityFiles, binary
from nasq import _rpc
from netns import Lan
from worker_helpers import list_trials, state_name, system_attr, user_attr, wait_for

HOSTS = ("host1", "host2")
CUT_HOST, OTHER_HOST = HOSTS
GRPC_PORT = 50051  # each namespace has its own ports: nothing else listens there
HTTP_PORT = 8080
LEASE = "lease: {duration: 2s, heartbeat_interval: 200ms}"
# The cut lasts this long (well past the 2 s lease), and until the server expired both leases.
# Not much longer: a call that gets no answer for 10 s (the client's deadline) gives up, so
# after a much longer cut a worker could have given up its result unsent (no late report).
CUT_S = 5.0
# A grid of 4 trials of a tiny BERT trained for 30 epochs (about 3 s on one thread). They report
# no intermediate values, so a running worker only heartbeats: after the cut, the first answer
# it gets is its heartbeat's or its CompleteTrial's refusal, which nasq-worker logs (it does not
# log a refused ReportIntermediate, only that it then dropped the trial).
WORKER_STUDY = "multihost"
WORKER_STUDY_YAML = f"""name: {WORKER_STUDY}
direction: maximize
metric: accuracy
space:
  params:
    hidden_size: [16, 32]
    train.learning_rate: [1.0e-3, 3.0e-3]
sampler: {{type: grid, seed: 0}}
max_trials: 4
{LEASE}
task:
  kind: bert-classify
  dataset: {{max_examples: 400, max_length: 32}}
  tokenizer: {{vocab_size: 500}}
  model: {{num_layers: 1, num_heads: 2, hidden_size: 16, intermediate_size: 32}}
  evaluate_each_stage: false
  stages:
    - {{stage: train, epochs: 30, batch_size: 16}}
    - {{stage: prune, method: l1, sparsity: 0.5}}
    - {{stage: quantise, type: integer, width: 8, frac_width: 4}}
"""
# An ask/tell study (no task: nasq-workers never lease it).
ASK_STUDY = "multihost-asktell"
ASK_STUDY_YAML = f"""name: {ASK_STUDY}
space:
  params:
    x: {{type: float, low: 0, high: 1}}
sampler: {{type: random, seed: 0}}
{LEASE}
"""
RERUN_VALUE = "2.5"
LATE_VALUE = "-7.5"
# nasq-worker's lines for a leased trial (worker/app/lease_loop.cc) and for a CompleteTrial the
# server accepted (worker/app/held_trial.cc).
LEASED_LINE = re.compile(r": running studies/\S+/trials/(\d+) \(epoch (\d+)\)$")
COMPLETE_LINE = re.compile(r"trials/(\d+) complete: accuracy (\S+)$")
WORKER_METHODS = ("Heartbeat", "ReportIntermediate", "CompleteTrial", "FailTrial")


class Cluster:
    """The server on the Lan's server host and the clients' view of it (credentials, logs)."""

    def __init__(self, lan: Lan, directory: pathlib.Path):
        self.lan = lan
        self.directory = directory
        server_ip = lan.address(Lan.SERVER)
        self.address = f"{server_ip}:{GRPC_PORT}"
        self.metrics_url = f"https://{server_ip}:{HTTP_PORT}/metrics"
        self.files = SecurityFiles(directory / "security", hosts=(server_ip,))
        self.server = LocalServer(
            directory / "nasq.db", directory / "server.log",
            self.files.server_args(mutual=False) + (
                "--http", f"{server_ip}:{HTTP_PORT}", "--reaper-tick-ms", "100"),
            self.files.channel_credentials(client_cert=False), log_level="info",
            address=self.address, launcher=lan.exec_prefix(Lan.SERVER))
        self.logs = {host: directory / f"{host}.log" for host in HOSTS}
        self.connection: _rpc.Connection | None = None

    def start(self) -> None:
        self.server.start()
        self.connection = _rpc.Connection(_rpc.ConnectOptions(
            address=self.address, token_file=str(self.files.token_file("admin")),
            tls_ca=self.files.path("ca.pem"), deadline_s=5))

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.server.kill()

    def cli_argv(self, role: str, *args: str) -> list[str]:
        """`nasq ARGS` against the server with `role`'s token."""
        return [binary("NASQ_CLI_BIN"), "--server", self.address, "--timeout", "5", "--tls-ca",
                self.files.path("ca.pem"), "--token-file", str(self.files.token_file(role)),
                *args]

    def cli(self, host: str | None, *args: str) -> subprocess.CompletedProcess:
        """Runs `nasq ARGS` on `host` with the worker token, or with None on the test's own
        machine with the admin token."""
        launcher = self.lan.exec_prefix(host) if host else ()
        return subprocess.run([*launcher, *self.cli_argv("worker" if host else "admin", *args)],
                              capture_output=True, text=True, timeout=60)

    def create_studies(self, *studies: tuple[str, str]) -> None:
        """Creates each (name, YAML) study as the administrator."""
        for name, text in studies:
            path = self.directory / f"{name}.yaml"
            path.write_text(text)
            ok(self.cli(None, "study", "create", str(path)))

    def ask(self, host: str) -> dict:
        """`nasq ask` of the ask/tell study on `host`: {"number", "params", "lease"}."""
        return json.loads(ok(self.cli(host, "ask", ASK_STUDY, "--client-id", host)))

    @staticmethod
    def tell_args(host: str, asked: dict, value: str) -> list[str]:
        """The `nasq` arguments that tell the trial `asked` `value` on its lease, as `host`."""
        return ["tell", ASK_STUDY, str(asked["number"]), "--values", value, "--epoch",
                str(asked["lease"]["epoch"]), "--token", asked["lease"]["token"], "--client-id",
                host]

    def tell(self, host: str, asked: dict, value: str) -> subprocess.CompletedProcess:
        return self.cli(host, *self.tell_args(host, asked, value))

    def rerun_asked_trial(self, asked: dict) -> None:
        """Waits until the lease of `asked` (host1's) expired, then host2 asks and tells it."""
        wait_for(lambda: self.trials(ASK_STUDY)[asked["number"]].attempt == 2, 30,
                 f"the lease of {ASK_STUDY}'s trial to expire")
        reasked = self.ask(OTHER_HOST)
        assert (reasked["number"], reasked["lease"]["epoch"]) == (asked["number"], 2)
        ok(self.tell(OTHER_HOST, reasked, RERUN_VALUE))

    def expect_rerun_told(self, asked: dict) -> None:
        """The asked trial holds host2's tell: attempt 2, host1's attempt expired."""
        told = self.trials(ASK_STUDY)[asked["number"]]
        assert (state_name(told), told.attempt, list(told.values)) == \
            ("COMPLETE", 2, [float(RERUN_VALUE)])
        assert system_attr(told, "told_by") == OTHER_HOST
        expect_expired_by_cut_host(told)

    def start_worker(self, host: str):
        return self.lan.start(host, [
            binary("NASQ_WORKER_BIN"), "--server", self.address, "--worker-id", host,
            "--tls-ca", self.files.path("ca.pem"),
            "--token-file", str(self.files.token_file("worker")), "--threads", "1",
            "--cache-dir", str(self.directory / host / "cache"), "--lease-wait-ms", "300"],
            self.logs[host])

    def trials(self, study: str):
        return list_trials(self.connection, study)

    def worker_logs(self) -> str:
        return "".join(f"--- {host}\n{self.logs[host].read_text()[-3000:]}" for host in HOSTS)

    def refused(self) -> dict[str, int]:
        """FAILED_PRECONDITION answers so far by method, from GET /metrics (over TLS, with the
        admin token)."""
        token = self.files.token_file("admin").read_text().split()[0]
        request = urllib.request.Request(self.metrics_url,
                                         headers={"Authorization": f"Bearer {token}"})
        context = ssl.create_default_context(cafile=self.files.path("ca.pem"))
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            text = response.read().decode()
        return {method: int(count) for method, count in re.findall(
            r'^nasq_rpc_total{method="(\w+)",code="FAILED_PRECONDITION"} (\d+)', text,
            re.MULTILINE)}


@pytest.fixture
def cluster(tmp_path):
    if "NASQ_WORKER_BIN" not in os.environ:
        pytest.skip("nasq-worker was not built (NASQ_BUILD_WORKER=OFF)")
    with Lan.require(HOSTS) as lan:
        made = Cluster(lan, tmp_path)
        try:
            made.start()
            yield made
        finally:
            made.close()


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"{result.args}: {result.stderr}"
    return result.stdout


def completions(log: pathlib.Path) -> list[tuple[int, int, float]]:
    """(trial number, lease epoch, accuracy) of each CompleteTrial a worker's log shows accepted;
    the epoch is that of the worker's latest lease of the trial (it runs one trial at a time)."""
    epochs: dict[int, int] = {}
    done = []
    for line in log.read_text().splitlines():
        if leased := LEASED_LINE.search(line):
            epochs[int(leased.group(1))] = int(leased.group(2))
        elif completed := COMPLETE_LINE.search(line):
            number = int(completed.group(1))
            done.append((number, epochs[number], float(completed.group(2))))
    return done


def expect_expired_by_cut_host(trial) -> None:
    """`trial`'s only earlier attempt was host1's, and its lease expired."""
    expired = system_attr(trial, "attempts")
    assert [(a["attempt"], a["worker_id"], a["outcome"]) for a in expired] == \
        [(1, CUT_HOST, "expired")], expired


def test_a_cut_off_hosts_late_reports_are_fenced_and_the_reruns_are_stored(cluster):
    cluster.create_studies((WORKER_STUDY, WORKER_STUDY_YAML), (ASK_STUDY, ASK_STUDY_YAML))
    workers = {host: cluster.start_worker(host) for host in HOSTS}

    def running_on_cut_host():
        return next((t for t in cluster.trials(WORKER_STUDY) if state_name(t) == "RUNNING"
                     and t.lease.worker_id == CUT_HOST), None)
    held = wait_for(running_on_cut_host, 90, f"{CUT_HOST} to run a trial")
    number = held.number
    assert (held.lease.epoch, held.attempt) == (1, 1)
    asked = cluster.ask(CUT_HOST)

    cut_at = time.monotonic()
    cluster.lan.cut(CUT_HOST)
    try:
        # The server expires host1's leases while its link is down and re-queues the trials.
        wait_for(lambda: cluster.trials(WORKER_STUDY)[number].attempt == 2, 30,
                 f"the lease of {CUT_HOST}'s worker on trial {number} to expire")
        cluster.rerun_asked_trial(asked)
        time.sleep(max(0.0, CUT_S - (time.monotonic() - cut_at)))
        assert workers[CUT_HOST].poll() is None, cluster.worker_logs()
        refused_during_cut = cluster.refused()
    finally:
        cluster.lan.restore(CUT_HOST)
    print(f"{CUT_HOST} cut off for {time.monotonic() - cut_at:.1f} s while its worker held "
          f"trial {number}")

    # host1's late reports on the old leases, once its link is back: its worker's, then (the
    # refusal showed the link works) its `nasq tell`.
    refusal = re.compile(rf"trials/{number}: (\w+) failed: FAILED_PRECONDITION")
    refused_call = wait_for(lambda: refusal.search(cluster.logs[CUT_HOST].read_text()), 30,
                            f"{CUT_HOST}'s worker to hear that its lease on {number} is stale")
    print(f"{CUT_HOST}'s worker's late {refused_call.group(1)} was refused")
    late_tell = cluster.tell(CUT_HOST, asked, LATE_VALUE)
    # (the message is Optuna's for a finished trial; the refusal's code is checked below)
    assert late_tell.returncode != 0, late_tell.stdout
    assert "Cannot tell a COMPLETE trial." in late_tell.stderr, late_tell.stderr
    wait_for(lambda: [state_name(t) for t in cluster.trials(WORKER_STUDY)] == ["COMPLETE"] * 4,
             120, "every trial to complete")
    refused_after = cluster.refused()
    final = cluster.trials(WORKER_STUDY)
    cluster.expect_rerun_told(asked)
    for host in HOSTS:
        workers[host].terminate()
        assert workers[host].wait(timeout=30) == 0, cluster.worker_logs()
    cluster.server.stop()
    assert cluster.server.process.returncode == 0, cluster.server.log.read_text()[-3000:]

    server_log = cluster.server.log.read_text()
    reaped = re.findall(r"lease reaper: (\d+) lease\(s\) expired", server_log)
    assert sum(map(int, reaped)) == 2, "the server expired other leases than host1's two"
    # Fenced: the server refused nothing while host1 was cut off, then its late reports.
    assert refused_during_cut == {}
    assert sum(refused_after.get(m, 0) for m in WORKER_METHODS) >= 1, refused_after
    assert refused_after.get("Tell") == 1, refused_after

    # Every trial of the worker study finished exactly once: one accepted CompleteTrial per trial
    # over both hosts' logs, and each grid cell once; none on host1's expired lease.
    done = {(n, epoch): (host, value) for host in HOSTS
            for n, epoch, value in completions(cluster.logs[host])}
    assert sorted(n for n, _ in done) == [0, 1, 2, 3], done
    assert (number, 1) not in done, "the late result was accepted"
    cells = {tuple(sorted((k, getattr(v, v.WhichOneof("kind"))) for k, v in t.params.items()))
             for t in final}
    assert len(cells) == 4, "a grid cell ran twice"

    # The stored trial is the re-run's: attempt 2 by the worker whose epoch-2 lease completed it
    # (host1's attempt recorded as expired), with that worker's value.
    rerun_host, rerun_value = done[(number, 2)]
    print(f"trial {number} was re-run by {rerun_host}")
    rerun = final[number]
    assert rerun.attempt == 2
    assert system_attr(rerun, "worker")["id"] == rerun_host
    # The worker logs the value with 6 significant digits.
    assert list(rerun.values) == [pytest.approx(rerun_value, rel=1e-5)]
    assert rerun.values[0] == user_attr(rerun, "metrics")["accuracy"]
    assert [t.attempt for t in final if t.number != number] == [1, 1, 1]
    expect_expired_by_cut_host(rerun)


# How long host1's late tell retries (every attempt refused at once: no route) before its link
# comes back; nasq's client retries UNAVAILABLE 8 times over about 3.5 s (ClientOptions).
RETRYING_S = 1.0


def test_a_late_tell_retried_until_the_link_returns_is_refused(cluster):
    cluster.create_studies((ASK_STUDY, ASK_STUDY_YAML))
    asked = cluster.ask(CUT_HOST)
    cluster.lan.cut(CUT_HOST, at_host=True)
    try:
        cluster.rerun_asked_trial(asked)
        log = cluster.directory / "late-tell.log"
        late = cluster.lan.start(CUT_HOST, cluster.cli_argv(
            "worker", *cluster.tell_args(CUT_HOST, asked, LATE_VALUE)), log)
        time.sleep(RETRYING_S)
        assert late.poll() is None, f"the tell ended while host1 was cut off: {log.read_text()}"
    finally:
        cluster.lan.restore(CUT_HOST)
    late.wait(timeout=60)
    cluster.expect_rerun_told(asked)
    # The retries carry skip_if_finished (client/nasq_client.cc): the server must still refuse
    # a trial that another lease finished.
    assert late.returncode != 0, log.read_text()
    assert "Cannot tell a COMPLETE trial." in log.read_text(), log.read_text()
