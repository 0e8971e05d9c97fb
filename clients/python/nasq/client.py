"""nasq.connect() and Client: the studies of one nasq-server.

Contract: `connect(address=None, token=None, tls_ca=None, *, token_file=None, tls_cert=None,
tls_key=None, client_id=None, deadline_s=30, retry_timeout_s=60)` reaches the server as the CLI
does (NASQ_SERVER, NASQ_TOKEN / NASQ_TOKEN_FILE, NASQ_TLS_CA, NASQ_TLS_CERT / NASQ_TLS_KEY when
unset; the rules and errors of the credentials are in nasq/_credentials.py); every call has a
deadline and UNAVAILABLE is retried with backoff (nasq/_rpc.py); errors are nasq.errors classes
carrying the server's message and code. `client_id` (default "python:<host>:<pid>") is recorded as the lease holder of every trial
this client asks and as the teller of every trial it tells.
"""
from __future__ import annotations

import datetime
import os
import socket
from dataclasses import dataclass
from typing import Optional

from nasq import _convert, errors, spec as spec_module
from nasq._rpc import DEFAULT_DEADLINE_S, DEFAULT_RETRY_TIMEOUT_S, ConnectOptions, Connection
from nasq.study import Study, study_state_name, trial_counts
from nasq.v1 import study_pb2, study_service_pb2


def default_client_id() -> str:
    return f"python:{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class StudySummary:
    """One study of list_studies()."""

    name: str
    state: str                      # RUNNING, COMPLETED or STOPPED
    directions: list[str]
    counts: dict[str, int]          # trials per state
    datetime_start: Optional[datetime.datetime]


class Client:
    """The studies of one server. Use as a context manager, or close() when done."""

    def __init__(self, connection: Connection, client_id: str):
        self._connection = connection
        self.client_id = client_id

    @property
    def address(self) -> str:
        return self._connection.address

    def _call(self, method: str, request):
        return self._connection.call(getattr(self._connection.studies, method), request)

    def _study(self, proto: study_pb2.Study) -> Study:
        return Study(self._connection, proto, self.client_id)

    def create_study(self, spec: spec_module.SpecSource, load_if_exists: bool = False) -> Study:
        """Creates a study from its spec: a dict in the YAML form of docs/study-spec.md, the
        path of a YAML file, or YAML text. With load_if_exists, an existing study of that name
        is returned instead of raising nasq.errors.AlreadyExists (its spec is not compared)."""
        proto = spec_module.to_proto(spec)
        try:
            return self._study(self._call("CreateStudy",
                                          study_service_pb2.CreateStudyRequest(spec=proto)))
        except errors.AlreadyExists:
            if not load_if_exists:
                raise
            return self.load_study(proto.name)

    def load_study(self, name: str) -> Study:
        """The study `name`; nasq.errors.NotFound when there is none."""
        return self._study(self._call("GetStudy",
                                      study_service_pb2.GetStudyRequest(name=f"studies/{name}")))

    def list_studies(self) -> list[StudySummary]:
        """Every study of the server, by creation."""
        request = study_service_pb2.ListStudiesRequest(page_size=1000)
        summaries: list[StudySummary] = []
        while True:
            answer = self._call("ListStudies", request)
            for s in answer.studies:
                study = self._study(s)
                summaries.append(StudySummary(
                    name=study.name, state=study_state_name(s.state), directions=study.directions,
                    counts=trial_counts(s.trial_counts),
                    datetime_start=_convert.timestamp(s.create_time, s.HasField("create_time"))))
            if not answer.next_page_token:
                return summaries
            request.page_token = answer.next_page_token

    def delete_study(self, name: str) -> None:
        self._call("DeleteStudy", study_service_pb2.DeleteStudyRequest(name=f"studies/{name}"))

    def stop_study(self, name: str) -> str:
        """Stops a RUNNING study on the server: it hands out no more trials and heart-beats
        answer stop. Returns its new state; FailedPrecondition when it is not RUNNING."""
        answer = self._call("StopStudy", study_service_pb2.StopStudyRequest(name=f"studies/{name}"))
        return study_state_name(answer.state)

    def resume_study(self, name: str, max_trials: Optional[int] = None) -> str:
        """Resumes a STOPPED or COMPLETED study, optionally with a new max_trials."""
        request = study_service_pb2.ResumeStudyRequest(name=f"studies/{name}")
        if max_trials is not None:
            request.max_trials = max_trials
        return study_state_name(self._call("ResumeStudy", request).state)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def connect(address: Optional[str] = None, token: Optional[str] = None,
            tls_ca: Optional[str] = None, *, token_file: Optional[str] = None,
            tls_cert: Optional[str] = None, tls_key: Optional[str] = None,
            client_id: Optional[str] = None, deadline_s: float = DEFAULT_DEADLINE_S,
            retry_timeout_s: float = DEFAULT_RETRY_TIMEOUT_S) -> Client:
    """A Client of the server at `address` (see the module contract)."""
    connection = Connection(ConnectOptions(
        address=address, token=token, token_file=token_file, tls_ca=tls_ca, tls_cert=tls_cert,
        tls_key=tls_key, deadline_s=deadline_s, retry_timeout_s=retry_timeout_s))
    return Client(connection, client_id or default_client_id())
