"""The connection to nasq-server that every Python API object shares: channel, credentials,
deadlines and retries.

Contract: `Connection.call(stub, method, request)` sends one RPC with the connection's
per-call deadline and bearer token. UNAVAILABLE (server down or restarting) is retried with
exponential backoff and jitter until `retry_timeout` seconds have passed since the first try;
every other failure raises at once, as the nasq.errors class of its code (over TLS, an
UNAVAILABLE error names the CA and client certificate used). Retrying is safe: nasq's mutating
RPCs are fenced (lease epochs and tokens) or refuse duplicates with a clear error
(ALREADY_EXISTS, "Cannot tell a COMPLETE trial."); a caller whose first try may have been
applied before the connection dropped gives `retry_request`, sent on every retry instead (Tell's
sets skip_if_finished, as the C++ client's does).
Credentials: nasq/_credentials.py.
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
from nasq._credentials import load_credentials
from nasq.v1 import study_service_pb2_grpc, worker_service_pb2_grpc

DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_DEADLINE_S = 30.0
DEFAULT_RETRY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ConnectOptions:
    """How to reach nasq-server. Unset fields come from the environment, as the CLI's do
    (nasq/_credentials.py has the rules and errors of the credentials)."""

    address: Optional[str] = None     # "host:port"; default $NASQ_SERVER, else 127.0.0.1:50051
    token: Optional[str] = None       # bearer token; default as token_file
    token_file: Optional[str] = None  # its first line is the token; default $NASQ_TOKEN, else
                                      # the file $NASQ_TOKEN_FILE
    tls_ca: Optional[str] = None      # path of the PEM CA; default $NASQ_TLS_CA; set: TLS
    tls_cert: Optional[str] = None    # PEM client certificate for mutual TLS; default
                                      # $NASQ_TLS_CERT; needs tls_key and tls_ca
    tls_key: Optional[str] = None     # its PEM private key; default $NASQ_TLS_KEY
    deadline_s: float = DEFAULT_DEADLINE_S            # per call
    retry_timeout_s: float = DEFAULT_RETRY_TIMEOUT_S  # UNAVAILABLE retried this long


class Connection:
    """One channel to nasq-server plus its two service stubs (StudyService, WorkerService)."""

    def __init__(self, options: ConnectOptions):
        address = options.address or os.environ.get("NASQ_SERVER") or DEFAULT_ADDRESS
        credentials = load_credentials(address, token=options.token,
                                       token_file=options.token_file, tls_ca=options.tls_ca,
                                       tls_cert=options.tls_cert, tls_key=options.tls_key)
        self.address = address
        self.deadline_s = options.deadline_s
        self.retry_timeout_s = options.retry_timeout_s
        self._metadata = credentials.metadata()
        self._tls_hint = credentials.tls_hint
        if credentials.channel is not None:
            self._channel = grpc.secure_channel(address, credentials.channel)
        else:
            self._channel = grpc.insecure_channel(address)
        self.studies = study_service_pb2_grpc.StudyServiceStub(self._channel)
        self.workers = worker_service_pb2_grpc.WorkerServiceStub(self._channel)

    def call(self, method: Any, request: Any, *, deadline_s: Optional[float] = None,
             retry: bool = True, retry_request: Any = None) -> Any:
        """Sends `request` with `method` (a stub's bound method), and `retry_request` (default:
        `request`) on each retry; see the module contract."""
        timeout = self.deadline_s if deadline_s is None else deadline_s
        give_up = time.monotonic() + (self.retry_timeout_s if retry else 0.0)
        backoff = 0.1
        sending = request
        while True:
            try:
                return method(sending, timeout=timeout, metadata=self._metadata)
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() >= give_up:
                    raise self._error(e) from None
            time.sleep(min(backoff * (0.5 + random.random()), max(0.0, give_up - time.monotonic())))
            backoff = min(backoff * 2, 5.0)
            if retry_request is not None:
                sending = retry_request

    def _error(self, rpc_error: grpc.RpcError) -> errors.NasqError:
        error = errors.from_rpc_error(rpc_error)
        if isinstance(error, errors.Unavailable) and self._tls_hint:
            return errors.Unavailable(f"{error.message} ({self._tls_hint})")
        return error

    def close(self) -> None:
        self._channel.close()
