"""The connection to nasq-server that every Python API object shares: channel, credentials,
deadlines and retries.

Contract: `Connection.call(stub, method, request)` sends one RPC with the connection's
per-call deadline and bearer token. UNAVAILABLE (server down or restarting) is retried with
exponential backoff and jitter until `retry_timeout` seconds have passed since the first try;
every other failure raises at once, as the nasq.errors class of its code. Retrying is safe:
nasq's mutating RPCs are fenced (lease epochs and tokens) or refuse duplicates with a clear
error (ALREADY_EXISTS, "Cannot tell a COMPLETE trial."), which callers that retried handle.
Thread-safe: one Connection serves many threads (gRPC channels are).
"""
from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from typing import Any, Optional

import grpc

from nasq import errors
from nasq.v1 import study_service_pb2_grpc, worker_service_pb2_grpc

DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_DEADLINE_S = 30.0
DEFAULT_RETRY_TIMEOUT_S = 60.0
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


@dataclass(frozen=True)
class ConnectOptions:
    """How to reach nasq-server. Unset fields come from the environment, as the CLI's do."""

    address: Optional[str] = None   # "host:port"; default $NASQ_SERVER, else 127.0.0.1:50051
    token: Optional[str] = None     # bearer token; default $NASQ_TOKEN, else $NASQ_TOKEN_FILE
    tls_ca: Optional[str] = None    # path of the PEM CA; default $NASQ_TLS_CA; set: TLS
    deadline_s: float = DEFAULT_DEADLINE_S            # per call
    retry_timeout_s: float = DEFAULT_RETRY_TIMEOUT_S  # UNAVAILABLE retried this long


def _read_token(options: ConnectOptions) -> str:
    if options.token is not None:
        token, source = options.token, "token"
    elif os.environ.get("NASQ_TOKEN"):
        token, source = os.environ["NASQ_TOKEN"], "NASQ_TOKEN"
    elif os.environ.get("NASQ_TOKEN_FILE"):
        path = os.environ["NASQ_TOKEN_FILE"]
        try:
            with open(path, encoding="ascii") as f:
                token = f.readline()
        except OSError as e:
            raise errors.InvalidArgument(f"NASQ_TOKEN_FILE: cannot read {path}: {e.strerror}") from e
        source = "NASQ_TOKEN_FILE"
    else:
        return ""
    token = token.strip()
    if not token or not token.isascii() or not token.isprintable() or " " in token:
        raise errors.InvalidArgument(f"{source}: a token is printable ASCII without spaces")
    return token


def _host(address: str) -> str:
    return address.rsplit(":", 1)[0] if ":" in address else address


class Connection:
    """One channel to nasq-server plus its two service stubs (StudyService, WorkerService)."""

    def __init__(self, options: ConnectOptions):
        address = options.address or os.environ.get("NASQ_SERVER") or DEFAULT_ADDRESS
        tls_ca = options.tls_ca or os.environ.get("NASQ_TLS_CA")
        token = _read_token(options)
        if token and not tls_ca and _host(address) not in _LOOPBACK_HOSTS:
            raise errors.InvalidArgument(
                f"token: refusing to send a token in clear text to {address}; pass tls_ca "
                "(or NASQ_TLS_CA) to connect over TLS")
        self.address = address
        self.deadline_s = options.deadline_s
        self.retry_timeout_s = options.retry_timeout_s
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        if tls_ca:
            try:
                with open(tls_ca, "rb") as f:
                    ca = f.read()
            except OSError as e:
                raise errors.InvalidArgument(f"tls_ca: cannot read {tls_ca}: {e.strerror}") from e
            self._channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(ca))
        else:
            self._channel = grpc.insecure_channel(address)
        self.studies = study_service_pb2_grpc.StudyServiceStub(self._channel)
        self.workers = worker_service_pb2_grpc.WorkerServiceStub(self._channel)

    def call(self, method: Any, request: Any, *, deadline_s: Optional[float] = None,
             retry: bool = True) -> Any:
        """Sends `request` with `method` (a stub's bound method); see the module contract."""
        timeout = self.deadline_s if deadline_s is None else deadline_s
        give_up = time.monotonic() + (self.retry_timeout_s if retry else 0.0)
        backoff = 0.1
        while True:
            try:
                return method(request, timeout=timeout, metadata=self._metadata)
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() >= give_up:
                    raise errors.from_rpc_error(e) from None
            time.sleep(min(backoff * (0.5 + random.random()), max(0.0, give_up - time.monotonic())))
            backoff = min(backoff * 2, 5.0)

    def close(self) -> None:
        self._channel.close()
