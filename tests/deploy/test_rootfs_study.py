"""deploy/rootfs: the server and worker root file systems (build-rootfs.sh) hold everything their
programs need. nasq-server, nasq, curl and sqlite3 run from the server tree and nasq-worker from
the worker tree, each changed-rooted into its tree as uid 10001 (run-in-rootfs.sh), with TLS and
tokens mounted read-only as the images get them; a small study completes, the image's health
check answers and an online backup passes integrity_check.

What this proves: the trees' shared libraries, data, users and name-service files are complete
(the host's libraries are out of reach: a tree missing one library fails). What it does not:
the Dockerfiles' builds (no engine here) and Debian's runtime packages that they install."""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD_ROOTFS = ROOT / "deploy" / "rootfs" / "build-rootfs.sh"
RUN = ROOT / "deploy" / "rootfs" / "run-in-rootfs.sh"

STUDY = """name: rootfs
direction: maximize
metric: accuracy
space:
  params:
    hidden_size: [16, 32]
sampler: {type: grid, seed: 0}
max_trials: 2
lease: {duration: 10s, heartbeat_interval: 1s}
task:
  kind: bert-classify
  dataset: {max_examples: 400, max_length: 32}
  tokenizer: {vocab_size: 500}
  model: {num_layers: 1, num_heads: 2, hidden_size: 16, intermediate_size: 32}
  stages:
    - {stage: train, epochs: 1, batch_size: 16}
    - {stage: quantise, type: integer, width: 8, frac_width: 4}
"""

if os.geteuid() != 0 or not shutil.which("unshare"):
    pytest.skip("needs root and unshare (mount namespace, change of root)",
                allow_module_level=True)
if "NASQ_WORKER_BIN" not in os.environ:
    pytest.skip("nasq-worker is not built (NASQ_BUILD_WORKER=OFF)", allow_module_level=True)
if not (ROOT / "third_party" / "spam-assassin" / "data").is_dir():
    pytest.skip("no SpamAssassin data (scripts/fetch-data.sh)", allow_module_level=True)


def build_dir():
    """The build folder of the binaries under test (NASQ_*_BIN: <build>/server/nasq-server)."""
    build = pathlib.Path(os.environ["NASQ_SERVER_BIN"]).resolve().parents[1]
    assert build / "worker" / "app" / "nasq-worker" == pathlib.Path(
        os.environ["NASQ_WORKER_BIN"]).resolve()
    return build


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    out = tmp_path_factory.mktemp("rootfs")
    subprocess.run([BUILD_ROOTFS, "--build-dir", build_dir(), "--out", out, "server", "worker"],
                   check=True)
    return out


