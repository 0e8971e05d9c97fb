"""What a Python worker's function returned, as the fields of WorkerService.CompleteTrial.

Contract: `completion(result, metric_names)` returns (values, metrics):
  * a number (anything with __float__ but a bool: int, float, numpy and 1-element torch
    scalars) -> ([value], {});
  * a sequence of numbers, one per objective -> (values, {});
  * a mapping of metric name -> number -> ([], metrics): the server takes the values from the
    metrics by the study's metric names (CompleteTrialRequest), so the study must name them.
Anything else raises TypeError naming what was returned and what is accepted. `metrics(result)`
is the dict case alone (a pruned trial keeps the metrics it returns, whatever the study names). Counting the
values against the objectives and refusing NaN is the server's (the trial then ends FAILED with
its reason, as a Tell would).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ACCEPTED = "a float, a sequence of floats (one per objective) or a dict of metrics"


def _number(value: Any, what: str) -> float:
    if isinstance(value, (bool, str, bytes)) or not hasattr(value, "__float__"):
        raise TypeError(f"{what} is {type(value).__name__} {value!r:.80}, not a number")
    return float(value)


def metrics(result: Mapping) -> dict[str, float]:
    return {str(key): _number(value, f"metric {key!r}") for key, value in result.items()}


def completion(result: Any, metric_names: Sequence[str]) -> tuple[list[float], dict[str, float]]:
    if isinstance(result, Mapping):
        if not metric_names:
            raise TypeError("the function returned a dict of metrics, but the study names no "
                            "metrics (`metric:`/`metrics:` in its spec) to take the values from; "
                            "return the objective value(s) instead")
        return [], metrics(result)
    if isinstance(result, Sequence) and not isinstance(result, (str, bytes)):
        return [_number(value, f"value {i}") for i, value in enumerate(result)], {}
    if result is None:
        raise TypeError(f"the function returned None; return {ACCEPTED}")
    try:
        return [_number(result, "the returned value")], {}
    except TypeError as e:
        raise TypeError(f"{e}; return {ACCEPTED}") from None
