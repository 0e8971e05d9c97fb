"""deploy/rootfs: the server and worker root file systems (build-rootfs.sh) hold everything their
programs need. nasq-server, nasq, curl and sqlite3 run from the server tree and nasq-worker from
the worker tree, each changed-rooted into its tree as uid 10001 (run-in-rootfs.sh), with TLS and
tokens mounted read-only as the images get them; a small study completes, the image's health
check answers and an online backup passes integrity_check. With a real PostgreSQL 15 (password
authentication), the server tree serves from it as deploy/k8s/postgres runs it: the URL in
--db, the password only in PGPASSWORD (not on the command line), and a clear refusal without.

What this proves: the trees' shared libraries, data, users and name-service files are complete
(the host's libraries are out of reach: a tree missing one library fails). What it does not:
the Dockerfiles' builds (no engine here) and Debian's runtime packages that they install."""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
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


class Images:
    """Programs of the server and worker trees run as the images run them, with the images'
    environment (NASQ_*) and `secrets` at /etc/nasq; every process started is killed at the
    end of the test."""

    def __init__(self, trees, secrets, logs):
        self.trees, self.secrets, self.logs_dir = trees, secrets, logs
        self.grpc_port, self.http_port = free_ports(2)
        self.env = dict(os.environ, NASQ_SERVER=f"localhost:{self.grpc_port}",
                        NASQ_TLS_CA="/etc/nasq/tls/ca.pem", NASQ_DATA_DIR="/data",
                        NASQ_CACHE_DIR="/var/cache/nasq-worker")
        self.started = []

    def start(self, tree, command, log, extra_env=(), workdir="/"):
        process = subprocess.Popen(in_tree(self.trees / tree, self.secrets, *command,
                                           workdir=workdir),
                                   env=dict(self.env, **dict(extra_env)),
                                   stdout=open(self.logs_dir / log, "w"), stderr=subprocess.STDOUT)
        self.started.append(process)
        return process

    def start_server(self, db, extra_env=()):
        """nasq-server on `db` over TLS with tokens, with HTTP, as the server image's CMD."""
        return self.start("server", ["nasq-server", "--db", db,
                                     "--listen", f"127.0.0.1:{self.grpc_port}",
                                     "--http", f"127.0.0.1:{self.http_port}",
                                     "--tls-cert", "/etc/nasq/tls/server.pem",
                                     "--tls-key", "/etc/nasq/tls/server.key",
                                     "--auth-tokens", "/etc/nasq/tokens.txt"],
                          "server.log", extra_env, workdir="/var/lib/nasq")

    def in_server(self, *command):
        """A program of the server tree (e.g. nasq, with the admin token), run to its end."""
        return subprocess.run(in_tree(self.trees / "server", self.secrets, *command),
                              env=dict(self.env, NASQ_TOKEN_FILE="/etc/nasq/admin.token"),
                              capture_output=True, text=True, timeout=30)

    def wait_healthy(self, server):
        """Waits for the image's HEALTHCHECK, with curl from the tree (verifying the server's
        certificate here)."""
        health = ["/usr/bin/curl", "-fsS", "--cacert", "/etc/nasq/tls/ca.pem",
                  f"https://localhost:{self.http_port}/healthz"]
        deadline = time.monotonic() + 30
        while self.in_server(*health).stdout != "ok\n":
            assert server.poll() is None and time.monotonic() < deadline, self.logs()
            time.sleep(0.2)

    def logs(self):
        return "\n".join(f"{log.name}:\n{log.read_text()}" for log in self.logs_dir.glob("*.log"))

    def kill_all(self):
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def images(trees, secrets, tmp_path):
    running = Images(trees, secrets, tmp_path)
    yield running
    running.kill_all()


