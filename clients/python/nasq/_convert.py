"""Conversions between nasq's protos and Python values, shared by the client and the workers.

Contracts: a ParamValue becomes the Python bool, int, float or str it holds (and back: bool is
checked before int, since bool is an int in Python); attribute maps hold JSON text per key and
become Python values; Timestamps become timezone-aware UTC datetimes (None when unset), and
datetimes Timestamps (naive ones taken as UTC).
"""
from __future__ import annotations

import datetime
import json
from typing import Any, Mapping, Optional

from google.protobuf import timestamp_pb2

from nasq.v1 import study_pb2


def param_value(value: study_pb2.ParamValue) -> Any:
    kind = value.WhichOneof("kind")
    return None if kind is None else getattr(value, kind)


def to_param_value(value: Any, field: str = "value") -> study_pb2.ParamValue:
    if isinstance(value, bool):
        return study_pb2.ParamValue(bool_value=value)
    if isinstance(value, int):
        return study_pb2.ParamValue(int_value=value)
    if isinstance(value, float):
        return study_pb2.ParamValue(double_value=value)
    if isinstance(value, str):
        return study_pb2.ParamValue(string_value=value)
    raise TypeError(f"{field}: a param value is a bool, int, float or str (got {type(value).__name__})")


def params(values: Mapping[str, study_pb2.ParamValue]) -> dict[str, Any]:
    """A trial's params, sorted by name."""
    return {name: param_value(values[name]) for name in sorted(values)}


def attrs(json_texts: Mapping[str, str]) -> dict[str, Any]:
    """An attribute map (key -> JSON text) as Python values, sorted by key."""
    return {key: json.loads(json_texts[key]) for key in sorted(json_texts)}


def to_attrs(values: Mapping[str, Any]) -> dict[str, str]:
    return {key: json.dumps(value) for key, value in values.items()}


def to_timestamp(value: datetime.datetime, field: str):
    """`value` (a datetime; naive ones are taken as UTC) as a google.protobuf.Timestamp."""
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"{field}: expected a datetime, got {type(value).__name__}")
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def timestamp(value, present: bool) -> Optional[datetime.datetime]:
    """`value` (a google.protobuf.Timestamp) as a UTC datetime, or None when not `present`."""
    if not present:
        return None
    return value.ToDatetime(tzinfo=datetime.timezone.utc)
