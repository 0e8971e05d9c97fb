"""nasq's Python client (clients/python/nasq) against a real nasq-server: studies, ask/tell with
heart-beaten leases, optimize with Optuna's semantics, results, errors and retries."""
import datetime
import math
import threading
import time

import grpc
import pytest

import nasq
from nasq import errors
from nasq.v1 import study_service_pb2

SPACE = {"params": {"x": {"type": "float", "low": -10, "high": 10},
                    "y": {"type": "int", "low": 0, "high": 4}}}


def make_spec(name, **extra):
    return {"name": name, "space": SPACE, "sampler": {"type": "random", "seed": 1}, **extra}


def objective(trial):
    return trial.params["x"] ** 2 + trial.params["y"]


@pytest.fixture
def client(shared_server):
    with nasq.connect(shared_server.address, client_id="test-client") as c:
        yield c


# --- studies ---------------------------------------------------------------------------------

def test_create_load_list_stop_delete(server):
    client = nasq.connect(server.address)   # a server of its own: it lists every study
    study = client.create_study(make_spec("s1", direction="maximize"))
    assert study.name == "s1" and study.direction == "maximize" and study.state == "RUNNING"
    client.create_study("name: s2\nspace: {params: {c: [a, b]}}\n")
    assert client.load_study("s1").directions == ["maximize"]
    study.tell(study.ask(), 1.0)
    listed = client.list_studies()
    assert [s.name for s in listed] == ["s1", "s2"]
    assert listed[0].counts == {"WAITING": 0, "RUNNING": 0, "COMPLETE": 1, "PRUNED": 0, "FAIL": 0}
    assert listed[0].state == "RUNNING" and listed[0].directions == ["maximize"]
    assert client.stop_study("s1") == "STOPPED"
    assert client.load_study("s1").state == "STOPPED"
    with pytest.raises(errors.FailedPrecondition):
        client.stop_study("s1")
    assert client.resume_study("s1") == "RUNNING"
    client.delete_study("s1")
    assert [s.name for s in client.list_studies()] == ["s2"]


