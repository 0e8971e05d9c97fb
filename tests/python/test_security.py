"""nasq's Python client and workers against a nasq-server with TLS and tokens (docs/security.md):
each role does what it may and is refused the rest with the server's message, a missing token,
a wrong CA and a missing client certificate are refused with clear errors, and the credentials
come from arguments or from the CLI's environment variables. Certificates and tokens are made by
the scripts users run (conftest.py's security_files)."""
import pytest

import nasq
from nasq import _credentials, errors
from nasq.worker.__main__ import main as worker_main

SPEC = {"space": {"params": {"x": {"type": "float", "low": -1.0, "high": 1.0}}},
        "sampler": {"type": "random", "seed": 3}}
COMPLETE = nasq.TrialState.COMPLETE
ENV = ("NASQ_SERVER", "NASQ_TOKEN", "NASQ_TOKEN_FILE", "NASQ_TLS_CA", "NASQ_TLS_CERT",
       "NASQ_TLS_KEY")


def objective(trial):
    return trial.params["x"] ** 2


@pytest.fixture(autouse=True)
def no_credentials_in_env(monkeypatch):
    """Each test sees only the credentials it sets, not the caller's environment."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def tls_server(security_files, tmp_path_factory):
    """TLS and tokens, no client certificates."""
    s = security_files.start_server(tmp_path_factory.mktemp("tls"), mutual=False)
    yield s
    s.kill()


@pytest.fixture(scope="module")
def mtls_server(security_files, tmp_path_factory):
    """TLS, tokens and mutual TLS (--tls-client-ca ca.pem)."""
    s = security_files.start_server(tmp_path_factory.mktemp("mtls"), mutual=True)
    yield s
    s.kill()


def connect_as(server, files, role, **kwargs):
    return nasq.connect(server.address, token_file=str(files.token_file(role)),
                        tls_ca=files.path("ca.pem"), retry_timeout_s=1, **kwargs)


# --- roles over TLS -------------------------------------------------------------------------

def test_an_admin_token_creates_a_study_and_optimizes_over_tls(tls_server, security_files):
    with connect_as(tls_server, security_files, "admin") as client:
        study = client.create_study({"name": "admin-opt", **SPEC})
        study.optimize(objective, n_trials=4)
        done = study.trials
        assert [t.state for t in done] == [COMPLETE] * 4
        assert [t.value for t in done] == pytest.approx([t.params["x"] ** 2 for t in done])
        assert study.best_trial.value == min(t.value for t in done)


def test_a_reader_lists_but_may_not_create(tls_server, security_files):
    with connect_as(tls_server, security_files, "admin") as admin:
        admin.create_study({"name": "for-reader", **SPEC})
    with connect_as(tls_server, security_files, "reader") as reader:
        assert "for-reader" in [s.name for s in reader.list_studies()]
        assert reader.load_study("for-reader").state == "RUNNING"
        with pytest.raises(errors.PermissionDenied) as refused:
            reader.create_study({"name": "by-reader", **SPEC})
        assert refused.value.message == "the token's role may not call this"  # the server's
        with pytest.raises(errors.PermissionDenied):
            reader.load_study("for-reader").ask()
    with connect_as(tls_server, security_files, "admin") as admin:
        assert "by-reader" not in [s.name for s in admin.list_studies()]


def test_a_worker_token_asks_and_tells_but_may_not_create(tls_server, security_files):
    with connect_as(tls_server, security_files, "admin") as admin:
        admin.create_study({"name": "asked", **SPEC})
    with connect_as(tls_server, security_files, "worker") as client:
        study = client.load_study("asked")
        trial = study.ask()
        study.tell(trial, 0.25)
        assert [(t.state, t.value) for t in study.trials] == [(COMPLETE, 0.25)]
        with pytest.raises(errors.PermissionDenied):
            client.create_study({"name": "by-worker", **SPEC})


def test_a_python_worker_serves_a_study_with_a_worker_token(tls_server, security_files):
    with connect_as(tls_server, security_files, "admin") as admin:
        study = admin.create_study({"name": "served", **SPEC, "task": {"kind": "python"}})
        with nasq.Worker(tls_server.address, fn=objective, worker_id="tls-worker",
                         token_file=str(security_files.token_file("worker")),
                         tls_ca=security_files.path("ca.pem"), studies=["served"]) as worker:
            stats = worker.run(max_trials=2, idle_timeout=10)
        assert (stats.completed, stats.trials) == (2, 2)
        done = study.trials
        assert [t.state for t in done] == [COMPLETE] * 2
        assert [t.value for t in done] == pytest.approx([t.params["x"] ** 2 for t in done])


def test_a_worker_with_a_reader_token_is_refused_for_good(tls_server, security_files):
    with nasq.Worker(tls_server.address, fn=objective,
                     token_file=str(security_files.token_file("reader")),
                     tls_ca=security_files.path("ca.pem")) as worker:
        with pytest.raises(errors.PermissionDenied):
            worker.run(max_trials=1, idle_timeout=5)


def test_the_worker_command_takes_the_token_file_and_ca(tls_server, security_files, tmp_path,
                                                        monkeypatch):
    (tmp_path / "train.py").write_text("def train(trial):\n    return trial.params['x']\n")
    monkeypatch.chdir(tmp_path)
    with connect_as(tls_server, security_files, "admin") as admin:
        study = admin.create_study({"name": "by-command", **SPEC, "task": {"kind": "python"}})
        assert worker_main(["--fn", "train.py:train", "--server", tls_server.address,
                            "--token-file", str(security_files.token_file("worker")),
                            "--tls-ca", security_files.path("ca.pem"), "--study", "by-command",
                            "--max-trials", "1", "--idle-timeout", "10"]) == 0
        assert [t.state for t in study.trials] == [COMPLETE]


# --- refusals ---------------------------------------------------------------------------------

def test_no_token_is_unauthenticated(tls_server, security_files):
    with nasq.connect(tls_server.address, tls_ca=security_files.path("ca.pem")) as client:
        with pytest.raises(errors.Unauthenticated) as refused:
            client.list_studies()
    assert refused.value.message == "missing, unknown or expired token"


def test_a_wrong_ca_is_unavailable_naming_tls_and_the_ca(tls_server, security_files):
    wrong_ca = security_files.path("other/ca.pem")
    with nasq.connect(tls_server.address, token_file=str(security_files.token_file("admin")),
                      tls_ca=wrong_ca, retry_timeout_s=0.5) as client:
        with pytest.raises(errors.Unavailable) as refused:
            client.list_studies()
    assert "TLS" in refused.value.message and wrong_ca in refused.value.message


def test_a_plain_text_client_is_refused_by_a_tls_server(tls_server, security_files):
    with nasq.connect(tls_server.address, token_file=str(security_files.token_file("admin")),
                      retry_timeout_s=0.5) as client:
        with pytest.raises(errors.Unavailable):
            client.list_studies()


# --- credentials from the environment ----------------------------------------------------------

def test_connect_with_no_arguments_takes_the_cli_environment(tls_server, security_files,
                                                             monkeypatch):
    monkeypatch.setenv("NASQ_SERVER", tls_server.address)
    monkeypatch.setenv("NASQ_TOKEN_FILE", str(security_files.token_file("admin")))
    monkeypatch.setenv("NASQ_TLS_CA", security_files.path("ca.pem"))
    with nasq.connect() as client:
        client.create_study({"name": "from-env", **SPEC})   # admin: the token was sent
        assert "from-env" in [s.name for s in client.list_studies()]


# --- mutual TLS -------------------------------------------------------------------------------

def test_mutual_tls_works_with_the_client_certificate(mtls_server, security_files):
    with connect_as(mtls_server, security_files, "admin", tls_cert=security_files.path(
            "client.pem"), tls_key=security_files.path("client.key")) as client:
        study = client.create_study({"name": "mutual", **SPEC})
        study.optimize(objective, n_trials=2)
        assert [t.state for t in study.trials] == [COMPLETE] * 2


def test_mutual_tls_takes_the_client_certificate_from_the_environment(mtls_server, security_files,
                                                                      monkeypatch):
    monkeypatch.setenv("NASQ_TLS_CERT", security_files.path("client.pem"))
    monkeypatch.setenv("NASQ_TLS_KEY", security_files.path("client.key"))
    with connect_as(mtls_server, security_files, "reader") as client:
        client.list_studies()


@pytest.mark.parametrize("cert", [None, "other/client"], ids=["no-cert", "untrusted-cert"])
def test_mutual_tls_refuses_a_client_without_a_trusted_certificate(mtls_server, security_files,
                                                                   cert):
    extra = {} if cert is None else {"tls_cert": security_files.path(f"{cert}.pem"),
                                     "tls_key": security_files.path(f"{cert}.key")}
    with connect_as(mtls_server, security_files, "admin", **extra) as client:
        with pytest.raises(errors.Unavailable) as refused:
            client.list_studies()
    assert "client certificate" in refused.value.message


# --- bad credentials: clear errors before any call ----------------------------------------------

@pytest.mark.parametrize("arguments, env, named", [
    ({"tls_ca": "ca.pem", "tls_cert": "client.pem"}, {}, "tls_cert: needs its private key"),
    ({"tls_ca": "ca.pem", "tls_key": "client.key"}, {}, "tls_key: needs the client certificate"),
    ({"tls_ca": "ca.pem"}, {"NASQ_TLS_KEY": "client.key"}, "NASQ_TLS_KEY: needs the client"),
    ({"tls_cert": "client.pem", "tls_key": "client.key"}, {}, "tls_cert: needs tls_ca"),
    ({"tls_ca": "missing.pem"}, {}, "tls_ca: cannot read"),
    ({"tls_ca": "admin.token"}, {}, "tls_ca: {dir}/admin.token is not a PEM file"),
    ({"tls_ca": "ca.pem", "tls_cert": "client.pem", "tls_key": "nope.key"}, {},
     "tls_key: cannot read"),
    ({"token": "t", "token_file": "admin.token"}, {}, "token, token_file: give one"),
    ({"token": "two words"}, {}, "token: the token must be printable ASCII without spaces"),
    ({"token_file": "empty.token"}, {}, "token_file: the token is empty"),
    ({}, {"NASQ_TOKEN_FILE": "missing.token"}, "NASQ_TOKEN_FILE: cannot read"),
], ids=["cert-without-key", "key-without-cert", "env-key-without-cert", "cert-without-ca",
        "missing-ca", "ca-not-pem", "missing-key", "token-and-file", "token-with-space",
        "empty-token-file", "missing-env-token-file"])
def test_bad_credentials_raise_invalid_argument_naming_the_setting(
        security_files, monkeypatch, arguments, env, named):
    directory = security_files.directory
    (directory / "empty.token").write_text("\n")
    in_dir = {k: str(directory / v) if k != "token" else v for k, v in arguments.items()}
    for name, value in env.items():
        monkeypatch.setenv(name, str(directory / value))
    with pytest.raises(errors.InvalidArgument) as refused:
        nasq.connect("127.0.0.1:1", **in_dir)
    assert named.format(dir=directory) in refused.value.message
    with pytest.raises(errors.InvalidArgument):   # the worker checks the same way
        nasq.Worker("127.0.0.1:1", fn=objective, **in_dir)


def test_a_token_is_never_quoted_in_errors():
    with pytest.raises(errors.InvalidArgument) as refused:
        nasq.connect("127.0.0.1:1", token="s3cr3t\tpart")
    assert "s3cr3t" not in refused.value.message and "part" not in refused.value.message


def test_a_token_needs_tls_off_this_machine(security_files):
    with pytest.raises(errors.InvalidArgument, match="clear text"):
        nasq.connect("10.1.2.3:50051", token_file=str(security_files.token_file("admin")))
    nasq.connect("10.1.2.3:50051", token_file=str(security_files.token_file("admin")),
                 tls_ca=security_files.path("ca.pem")).close()
    for loopback in ("127.0.0.2:1", "localhost:1", "[::1]:1", "unix:/tmp/nasq.sock"):
        nasq.connect(loopback, token="t").close()


def test_the_token_is_the_first_line_and_follows_the_cli_order(security_files, tmp_path,
                                                               monkeypatch):
    def sent(**kwargs):
        return _credentials.load_credentials("127.0.0.1:1", **kwargs).metadata()

    (tmp_path / "two-lines.token").write_text("  first-line \nsecond-line\n")
    assert sent(token_file=str(tmp_path / "two-lines.token")) == (
        ("authorization", "Bearer first-line"),)
    assert sent() == ()
    monkeypatch.setenv("NASQ_TOKEN_FILE", str(tmp_path / "two-lines.token"))
    assert sent() == (("authorization", "Bearer first-line"),)
    monkeypatch.setenv("NASQ_TOKEN", "from-env")
    assert sent() == (("authorization", "Bearer from-env"),)
    assert sent(token="from-argument") == (("authorization", "Bearer from-argument"),)
