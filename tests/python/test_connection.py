"""nasq._rpc.Connection: errors carry the server's code and message; UNAVAILABLE is retried
until retry_timeout_s, and a server that comes back within it answers the same call."""
import threading
import time

import pytest

from nasq import _rpc, errors
from nasq.v1 import study_service_pb2


def test_not_found_carries_the_servers_message(server):
    connection = _rpc.Connection(_rpc.ConnectOptions(address=server.address))
    with pytest.raises(errors.NotFound) as caught:
        connection.call(connection.studies.GetStudy,
                        study_service_pb2.GetStudyRequest(name="studies/missing"))
    assert caught.value.code.name == "NOT_FOUND"
    assert "missing" in caught.value.message


def test_unavailable_is_raised_after_the_retry_timeout(server):
    server.kill()
    connection = _rpc.Connection(_rpc.ConnectOptions(address=server.address, retry_timeout_s=0.5))
    started = time.monotonic()
    with pytest.raises(errors.Unavailable):
        connection.call(connection.studies.ListStudies, study_service_pb2.ListStudiesRequest())
    assert 0.5 <= time.monotonic() - started < 10


def test_a_call_is_retried_across_a_server_restart(server):
    server.kill()
    restart = threading.Timer(1.0, server.start)
    restart.start()
    connection = _rpc.Connection(_rpc.ConnectOptions(address=server.address, retry_timeout_s=30))
    answer = connection.call(connection.studies.ListStudies, study_service_pb2.ListStudiesRequest())
    restart.join()
    assert list(answer.studies) == []


def test_a_token_is_not_sent_in_clear_text_off_this_machine():
    with pytest.raises(errors.InvalidArgument, match="clear text"):
        _rpc.Connection(_rpc.ConnectOptions(address="10.1.2.3:50051", token="secret"))
