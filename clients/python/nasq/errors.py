"""Errors that nasq's Python API raises: one class per gRPC status code the server answers.

Every error carries the server's message (it names the field or the state at fault) as its
text and `code` (a grpc.StatusCode); catch NasqError for any of them.
"""
from __future__ import annotations

import grpc


class NasqError(Exception):
    """A call to nasq-server failed. `code` is the grpc.StatusCode, `message` the server's text."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str, code: grpc.StatusCode | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


class InvalidArgument(NasqError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(NasqError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(NasqError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(NasqError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(NasqError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class PermissionDenied(NasqError):
    code = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(NasqError):
    code = grpc.StatusCode.UNAUTHENTICATED


class Unavailable(NasqError):
    """The server could not be reached, also after the retries (connect's `retry_timeout`)."""

    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(NasqError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


_BY_CODE = {cls.code: cls for cls in (InvalidArgument, NotFound, AlreadyExists, FailedPrecondition,
                                      ResourceExhausted, PermissionDenied, Unauthenticated,
                                      Unavailable, DeadlineExceeded)}


def from_rpc_error(error: grpc.RpcError) -> NasqError:
    """The NasqError for a failed call: its class by status code, the server's message as text."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    cls = _BY_CODE.get(code, NasqError)
    return cls(details or code.name, code)


class TrialPruned(Exception):
    """Raised by an objective (or a worker's function) to end its trial PRUNED, as Optuna's
    optuna.TrialPruned: typically after trial.should_prune() turned true. Not a NasqError: it
    is the user's signal, not a failed call."""