def free_ports(count):
    """`count` distinct free loopback ports (all held open while they are picked)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture
def secrets(tmp_path):
    """What the images mount at /etc/nasq: tls/, tokens.txt, the tokens and the study spec."""
    folder = tmp_path / "secrets"
    subprocess.run([ROOT / "scripts" / "make-certs.sh", folder / "tls", "localhost", "127.0.0.1"],
                   check=True, capture_output=True)
    with open(folder / "tokens.txt", "w") as tokens:
        for name, role in (("admin", "admin"), ("worker", "worker")):
            subprocess.run([ROOT / "scripts" / "new-token.sh", name, role,
                            folder / f"{name}.token"], check=True, stdout=tokens)
    (folder / "study.yaml").write_text(STUDY)
    subprocess.run(["chmod", "-R", "a+rX", folder], check=True)  # uid 10001 reads them
    return folder


def in_tree(tree, secrets, *command, workdir="/"):
    return [RUN, "--bind", f"{secrets}:/etc/nasq", "--workdir", workdir, tree, *command]


def test_a_study_completes_inside_the_root_file_systems(trees, secrets, tmp_path):
    grpc_port, http_port = free_ports(2)
    env = dict(os.environ, NASQ_SERVER=f"localhost:{grpc_port}",
               NASQ_TLS_CA="/etc/nasq/tls/ca.pem", NASQ_DATA_DIR="/data",
               NASQ_CACHE_DIR="/var/cache/nasq-worker")
    admin = dict(env, NASQ_TOKEN_FILE="/etc/nasq/admin.token")
    server_log, worker_log = tmp_path / "server.log", tmp_path / "worker.log"
    started = []

    def start(command, log, environment):
        started.append(subprocess.Popen(command, env=environment, stdout=open(log, "w"),
                                        stderr=subprocess.STDOUT))
        return started[-1]

    def server_tree(*command, **kwargs):
        return subprocess.run(in_tree(trees / "server", secrets, *command), env=admin,
                              capture_output=True, text=True, timeout=30, **kwargs)

    def logs():
        return f"server:\n{server_log.read_text()}\nworker:\n{worker_log.read_text()}"

    try:
        server = start(in_tree(trees / "server", secrets, "nasq-server",
                               "--db", "/var/lib/nasq/nasq.db",
                               "--listen", f"127.0.0.1:{grpc_port}",
                               "--http", f"127.0.0.1:{http_port}",
                               "--tls-cert", "/etc/nasq/tls/server.pem",
                               "--tls-key", "/etc/nasq/tls/server.key",
                               "--auth-tokens", "/etc/nasq/tokens.txt",
                               workdir="/var/lib/nasq"), server_log, env)
        # The image's HEALTHCHECK, with curl from the tree (verifying the certificate here).
        health = ["/usr/bin/curl", "-fsS", "--cacert", "/etc/nasq/tls/ca.pem",
                  f"https://localhost:{http_port}/healthz"]
        deadline = time.monotonic() + 30
        while server_tree(*health).stdout != "ok\n":
            assert server.poll() is None and time.monotonic() < deadline, logs()
            time.sleep(0.2)

        created = server_tree("nasq", "study", "create", "/etc/nasq/study.yaml")
        assert created.returncode == 0, created.stderr
        worker = start(in_tree(trees / "worker", secrets, "nasq-worker", "--device", "cpu",
                               "--threads", "1", "--study", "rootfs",
                               workdir="/var/lib/nasq-worker"),
                       worker_log, dict(env, NASQ_TOKEN_FILE="/etc/nasq/worker.token"))
        deadline = time.monotonic() + 120
        while "state: COMPLETED" not in (shown := server_tree("nasq", "study", "show",
                                                              "rootfs")).stdout:
            assert worker.poll() is None and time.monotonic() < deadline, shown.stdout + logs()
            time.sleep(0.5)
        assert "trials: 2 complete, 0 pruned, 0 failed" in shown.stdout, shown.stdout

        # Online backup with the image's sqlite3, as deploy/README.md tells operators.
        backup = server_tree("/usr/bin/sqlite3", "/var/lib/nasq/nasq.db",
                             ".backup /var/lib/nasq/backup.db")
        assert backup.returncode == 0, backup.stderr
        check = server_tree("/usr/bin/sqlite3", "/var/lib/nasq/backup.db",
                            "PRAGMA integrity_check")
        assert check.stdout == "ok\n", check.stdout + check.stderr

        # First SIGTERM: both stop cleanly (exit 0) from inside their trees.
        for process in (worker, server):
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, logs()
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_a_tree_missing_a_library_does_not_run(trees, tmp_path):
    # The change of root really hides the host's libraries: remove one from a copy of the tree
    # (a copy, not the host's file) and the server cannot start.
    copy = tmp_path / "server"
    subprocess.run(["cp", "-a", trees / "server", copy], check=True)
    [grpc] = copy.glob("usr/lib/x86_64-linux-gnu/libgrpc++.so.*")
    grpc.unlink()
    done = subprocess.run([RUN, copy, "nasq-server", "--help"], capture_output=True, text=True)
    assert done.returncode != 0
    assert "error while loading shared libraries: libgrpc++.so" in done.stderr, done.stderr