def test_create_from_a_yaml_file(client, tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("name: from-file\nspace:\n  params:\n    lr: {type: float, low: 1.0e-5, "
                    "high: 1.0e-2, log: true}\n")
    study = client.create_study(path)
    assert study.name == "from-file"
    assert study.spec.space.params[0].distribution.float_distribution.log


def test_missing_study_is_not_found_with_the_servers_message(client):
    with pytest.raises(errors.NotFound) as caught:
        client.load_study("nope")
    assert caught.value.code.name == "NOT_FOUND" and "nope" in caught.value.message


def test_duplicate_study_and_load_if_exists(client):
    client.create_study(make_spec("dup"))
    with pytest.raises(errors.AlreadyExists):
        client.create_study(make_spec("dup"))
    assert client.create_study(make_spec("dup"), load_if_exists=True).name == "dup"


def test_a_bad_spec_names_the_field(client):
    with pytest.raises(errors.InvalidArgument, match=r"space\.params\.x\.low: expected a number"):
        client.create_study({"name": "bad", "space": {"params": {"x": {"type": "float",
                                                                       "low": "abc", "high": 1}}}})
    with pytest.raises(errors.InvalidArgument, match="colour: unknown field"):
        client.create_study({**make_spec("bad"), "colour": "red"})
    # A rule only the server checks comes back naming the field too.
    with pytest.raises(errors.InvalidArgument, match="heartbeat"):
        client.create_study(make_spec("bad", lease={"duration": "1s", "heartbeat_interval": "2s"}))


# --- ask and tell ----------------------------------------------------------------------------

def test_ask_leases_to_this_client_and_tell_completes(client):
    study = client.create_study(make_spec("at"))
    trial = study.ask()
    assert trial.number == 0 and set(trial.params) == {"x", "y"}
    assert -10 <= trial.params["x"] <= 10 and trial.params["y"] in range(5)
    running = study.trials[0]
    assert running.state == nasq.TrialState.RUNNING and running.params == trial.params
    trial.set_user_attr("note", {"a": 1})
    told = study.tell(trial, objective(trial))
    assert told.state == nasq.TrialState.COMPLETE and told.value == objective(trial)
    assert told.user_attrs["note"] == {"a": 1}
    assert trial.keeper.stopped


def test_enqueued_params_come_first_and_states_filter_the_trials(client):
    study = client.create_study(make_spec("enqueue"))
    study.enqueue_trial({"x": 1.5, "y": 2})
    assert [t.state for t in study.trials] == [nasq.TrialState.WAITING]
    trial = study.ask()
    assert trial.params == {"x": 1.5, "y": 2}
    study.tell(trial, 4.25)
    study.tell(study.ask(), state="fail")
    assert [t.number for t in study.get_trials(states=["complete"])] == [0]
    assert [t.number for t in study.get_trials(states=[nasq.TrialState.FAIL])] == [1]


def test_ask_with_a_lease_of_its_own(client):
    # The study's lease lasts 1 s; this trial's 3 s, without a single heart-beat.
    study = client.create_study(make_spec(
        "own-lease", lease={"duration": "1s", "heartbeat_interval": "250ms"}))
    trial = study.ask(lease_duration=3)
    trial.keeper.stop()
    time.sleep(2)
    told = study.tell(trial, 1.0)
    assert told.state == nasq.TrialState.COMPLETE and told.attempt == 1
    with pytest.raises(ValueError, match="lease_duration: must be > 0"):
        study.ask(lease_duration=0)


def test_tell_records_the_client(client):
    study = client.create_study(make_spec("told-by"))
    trial = study.ask()
    lease = client._connection.call(
        client._connection.studies.GetTrial,
        study_service_pb2.GetTrialRequest(name=trial.name)).lease
    assert lease.worker_id == "test-client"
    assert study.tell(trial, 1.0).system_attrs["told_by"] == "test-client"
    assert study.tell(study.ask().number, 2.0).system_attrs["told_by"] == "test-client"

    def divide(trial):
        trial.set_user_attr("stage", "eval")
        return 1 / 0

    study.optimize(divide, n_trials=1, catch=(ZeroDivisionError,))
    failed = study.trials[-1]
    assert failed.system_attrs["told_by"] == "test-client"
    assert failed.system_attrs["fail_reason"] == "ZeroDivisionError: division by zero"
    assert failed.user_attrs == {"stage": "eval"}


def test_tell_twice_is_refused(client):
    study = client.create_study(make_spec("twice"))
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(errors.FailedPrecondition, match="COMPLETE"):
        study.tell(trial, 2.0)
    assert study.tell(trial, 2.0, skip_if_finished=True).value == 1.0


class _ReplyLost(grpc.RpcError):
    """What a client sees when the connection drops after the server applied its call."""

    def code(self):
        return grpc.StatusCode.UNAVAILABLE

    def details(self):
        return "connection reset (the reply was lost)"


class _LoseFirstTellReply:
    """A StudyService stub whose first Tell reaches the server but whose reply is lost; records
    every Tell request sent."""

    def __init__(self, stub):
        self._stub = stub
        self.tells = []

    def __getattr__(self, name):
        return getattr(self._stub, name)

    def Tell(self, request, **kwargs):
        self.tells.append(request)
        answer = self._stub.Tell(request, **kwargs)
        if len(self.tells) == 1:
            raise _ReplyLost()
        return answer


@pytest.mark.parametrize("by_number", [False, True])
def test_a_tell_whose_reply_was_lost_is_retried_and_answers_the_stored_trial(client, by_number):
    study = client.create_study(make_spec(f"reply-lost-{by_number}"))
    trial = study.ask()
    stub = _LoseFirstTellReply(study._connection.studies)
    study._connection.studies = stub
    told = study.tell(trial.number if by_number else trial, 3.5)
    assert told.state == nasq.TrialState.COMPLETE and told.value == 3.5
    assert [t.skip_if_finished for t in stub.tells] == [False, True]
    assert study.trials[-1].value == 3.5


def test_tell_by_number_and_states(client):
    study = client.create_study(make_spec("states"))
    numbers = [study.ask().number for _ in range(4)]
    study.tell(numbers[0], state="pruned")
    study.tell(numbers[1], state=nasq.TrialState.FAIL)
    study.tell(numbers[2])                       # neither values nor state: FAIL, as Optuna
    study.tell(numbers[3], [float("nan")])       # NaN: FAIL
    assert [t.state.name for t in study.trials] == ["PRUNED", "FAIL", "FAIL", "FAIL"]
    with pytest.raises(ValueError, match="values: not allowed with state PRUNED"):
        study.tell(0, 1.0, state="pruned")


# --- add_trial(s): finished trials made elsewhere ----------------------------------------------

def test_add_trials_stores_finished_trials_in_order_with_their_data(client):
    study = client.create_study(make_spec("added"))
    start = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    added = study.add_trials([
        nasq.create_trial(value=1.5, params={"x": 0.5, "y": 2},
                          intermediate_values={0: 3.0, 1: 2.0}, user_attrs={"source": "csv"},
                          datetime_start=start,
                          datetime_complete=start + datetime.timedelta(minutes=1)),
        nasq.create_trial(state="PRUNED", params={"x": -1.0, "y": 0}, intermediate_values={0: 4.0}),
        nasq.create_trial(state=nasq.TrialState.FAIL, params={"x": 2.0, "y": 1},
                          system_attrs={"fail_reason": "out of memory"}),
    ])
    assert [t.number for t in added] == [0, 1, 2]
    stored = study.trials
    assert [t.state.name for t in stored] == ["COMPLETE", "PRUNED", "FAIL"]
    assert stored[0].values == [1.5] and stored[0].params == {"x": 0.5, "y": 2}
    assert stored[0].intermediate_values == {0: 3.0, 1: 2.0}
    assert stored[0].user_attrs == {"source": "csv"}
    assert stored[0].datetime_start == start and stored[0].duration == datetime.timedelta(minutes=1)
    assert stored[1].values == [4.0]     # a PRUNED trial keeps its last intermediate value
    assert stored[2].system_attrs["fail_reason"] == "out of memory"
    assert study.best_trial.number == 0 and study.best_value == 1.5


def test_add_trial_copies_a_trial_of_another_study_and_of_optuna(client):
    import optuna

    source = client.create_study(make_spec("copy-from"))
    source.optimize(objective, n_trials=1)
    target = client.create_study(make_spec("copy-to"))
    copied = target.add_trial(source.trials[0])
    assert (copied.number, copied.values, copied.params) == (0, source.trials[0].values,
                                                             source.trials[0].params)
    from_optuna = optuna.trial.create_trial(
        value=7.0, params={"x": 1.25, "y": 3},
        distributions={"x": optuna.distributions.FloatDistribution(-10, 10),
                       "y": optuna.distributions.IntDistribution(0, 4)})
    added = target.add_trial(from_optuna)
    assert (added.number, added.state, added.values, added.params) == (
        1, nasq.TrialState.COMPLETE, [7.0], {"x": 1.25, "y": 3})


def test_add_trial_refusals_name_the_problem(client):
    study = client.create_study(make_spec("add-bad"))
    with pytest.raises(errors.InvalidArgument, match="x"):
        study.add_trial(nasq.create_trial(value=1.0, params={"x": 99.0, "y": 0}))
    with pytest.raises(errors.InvalidArgument, match="trial.values"):
        study.add_trial(nasq.create_trial(params={"x": 1.0, "y": 0}))
    with pytest.raises(ValueError, match="only one of value and values"):
        nasq.create_trial(value=1.0, values=[1.0])
    with pytest.raises(TypeError, match="datetime_start: expected a datetime"):
        study.add_trial(nasq.create_trial(value=1.0, params={"x": 1.0, "y": 0},
                                          datetime_start="yesterday"))
    assert study.trials == []


def test_a_long_objective_is_kept_alive_by_heartbeats(client):
    # Lease 1 s, heartbeat every 0.25 s; the objective runs 3 s, three times the lease.
    study = client.create_study(make_spec(
        "long", lease={"duration": "1s", "heartbeat_interval": "250ms"}))
    trials = [study.ask() for _ in range(3)]     # one heart-beating thread serves them all
    time.sleep(3)
    for trial in trials:
        assert trial.keeper.beats >= 8 and trial.keeper.lost is None
        told = study.tell(trial, 1.0)
        assert told.state == nasq.TrialState.COMPLETE and told.attempt == 1


def test_a_lease_not_heart_beaten_expires_and_optimize_drops_the_result(client):
    # The control of the test above: without heart-beats the same wait loses the lease, and
    # optimize warns that it drops the result instead of failing.
    study = client.create_study(make_spec(
        "lapse", lease={"duration": "1s", "heartbeat_interval": "250ms"}))

    def silent(trial):
        trial.keeper.stop()
        time.sleep(3)
        return 1.0

    with pytest.warns(RuntimeWarning, match="trial 0 of study lapse: result dropped"):
        study.optimize(silent, n_trials=1)
    assert study.trials[0].state != nasq.TrialState.COMPLETE


def test_a_call_is_retried_across_a_server_restart(server):
    client = nasq.connect(server.address)
    study = client.create_study(make_spec("restart"))
    server.kill()
    restart = threading.Timer(1.0, server.start)
    restart.start()
    try:
        trial = study.ask()          # made while the server is down
    finally:
        restart.join()
    assert study.tell(trial, 3.0).value == 3.0


# --- optimize --------------------------------------------------------------------------------

def test_optimize_with_four_jobs_completes_exactly_n_trials(client):
    study = client.create_study(make_spec("jobs"))
    threads = set()

    def slow(trial):
        threads.add(threading.get_ident())
        time.sleep(0.05)
        return objective(trial)

    study.optimize(slow, n_trials=17, n_jobs=4)
    trials = study.trials
    assert len(trials) == 17
    assert all(t.state == nasq.TrialState.COMPLETE for t in trials)
    assert len(threads) > 1
    assert study.best_value == min(t.value for t in trials)
    assert study.best_params == min(trials, key=lambda t: t.value).params


def test_an_exception_fails_the_trial_and_propagates(client):
    study = client.create_study(make_spec("raise"))

    def broken(trial):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        study.optimize(broken, n_trials=5)
    [trial] = study.trials
    assert trial.state == nasq.TrialState.FAIL
    assert trial.system_attrs["fail_reason"] == "ValueError: boom"


def test_an_exception_in_one_of_several_jobs_stops_them_all(client):
    study = client.create_study(make_spec("raise-jobs"))

    def broken_third(trial):
        time.sleep(0.05)
        if trial.number == 2:
            raise ValueError("third")
        return 1.0

    with pytest.raises(ValueError, match="third"):
        study.optimize(broken_third, n_trials=40, n_jobs=3)
    trials = study.trials
    assert len(trials) < 40
    assert trials[2].state == nasq.TrialState.FAIL
    assert all(t.state.is_finished() for t in trials)   # running ones were told first


def test_a_long_exception_text_is_cut_to_the_servers_bound(client):
    study = client.create_study(make_spec("long-reason"))

    def verbose(trial):
        raise ValueError("é" * 20000)

    study.optimize(verbose, n_trials=1, catch=(ValueError,))
    reason = study.trials[0].system_attrs["fail_reason"]
    assert reason.startswith("ValueError: éé") and reason.endswith("...")
    assert 16000 < len(reason.encode()) <= 16384


def test_caught_exceptions_fail_the_trial_and_continue(client):
    study = client.create_study(make_spec("catch"))

    def flaky(trial):
        if trial.number % 2:
            raise RuntimeError("odd")
        return 1.0

    study.optimize(flaky, n_trials=6, catch=(RuntimeError,))
    assert [t.state.name for t in study.trials] == ["COMPLETE", "FAIL"] * 3
    with pytest.raises(TypeError, match="must be a tuple"):
        study.optimize(flaky, n_trials=1, catch=RuntimeError)


def test_keyboard_interrupt_fails_the_trial_and_reraises(client):
    study = client.create_study(make_spec("ctrl-c"))

    def interrupted(trial):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        study.optimize(interrupted, n_trials=3, catch=(Exception,))
    assert [t.state.name for t in study.trials] == ["FAIL"]


def test_none_nan_and_non_numbers_fail_and_continue(client):
    study = client.create_study(make_spec("bad-values"))
    results = iter([None, math.nan, "abc", (1.0, 2.0), 2.0])
    study.optimize(lambda trial: next(results), n_trials=5)
    trials = study.trials
    assert [t.state.name for t in trials] == ["FAIL"] * 4 + ["COMPLETE"]
    assert "did not match the number of the objectives" in trials[3].system_attrs["fail_reason"]
    assert "None could not be cast to float" in trials[0].system_attrs["fail_reason"]


def test_optimize_ends_when_the_study_reaches_max_trials(client):
    study = client.create_study(make_spec("max", max_trials=5))
    study.optimize(objective, n_jobs=2)          # no n_trials, no timeout
    assert study.state == "COMPLETED"
    assert sum(t.state == nasq.TrialState.COMPLETE for t in study.trials) == 5


def test_study_stop_ends_optimize(client):
    study = client.create_study(make_spec("stop"))

    def stop_at_three(trial):
        if trial.number == 2:
            study.stop()
        return 1.0

    study.optimize(stop_at_three, n_trials=50)
    assert len(study.trials) == 3 and study.state == "RUNNING"


def test_optimize_timeout(client):
    study = client.create_study(make_spec("timeout"))
    started = time.monotonic()
    study.optimize(lambda t: time.sleep(0.2) or 1.0, timeout=1.0)
    assert 1.0 <= time.monotonic() - started < 3.0
    assert 3 <= len(study.trials) <= 7


# --- intermediate values and pruning --------------------------------------------------------

def test_report_and_pruning(client):
    study = client.create_study(make_spec(
        "prune", direction="maximize", pruner={"type": "threshold", "lower": 0.5}))

    def learning(trial):
        for step in range(3):
            accuracy = 0.9 if trial.number % 2 == 0 else 0.1
            trial.report(accuracy, step)
            if trial.should_prune():
                raise nasq.TrialPruned()
        return accuracy

    study.optimize(learning, n_trials=4)
    trials = study.trials
    assert [t.state.name for t in trials] == ["COMPLETE", "PRUNED"] * 2
    assert trials[0].intermediate_values == {0: 0.9, 1: 0.9, 2: 0.9}
    assert trials[1].intermediate_values == {0: 0.1}
    assert trials[1].value == 0.1                # a pruned trial keeps its last value


def test_should_prune_is_false_without_a_pruner(client):
    study = client.create_study(make_spec("no-pruner"))
    trial = study.ask()
    trial.report(1e9, 0)
    assert not trial.should_prune()
    with pytest.raises(ValueError, match="step: must be >= 0"):
        trial.report(1.0, -1)
    with pytest.raises(TypeError, match="value: expected a float, got str"):
        trial.report("high", 1)
    trial.report(math.nan, 1)                    # stored, as Optuna stores it
    study.tell(trial, 1.0)
    assert math.isnan(study.trials[0].intermediate_values[1])


# --- results ---------------------------------------------------------------------------------

def test_best_trials_of_two_objectives(client):
    study = client.create_study(make_spec("mo", directions=["minimize", "minimize"],
                                          metrics=["loss", "bits"]))
    for values in ([1, 5], [2, 2], [5, 1], [4, 4], [3, 3]):
        study.tell(study.ask(), values)
    assert sorted(t.number for t in study.best_trials) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="multi-objective"):
        study.best_trial
    frame = study.trials_dataframe()
    assert list(frame.columns[:3]) == ["number", "values_loss", "values_bits"]
    assert frame["values_bits"].tolist() == [5, 2, 1, 4, 3]


