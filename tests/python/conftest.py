"""Fixtures of nasq's pytest suites (run by ctest, see tests/python/CMakeLists.txt).

`server` starts a real nasq-server (the binary $NASQ_SERVER_BIN, built by CMake) on a free
loopback port with a SQLite file in the test's tmp_path, waits until it answers, and kills it at
the end of the test. `nasq_cli` runs the nasq CLI ($NASQ_CLI_BIN) against it.
`security_files` makes certificates and tokens (scripts/make-certs.sh, scripts/new-token.sh)
for servers started with TLS and --auth-tokens (LocalServer's extra_args and probe_credentials).
"""
from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import time
from typing import Optional

import grpc
import pytest

from nasq.v1 import study_service_pb2, study_service_pb2_grpc


_FAST_RECONNECT = (("grpc.initial_reconnect_backoff_ms", 50), ("grpc.min_reconnect_backoff_ms", 50),
                   ("grpc.max_reconnect_backoff_ms", 200))


def binary(env: str) -> str:
    """The built binary $`env` names; pytest.fail when it is unset or not executable."""
    path = os.environ.get(env)
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"${env} must name the built binary (ctest sets it; got {path!r})")
    return path


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """A nasq-server child process on `address` (default: a free port of 127.0.0.1) over the
    SQLite file `db`.

    `probe_credentials` are the channel credentials that reach it (a server started with
    --tls-cert in extra_args needs them; None: plain text). Any answer of the probe, a refusal
    of its missing token included, counts as the server being up. `log_level` is its
    --log-level (info logs the ports it listens on). `launcher` is an argv prefix that execs
    the server (e.g. `ip netns exec NAME` to run it in a network namespace)."""

    def __init__(self, db: pathlib.Path, log: pathlib.Path, extra_args: tuple[str, ...] = (),
                 probe_credentials: Optional[grpc.ChannelCredentials] = None,
                 log_level: str = "warn", address: Optional[str] = None,
                 launcher: tuple[str, ...] = ()):
        self.db = db
        self.log = log
        self.address = address or f"127.0.0.1:{free_port()}"
        self.launcher = launcher
        self.extra_args = extra_args
        self.probe_credentials = probe_credentials
        self.log_level = log_level
        self.process: Optional[subprocess.Popen] = None

    def start(self, timeout_s: float = 30.0) -> None:
        """Starts the server (again, on the same port and file) and waits until it answers."""
        args = [*self.launcher, binary("NASQ_SERVER_BIN"), "--db", str(self.db), "--listen",
                self.address, "--log-level", self.log_level, *self.extra_args]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        # gRPC waits 1 s before its first reconnect by default; the server listens within tens
        # of milliseconds, so a short backoff saves most of a second per start.
        if self.probe_credentials is None:
            channel = grpc.insecure_channel(self.address, options=_FAST_RECONNECT)
        else:
            channel = grpc.secure_channel(self.address, self.probe_credentials,
                                          options=_FAST_RECONNECT)
        stub = study_service_pb2_grpc.StudyServiceStub(channel)
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                if self.process.poll() is not None:
                    pytest.fail(f"nasq-server exited with {self.process.returncode}: "
                                f"{self.log.read_text()[-2000:]}")
                try:
                    stub.ListStudies(study_service_pb2.ListStudiesRequest(), timeout=1.0)
                    return
                except grpc.RpcError as e:
                    if e.code() not in (grpc.StatusCode.UNAVAILABLE,
                                        grpc.StatusCode.DEADLINE_EXCEEDED):
                        return
                    if time.monotonic() > deadline:
                        pytest.fail(f"nasq-server did not answer within {timeout_s} s")
                    time.sleep(0.05)
        finally:
            channel.close()

    def kill(self) -> None:
        """SIGKILL, as a crash: nothing is flushed beyond what the server committed."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        """SIGTERM and wait: the server's graceful shutdown."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


_SCRIPTS = pathlib.Path(__file__).resolve().parents[2] / "scripts"


class SecurityFiles:
    """Certificates and tokens made in `directory` by the scripts docs/security.md gives users.

    ca.pem signed server.pem/server.key (valid for `hosts`: names and IP addresses) and
    client.pem/client.key; other/ holds a second, unrelated set (a wrong CA, a client
    certificate the server does not trust). tokens.txt is the --auth-tokens file with one token
    per role; token_file(role) names the file holding that role's token."""

    ROLES = ("reader", "worker", "admin")

    def __init__(self, directory: pathlib.Path,
                 hosts: tuple[str, ...] = ("localhost", "127.0.0.1")):
        self.directory = directory
        for folder in (directory, directory / "other"):
            subprocess.run(["bash", str(_SCRIPTS / "make-certs.sh"), str(folder), *hosts,
                            "--days", "1"], check=True, capture_output=True)
        lines = [subprocess.run(["bash", str(_SCRIPTS / "new-token.sh"), role, role,
                                 str(self.token_file(role))],
                                check=True, capture_output=True, text=True).stdout
                 for role in self.ROLES]
        self.tokens = directory / "tokens.txt"
        self.tokens.write_text("".join(lines))

    def path(self, name: str) -> str:
        """The path of `name` (ca.pem, client.key, other/ca.pem, ...)."""
        return str(self.directory / name)

    def token_file(self, role: str) -> pathlib.Path:
        return self.directory / f"{role}.token"

    def server_args(self, mutual: bool) -> tuple[str, ...]:
        """nasq-server flags for TLS and the tokens; `mutual`: clients need a certificate."""
        args = ("--tls-cert", self.path("server.pem"), "--tls-key", self.path("server.key"),
                "--auth-tokens", str(self.tokens))
        return args + (("--tls-client-ca", self.path("ca.pem")) if mutual else ())

    def channel_credentials(self, client_cert: bool) -> grpc.ChannelCredentials:
        """Trust in ca.pem, presenting client.pem when `client_cert`."""
        def read(name: str) -> bytes:
            return (self.directory / name).read_bytes()
        if not client_cert:
            return grpc.ssl_channel_credentials(read("ca.pem"))
        return grpc.ssl_channel_credentials(read("ca.pem"), read("client.key"), read("client.pem"))

    def start_server(self, directory: pathlib.Path, mutual: bool) -> "LocalServer":
        """A started server in `directory` with TLS, the tokens and, when `mutual`, mutual TLS."""
        s = LocalServer(directory / "nasq.db", directory / "server.log",
                        self.server_args(mutual), self.channel_credentials(mutual))
        s.start()
        return s


@pytest.fixture(scope="module")
def security_files(tmp_path_factory) -> SecurityFiles:
    """A module's certificates and tokens (a second or so of openssl)."""
    return SecurityFiles(tmp_path_factory.mktemp("security"))


def _started_server(directory: pathlib.Path) -> LocalServer:
    s = LocalServer(directory / "nasq.db", directory / "server.log")
    s.start()
    return s


@pytest.fixture
def server(tmp_path: pathlib.Path):
    s = _started_server(tmp_path)
    yield s
    s.kill()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for a module's tests that neither kill it nor reuse a study name (each test
    names its own studies): starting one takes about a second."""
    s = _started_server(tmp_path_factory.mktemp("server"))
    yield s
    s.kill()


@pytest.fixture
def nasq_cli(server):
    """Runs `nasq ARGS...` against `server`; returns the CompletedProcess (check=True)."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = dict(os.environ, NASQ_SERVER=server.address)
        return subprocess.run([binary("NASQ_CLI_BIN"), *args], env=env, check=check,
                              capture_output=True, text=True, timeout=120)

    return run