def test_a_study_completes_inside_the_root_file_systems(images):
    server = images.start_server("/var/lib/nasq/nasq.db")
    images.wait_healthy(server)
    created = images.in_server("nasq", "study", "create", "/etc/nasq/study.yaml")
    assert created.returncode == 0, created.stderr
    worker = images.start("worker", ["nasq-worker", "--device", "cpu", "--threads", "1",
                                     "--study", "rootfs"], "worker.log",
                          {"NASQ_TOKEN_FILE": "/etc/nasq/worker.token"},
                          workdir="/var/lib/nasq-worker")
    deadline = time.monotonic() + 120
    while "state: COMPLETED" not in (shown := images.in_server("nasq", "study", "show",
                                                               "rootfs")).stdout:
        assert worker.poll() is None and time.monotonic() < deadline, shown.stdout + images.logs()
        time.sleep(0.5)
    assert "trials: 2 complete, 0 pruned, 0 failed" in shown.stdout, shown.stdout

    # Online backup with the image's sqlite3, as deploy/README.md tells operators.
    backup = images.in_server("/usr/bin/sqlite3", "/var/lib/nasq/nasq.db",
                              ".backup /var/lib/nasq/backup.db")
    assert backup.returncode == 0, backup.stderr
    check = images.in_server("/usr/bin/sqlite3", "/var/lib/nasq/backup.db",
                             "PRAGMA integrity_check")
    assert check.stdout == "ok\n", check.stdout + check.stderr

    # First SIGTERM: both stop cleanly (exit 0) from inside their trees.
    for process in (worker, server):
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, images.logs()


PG_BIN = pathlib.Path("/usr/lib/postgresql/15/bin")  # Debian's postgresql-15


@pytest.fixture
def postgres():
    """A PostgreSQL 15 cluster on a free loopback port, run as the user postgres in a folder of
    its own under /tmp (pytest's folders are root's alone), with password (SCRAM)
    authentication over TCP: yields (URL without the password, password)."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 is not installed ({PG_BIN}/initdb)")
    server_help = subprocess.run([os.environ["NASQ_SERVER_BIN"], "--help"], capture_output=True,
                                 text=True).stdout
    if "postgresql://" not in server_help:
        pytest.skip("this nasq-server has no PostgreSQL storage")
    folder = pathlib.Path(tempfile.mkdtemp(prefix="nasq-deploy-pg-"))
    password, [port] = "pw-" + os.urandom(8).hex(), free_ports(1)
    (folder / "pwfile").write_text(password + "\n")
    shutil.chown(folder, "postgres")
    shutil.chown(folder / "pwfile", "postgres")

    def as_postgres(*command):
        done = subprocess.run(["runuser", "-u", "postgres", "--", *map(str, command)],
                              capture_output=True, text=True)
        assert done.returncode == 0, f"{command[0]}: {done.stdout}{done.stderr}"

    as_postgres(PG_BIN / "initdb", "-D", folder / "data", "-U", "nasq", "--auth-local=trust",
                "--auth-host=scram-sha-256", f"--pwfile={folder / 'pwfile'}")
    as_postgres(PG_BIN / "pg_ctl", "-D", folder / "data", "-l", folder / "log", "-w", "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        as_postgres(PG_BIN / "createdb", "-h", folder, "-p", port, "-U", "nasq", "nasq")
        yield f"postgresql://nasq@127.0.0.1:{port}/nasq?sslmode=disable", password
    finally:
        as_postgres(PG_BIN / "pg_ctl", "-D", folder / "data", "-m", "fast", "stop")
        shutil.rmtree(folder)


def test_the_server_tree_serves_from_postgresql_as_the_k8s_overlay_runs_it(images, postgres):
    url, password = postgres
    server = images.start_server(url, {"PGPASSWORD": password})
    images.wait_healthy(server)
    assert password not in pathlib.Path(f"/proc/{server.pid}/cmdline").read_text()
    created = images.in_server("nasq", "study", "create", "/etc/nasq/study.yaml")
    assert created.returncode == 0, created.stderr + images.logs()
    assert "state: RUNNING" in images.in_server("nasq", "study", "show", "rootfs").stdout
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0, images.logs()

    # The study is in PostgreSQL: a new server (a new pod) finds it.
    server = images.start_server(url, {"PGPASSWORD": password})
    images.wait_healthy(server)
    assert "name: rootfs" in images.in_server("nasq", "study", "show", "rootfs").stdout
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0, images.logs()

    # Without the Secret's password the server refuses to start and says why.
    server = images.start_server(url)
    assert server.wait(timeout=30) != 0
    assert "no password supplied" in images.logs(), images.logs()


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