def test_trials_dataframe_has_optunas_layout_and_nasqs_metrics(client):
    import optuna

    study = client.create_study(make_spec("frame"))
    reference = optuna.create_study()
    for number in range(3):
        trial = study.ask()
        trial.set_user_attr("note", f"n{number}")
        trial.set_user_attr("metrics", {"f1": 0.5 + number, "acc": 0.25})
        study.tell(trial, objective(trial))
        reference.add_trial(optuna.trial.create_trial(
            params=trial.params, value=objective(trial), user_attrs={"note": f"n{number}"},
            distributions={"x": optuna.distributions.FloatDistribution(-10, 10),
                           "y": optuna.distributions.IntDistribution(0, 4)}))
    frame = study.trials_dataframe()
    expected = reference.trials_dataframe()
    ours = [c for c in frame.columns if not c.startswith(("system_attrs_", "metrics_"))]
    assert ours == list(expected.columns)
    assert frame.columns[-1] == "state"
    assert [c for c in frame.columns if c.startswith("metrics_")] == ["metrics_acc", "metrics_f1"]
    assert frame["metrics_f1"].tolist() == [0.5, 1.5, 2.5]
    for column in ("number", "value", "params_x", "params_y", "user_attrs_note", "state"):
        assert frame[column].tolist() == expected[column].tolist(), column
    assert (frame["duration"] == frame["datetime_complete"] - frame["datetime_start"]).all()
    assert study.trials_dataframe(multi_index=True)["params"].columns.tolist() == ["x", "y"]


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_a_named_single_objective_is_value_metric_as_in_optuna(client):
    import optuna

    study = client.create_study(make_spec("named", metric="loss"))
    study.tell(study.ask(), 0.5)
    reference = optuna.create_study()
    reference.set_metric_names(["loss"])
    reference.add_trial(optuna.trial.create_trial(value=0.5))
    assert list(study.trials_dataframe().columns[:2]) == ["number", "value_loss"]
    assert list(reference.trials_dataframe().columns[:2]) == ["number", "value_loss"]


def test_watch_yields_snapshots_until_the_study_completes(client):
    study = client.create_study(make_spec("watch", max_trials=4))
    runner = threading.Thread(target=lambda: study.optimize(
        lambda t: time.sleep(0.2) or objective(t)))
    runner.start()
    snapshots = list(study.watch(interval=0.1, timeout=30))
    runner.join()
    assert len(snapshots) >= 3
    assert snapshots[-1].state == "COMPLETED" and snapshots[-1].counts["COMPLETE"] == 4
    assert snapshots[-1].best_values == [study.best_value]
    finished = [s.n_finished for s in snapshots]
    assert finished == sorted(finished) and finished[-1] == 4
