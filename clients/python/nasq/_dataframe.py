"""Study.trials_dataframe(): Optuna's column layout (optuna/study/_dataframe.py) for nasq trials.

Columns, in this order, for the default attrs: number; value (one objective), or one per
objective named values_<metric> when the study names its metrics, else values_0, values_1...;
datetime_start, datetime_complete, duration; params_<name>, user_attrs_<key> and
system_attrs_<key> (sorted by name); then nasq's reported metrics, metrics_<name> (from user
attr "metrics", which is not repeated as user_attrs_metrics); state (its name). multi_index=True
keeps Optuna's two-level columns, e.g. ("params", "lr"). pandas is imported only here.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from nasq.trial import FrozenTrial

DEFAULT_ATTRS = ("number", "value", "datetime_start", "datetime_complete", "duration", "params",
                 "user_attrs", "system_attrs", "metrics", "state")
_NESTED = ("params", "user_attrs", "system_attrs", "metrics")


def _import_pandas():
    try:
        import pandas
    except ImportError as e:
        raise ImportError("trials_dataframe() needs pandas: pip install pandas "
                          "(or pip install 'nasq[pandas]')") from e
    return pandas


def _nested(trial: FrozenTrial, attr: str) -> dict[str, Any]:
    value = dict(getattr(trial, attr))
    if attr == "user_attrs":
        value.pop("metrics", None)  # its own columns, metrics_<name>
    return value


def trials_dataframe(trials: Sequence[FrozenTrial], n_objectives: int,
                     metric_names: Optional[Sequence[str]], attrs: Sequence[str] = DEFAULT_ATTRS,
                     multi_index: bool = False):
    pandas = _import_pandas()
    if not trials:
        return pandas.DataFrame()
    unknown = [a for a in attrs if a not in DEFAULT_ATTRS + ("values", "intermediate_values",
                                                             "distributions", "attempt")]
    if unknown:
        raise ValueError(f"attrs: unknown attribute(s) {', '.join(map(repr, unknown))}")
    if n_objectives > 1:
        attrs = tuple("values" if a == "value" else a for a in attrs)
    records: list[dict[tuple[str, Any], Any]] = []
    columns: dict[str, set] = {a: set() for a in attrs}
    for trial in trials:
        record: dict[tuple[str, Any], Any] = {}
        for attr in attrs:
            if attr in ("value", "values"):
                values = trial.values if trial.values is not None else [None] * n_objectives
                if attr == "value":
                    keys: Sequence[Any] = [metric_names[0] if metric_names else ""]
                else:
                    keys = list(metric_names) if metric_names else list(range(n_objectives))
                items = zip(keys, values)
            elif attr in _NESTED or attr in ("intermediate_values", "distributions"):
                items = _nested(trial, attr).items()
            else:
                value = getattr(trial, attr)
                items = [("", value.name if attr == "state" else value)]
            for key, value in items:
                record[(attr, key)] = value
                columns[attr].add((attr, key))
        records.append(record)
    ordered: list[tuple[str, Any]] = []
    for attr in attrs:
        if attr == "values" and metric_names:
            ordered.extend((attr, name) for name in metric_names)
        else:
            ordered.extend(sorted(columns[attr], key=lambda c: (str(type(c[1])), c[1])))
    frame = pandas.DataFrame(records, columns=pandas.MultiIndex.from_tuples(ordered))
    if not multi_index:
        frame.columns = ["_".join(str(part) for part in column if part != "")
                         for column in ordered]
    return frame
