"""Study specs from Python: the YAML form of docs/study-spec.md (a dict, a YAML file or YAML text)
converted to the StudySpec proto that CreateStudy takes.

Contract: `to_proto(spec)` accepts exactly what `nasq study create` accepts and yields the spec
the CLI would send, so both create equal studies (tests/python/test_spec.py checks every file of
examples/). YAML text is read with YAML 1.2's scalars as the CLI reads them (`yes`/`no` stay
strings, `1e-5` is a number, quoted values are strings). Structural mistakes are raised here as
nasq.errors.InvalidArgument naming the field's path (`space.params.lr.low: expected a number,
got 'abc'`, `colour: unknown field (expected one of: ...)`); ranges and cross-field rules are
the server's, whose INVALID_ARGUMENT names the field too. Option names follow the proto: an
option with a field of its own is checked here, one that travels in an `options` map (NSGA-II's)
is checked by the server.
"""
from __future__ import annotations

import json
import math
import os
import re
from typing import Any, Mapping, Union

import yaml

from nasq import _convert
from nasq.errors import InvalidArgument
from nasq.v1 import study_pb2

SpecSource = Union[Mapping[str, Any], str, "os.PathLike[str]"]

# Bounds on a YAML document once its aliases are expanded, as the CLI's (spec/spec_yaml.cc).
_MAX_YAML_NODES = 1_000_000
_MAX_YAML_DEPTH = 64

_TOP_LEVEL = ("name", "direction", "directions", "metric", "metrics", "space", "sampler", "pruner",
              "budgets", "reference_point", "max_trials", "max_retries",
              "max_consecutive_failures", "lease", "task", "user_attrs")
_LIMIT_FIELDS = ("max_trials", "max_retries", "max_consecutive_failures")
_LEASE_FIELDS = {"duration": "lease_duration_ms", "heartbeat_interval": "heartbeat_interval_ms"}
_DURATION_UNITS = (("ms", 1.0), ("s", 1e3), ("m", 60e3), ("h", 3600e3))
_COMPARE_OPS = {"==": study_pb2.COMPARE_OP_EQ, "!=": study_pb2.COMPARE_OP_NE,
                "<": study_pb2.COMPARE_OP_LT, "<=": study_pb2.COMPARE_OP_LE,
                ">": study_pb2.COMPARE_OP_GT, ">=": study_pb2.COMPARE_OP_GE,
                "in": study_pb2.COMPARE_OP_IN, "not_in": study_pb2.COMPARE_OP_NOT_IN}
_SAMPLER_KINDS = {"random": study_pb2.SAMPLER_KIND_RANDOM, "grid": study_pb2.SAMPLER_KIND_GRID,
                  "tpe": study_pb2.SAMPLER_KIND_TPE, "nsga2": study_pb2.SAMPLER_KIND_NSGA2}
_PRUNER_KINDS = {"none": study_pb2.PRUNER_KIND_NONE, "median": study_pb2.PRUNER_KIND_MEDIAN,
                 "percentile": study_pb2.PRUNER_KIND_PERCENTILE,
                 "successive_halving": study_pb2.PRUNER_KIND_SUCCESSIVE_HALVING,
                 "hyperband": study_pb2.PRUNER_KIND_HYPERBAND,
                 "threshold": study_pb2.PRUNER_KIND_THRESHOLD,
                 "patient": study_pb2.PRUNER_KIND_PATIENT}
# The PrunerConfig field holding each kind's options (the median pruner's: all but percentile).
_PRUNER_SECTIONS = {"median": "percentile", "percentile": "percentile",
                    "successive_halving": "successive_halving", "hyperband": "hyperband",
                    "threshold": "threshold", "patient": "patient"}


def _fail(path: str, message: str) -> InvalidArgument:
    return InvalidArgument(f"{path}: {message}" if path else message)


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else repr(value)


def _fields(value: Any, path: str, allowed) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, f"expected a mapping, got {_describe(value)}")
    for key in value:
        if key not in allowed:
            raise _fail(_child(path, str(key)),
                        f"unknown field (expected one of: {', '.join(allowed)})")
    return dict(value)


def _required(fields: Mapping[str, Any], path: str, key: str) -> Any:
    if key not in fields:
        raise _fail(_child(path, key), "required field is missing")
    return fields[key]


def _string(value: Any, path: str) -> str:
    # The CLI reads a plain scalar's text: `name: 2024` is the name "2024".
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _fail(path, f"expected a string, got {_describe(value)}")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise _fail(path, f"expected a number, got {_describe(value)}")


def _integer(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _fail(path, f"expected an integer, got {_describe(value)}")


def _bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    raise _fail(path, f"expected true or false, got {_describe(value)}")


def _duration_ms(value: Any, path: str) -> int:
    """A number of seconds, or "500ms", "30s", "5m", "1h", as milliseconds."""
    seconds = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        for suffix, scale in _DURATION_UNITS:
            number = value[:-len(suffix)]
            if value.endswith(suffix) and _is_float_text(number):
                seconds = float(number) * scale / 1e3
                break
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        raise _fail(path, "expected a duration such as 500ms, 30s, 5m or a number of seconds, "
                          f"got {_describe(value)}")
    return math.floor(seconds * 1e3 + 0.5)  # half away from zero, as the CLI's llround


def _string_or_list(value: Any, path: str) -> list[str]:
    if isinstance(value, list):
        return [_string(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return [_string(value, path)]


def _param_value(value: Any, path: str) -> study_pb2.ParamValue:
    if value is None or isinstance(value, (Mapping, list)):
        raise _fail(path, f"expected a string, number or bool, got {_describe(value)}")
    return _convert.to_param_value(value, path)


def _param_values(value: Any, path: str) -> list[study_pb2.ParamValue]:
    if isinstance(value, list):
        return [_param_value(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return [_param_value(value, path)]


def _json_value(value: Any, path: str, count: list[int], depth: int = 0) -> Any:
    """`value` as JSON-encodable data, as the CLI's YamlToJson: non-finite floats become the
    strings ".inf", "-.inf" and ".nan"; bounded in nodes and depth (aliases expanded)."""
    count[0] += 1
    if depth > _MAX_YAML_DEPTH:
        raise _fail(path, f"nested more than {_MAX_YAML_DEPTH} levels deep")
    if count[0] > _MAX_YAML_NODES:
        raise _fail(path, f"more than {_MAX_YAML_NODES} nodes once aliases (*name) are expanded")
    if isinstance(value, Mapping):
        return {_string(k, path): _json_value(v, _child(path, str(k)), count, depth + 1)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v, f"{path}[{i}]", count, depth + 1) for i, v in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise _fail(path, f"expected JSON data, got {type(value).__name__}")


def _json_text(value: Any, path: str) -> str:
    return json.dumps(_json_value(value, path, [0]), separators=(",", ":"), ensure_ascii=False)


def _set_scalar_field(message, name: str, value: Any, path: str) -> None:
    """Sets the bool, integer or double field `name` of `message` from `value`."""
    field = message.DESCRIPTOR.fields_by_name[name]
    if field.type == field.TYPE_BOOL:
        setattr(message, name, _bool(value, path))
    elif field.type == field.TYPE_DOUBLE:
        setattr(message, name, _number(value, path))
    else:
        setattr(message, name, _integer(value, path))


def _option_fields(message) -> list[str]:
    return [f.name for f in message.DESCRIPTOR.fields if f.name != "options"]


def _set_option(message, key: str, value: Any, path: str) -> None:
    """An option into its field of `message`, else into its `options` map (server-checked)."""
    if key in message.DESCRIPTOR.fields_by_name:
        _set_scalar_field(message, key, value, path)
        return
    if isinstance(value, bool):
        message.options[key].bool_value = value
    else:
        message.options[key].number_value = _number(value, path)


def _objectives(fields: Mapping[str, Any], spec: study_pb2.StudySpec) -> None:
    if "direction" in fields and "directions" in fields:
        raise _fail("directions", "give either direction or directions")
    if "metric" in fields and "metrics" in fields:
        raise _fail("metrics", "give either metric or metrics")
    key = "directions" if "directions" in fields else "direction"
    names = _string_or_list(fields[key], key) if key in fields else ["minimize"]
    for i, name in enumerate(names):
        if name not in ("minimize", "maximize"):
            raise _fail(key, f"expected minimize or maximize, got {name!r}")
        spec.directions.append(study_pb2.STUDY_DIRECTION_MINIMIZE if name == "minimize"
                               else study_pb2.STUDY_DIRECTION_MAXIMIZE)
    key = "metrics" if "metrics" in fields else "metric"
    if key in fields:
        spec.metric_names.extend(_string_or_list(fields[key], key))


def _param(name: str, value: Any, path: str) -> study_pb2.ParamSpec:
    param = study_pb2.ParamSpec(name=name)
    if isinstance(value, list):  # shorthand: `act: [relu, gelu]` is a categorical
        _choices(value, _child(path, "choices"), param.distribution)
        return param
    if not isinstance(value, Mapping):
        raise _fail(path, f"expected a parameter definition (a mapping), got {_describe(value)}")
    if "type" in value:
        kind = _string(value["type"], _child(path, "type"))
    elif "choices" in value:
        kind = "categorical"
    else:
        raise _fail(_child(path, "type"), "required field is missing (float, int or categorical)")
    if kind == "categorical":
        fields = _fields(value, path, ("type", "when", "choices"))
        _choices(_required(fields, path, "choices"), _child(path, "choices"), param.distribution)
    elif kind in ("float", "int"):
        fields = _fields(value, path, ("type", "when", "low", "high", "log", "step"))
        read = _number if kind == "float" else _integer
        d = (param.distribution.float_distribution if kind == "float"
             else param.distribution.int_distribution)
        d.low = read(_required(fields, path, "low"), _child(path, "low"))
        d.high = read(_required(fields, path, "high"), _child(path, "high"))
        if "log" in fields:
            d.log = _bool(fields["log"], _child(path, "log"))
        if "step" in fields:
            d.step = read(fields["step"], _child(path, "step"))
    else:
        raise _fail(_child(path, "type"), f"expected float, int or categorical, got {kind!r}")
    if "when" in fields:
        when, when_path = fields["when"], _child(path, "when")
        conditions = ([(c, f"{when_path}[{i}]") for i, c in enumerate(when)]
                      if isinstance(when, list) else [(when, when_path)])
        param.conditions.extend(_condition(c, p) for c, p in conditions)
    return param


def _choices(value: Any, path: str, distribution: study_pb2.Distribution) -> None:
    if not isinstance(value, list):
        raise _fail(path, f"expected a list, got {_describe(value)}")
    if not value:
        raise _fail(path, "needs at least one choice")
    distribution.categorical_distribution.choices.extend(_param_values(value, path))


def _condition(value: Any, path: str) -> study_pb2.Condition:
    fields = _fields(value, path, ("parent", "op", "value", "in", "not_in"))
    condition = study_pb2.Condition(parent=_string(_required(fields, path, "parent"),
                                                   _child(path, "parent")))
    forms = [key for key in ("op", "in", "not_in") if key in fields]
    if len(forms) != 1:
        raise _fail(path, "give exactly one of `op` (with `value`), `in` or `not_in`")
    if forms[0] == "op":
        op = _string(fields["op"], _child(path, "op"))
        if op not in _COMPARE_OPS:
            raise _fail(_child(path, "op"),
                        f"expected one of ==, !=, <, <=, >, >=, in, not_in, got {op!r}")
        condition.op = _COMPARE_OPS[op]
        values = _required(fields, path, "value")
        condition.values.extend(_param_values(values, _child(path, "value")))
        return condition
    if "value" in fields:
        raise _fail(_child(path, "value"), "only allowed together with `op`")
    condition.op = _COMPARE_OPS[forms[0]]
    condition.values.extend(_param_values(fields[forms[0]], _child(path, forms[0])))
    return condition


def _constraint(value: Any, path: str) -> study_pb2.Constraint:
    fields = _fields(value, path, ("lhs", "op", "rhs", "offset"))
    constraint = study_pb2.Constraint(lhs=_string(_required(fields, path, "lhs"),
                                                  _child(path, "lhs")))
    op = _string(_required(fields, path, "op"), _child(path, "op"))
    if op not in _COMPARE_OPS or op in ("in", "not_in"):
        raise _fail(_child(path, "op"), f"expected one of ==, !=, <, <=, >, >=, got {op!r}")
    constraint.op = _COMPARE_OPS[op]
    rhs = _required(fields, path, "rhs")
    if isinstance(rhs, str):
        constraint.rhs = rhs
        if "offset" in fields:
            constraint.offset = _number(fields["offset"], _child(path, "offset"))
    else:
        constraint.offset = _number(rhs, _child(path, "rhs"))
        if "offset" in fields:
            raise _fail(_child(path, "offset"), "only allowed when rhs names a parameter")
    return constraint


def _space(value: Any, spec: study_pb2.StudySpec) -> None:
    fields = _fields(value, "space", ("params", "constraints"))
    params = _required(fields, "space", "params")
    if not isinstance(params, Mapping):
        raise _fail("space.params", "expected a mapping from parameter name to its definition, "
                                    f"got {_describe(params)}")
    for name, definition in params.items():
        name = _string(name, "space.params")
        spec.space.params.append(_param(name, definition, _child("space.params", name)))
    constraints = fields.get("constraints", [])
    if not isinstance(constraints, list):
        raise _fail("space.constraints", f"expected a list, got {_describe(constraints)}")
    spec.space.constraints.extend(
        _constraint(c, f"space.constraints[{i}]") for i, c in enumerate(constraints))


def _sampler(value: Any, spec: study_pb2.StudySpec) -> None:
    sampler = spec.sampler
    if not isinstance(value, Mapping):
        raise _fail("sampler", f"expected a mapping, got {_describe(value)}")
    kind = "tpe"
    if "type" in value:
        kind = _string(value["type"], "sampler.type")
        if kind not in _SAMPLER_KINDS:
            raise _fail("sampler.type",
                        f"expected grid, random or tpe, got {kind!r}; nsga2 is also accepted")
    sampler.kind = _SAMPLER_KINDS[kind]
    common = ["type", "seed", *_option_fields(sampler)]
    common = [key for key in common if key not in ("kind", "tpe", "nsga2")]
    tpe_keys = _option_fields(sampler.tpe)
    for key, item in value.items():
        path = _child("sampler", str(key))
        if key == "type":
            continue
        if key == "seed":
            sampler.seed = _integer(item, path)
            if sampler.seed < 0:
                raise _fail(path, "must be >= 0")
        elif key in common:
            _set_option(sampler, key, item, path)
        elif key in tpe_keys:
            if kind != "tpe":
                raise _fail(path, "only valid with type: tpe")
            _set_option(sampler.tpe, key, item, path)
        elif kind == "nsga2" and key == "crossover":
            sampler.nsga2.crossover = _string(item, path)
        elif kind == "nsga2":  # NSGA-II's options travel in its options map
            _set_option(sampler.nsga2, str(key), item, path)
        else:
            allowed = common + (tpe_keys if kind == "tpe" else [])
            raise _fail(path, f"unknown field (expected one of: {', '.join(allowed)})")


def _pruner_kind(value: Any, path: str) -> str:
    kind = _string(value, path)
    if kind not in _PRUNER_KINDS:
        raise _fail(path, "expected none, median, percentile, successive_halving, hyperband, "
                          f"threshold or patient, got {kind!r}")
    return kind


def _pruner(value: Any, spec: study_pb2.StudySpec) -> None:
    pruner = spec.pruner
    if not isinstance(value, Mapping):
        raise _fail("pruner", f"expected a mapping, got {_describe(value)}")
    kind = _pruner_kind(value["type"], "pruner.type") if "type" in value else "none"
    pruner.kind = _PRUNER_KINDS[kind]
    wrapped = "none"
    if kind == "patient" and "wrapped" in value:
        wrapped = _pruner_kind(value["wrapped"], "pruner.wrapped")
        pruner.wrapped = _PRUNER_KINDS[wrapped]
    # Where each key goes: the pruner's own fields, then the kind's section, then the wrapped's.
    owners: dict[str, Any] = {key: pruner for key in ("objective",)}
    for k in (wrapped, kind):
        if k in _PRUNER_SECTIONS:
            section = getattr(pruner, _PRUNER_SECTIONS[k])
            for key in _option_fields(section):
                if not (k == "median" and key == "percentile"):
                    owners[key] = section
    allowed = ["type", *(["wrapped"] if kind == "patient" else []), *owners]
    for key, item in _fields(value, "pruner", allowed).items():
        if key not in ("type", "wrapped"):
            _set_option(owners[key], key, item, _child("pruner", key))


def _budgets(value: Any, spec: study_pb2.StudySpec) -> None:
    if not isinstance(value, Mapping):
        raise _fail("budgets", f"expected a mapping, got {_describe(value)}")
    for metric, bounds in value.items():
        path = _child("budgets", str(metric))
        budget = spec.budgets[_string(metric, "budgets")]
        for key, item in _fields(bounds, path, ("min", "max")).items():
            setattr(budget, key, _number(item, _child(path, key)))


def _limits(fields: Mapping[str, Any], spec: study_pb2.StudySpec) -> None:
    for key in _LIMIT_FIELDS:
        if key in fields:
            _set_scalar_field(spec, key, fields[key], key)
    if "lease" in fields:
        for key, item in _fields(fields["lease"], "lease", tuple(_LEASE_FIELDS)).items():
            setattr(spec, _LEASE_FIELDS[key], _duration_ms(item, _child("lease", key)))


def from_dict(spec: Mapping[str, Any]) -> study_pb2.StudySpec:
    """The StudySpec of a spec in its YAML form, as Python data (see the module contract)."""
    if spec is None:
        raise _fail("", "empty study spec")
    fields = _fields(spec, "", _TOP_LEVEL)
    proto = study_pb2.StudySpec(name=_string(_required(fields, "", "name"), "name"))
    _objectives(fields, proto)
    if "reference_point" in fields:
        points = fields["reference_point"]
        if not isinstance(points, list):
            raise _fail("reference_point", f"expected a list, got {_describe(points)}")
        proto.reference_point.extend(
            _number(v, f"reference_point[{i}]") for i, v in enumerate(points))
    _space(_required(fields, "", "space"), proto)
    if "sampler" in fields:
        _sampler(fields["sampler"], proto)
    if "pruner" in fields:
        _pruner(fields["pruner"], proto)
    if "budgets" in fields:
        _budgets(fields["budgets"], proto)
    _limits(fields, proto)
    task = fields.get("task")
    if task is not None:
        if not isinstance(task, Mapping):
            raise _fail("task", f"expected a mapping, got {_describe(task)}")
        proto.task_json = _json_text(task, "task")
    if "user_attrs" in fields:
        attrs = fields["user_attrs"]
        if not isinstance(attrs, Mapping):
            raise _fail("user_attrs", f"expected a mapping, got {_describe(attrs)}")
        for key, item in attrs.items():
            proto.user_attrs[_string(key, "user_attrs")] = _json_text(item, f"user_attrs.{key}")
    return proto


# --- YAML with the CLI's scalars (YAML 1.2 core schema, spec/yaml_scalar.cc) ---

_FLOAT_TEXT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_INT_TEXT = re.compile(r"[-+]?\d+")


def _is_float_text(text: str) -> bool:
    return bool(_FLOAT_TEXT.fullmatch(text))


def _plain_scalar(text: str) -> Any:
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT_TEXT.fullmatch(text) and -2**63 <= int(text) < 2**63:
        return int(text)
    lower = text.lower()
    if lower in (".inf", "+.inf"):
        return math.inf
    if lower == "-.inf":
        return -math.inf
    if lower == ".nan":
        return math.nan
    if _is_float_text(text):
        return float(text)
    return text


def _yaml_loader() -> type:
    class Loader(yaml.SafeLoader):
        """SafeLoader with the CLI's scalar typing and refusing duplicate keys."""

    Loader.yaml_implicit_resolvers = {}  # every plain scalar is typed by _plain_scalar

    def scalar(loader, node):
        if node.style is None:  # plain (unquoted)
            return _plain_scalar(node.value)
        return node.value

    def mapping(loader, node):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _fail("", f"line {key_node.start_mark.line + 1}: mapping keys must be "
                                "scalars")
            key = key_node.value  # keys are text, as in the CLI (`8: x` has the key "8")
            if key in out:
                raise _fail(key, f"line {key_node.start_mark.line + 1}: duplicate key")
            out[key] = loader.construct_object(value_node, deep=True)
        return out

    Loader.add_constructor("tag:yaml.org,2002:str", scalar)
    Loader.add_constructor("tag:yaml.org,2002:map", mapping)
    return Loader


def from_yaml(text: str, source: str = "<string>") -> study_pb2.StudySpec:
    """The StudySpec of YAML text; errors start with `source`."""
    try:
        data = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as e:
        raise InvalidArgument(f"{source}: invalid YAML: {e}") from None
    except RecursionError:
        raise InvalidArgument(f"{source}: nested more than {_MAX_YAML_DEPTH} levels deep") from None
    except InvalidArgument as e:
        raise InvalidArgument(f"{source}: {e.message}") from None
    try:
        return from_dict(data)
    except InvalidArgument as e:
        raise InvalidArgument(f"{source}: {e.message}") from None


def to_proto(spec: SpecSource) -> study_pb2.StudySpec:
    """A StudySpec from a dict, the path of a YAML file, or YAML text (anything with a newline
    or a `:` that is not an existing file)."""
    if isinstance(spec, study_pb2.StudySpec):
        return spec
    if isinstance(spec, Mapping):
        return from_dict(spec)
    if isinstance(spec, (str, os.PathLike)):
        path = os.fspath(spec)
        if "\n" not in path and os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return from_yaml(f.read(), path)
        if "\n" in path or ":" in path:
            return from_yaml(path)
        raise InvalidArgument(f"{path}: no such file (pass a dict, a YAML file or YAML text)")
    raise TypeError(f"spec: expected a dict, a YAML path or YAML text, got {type(spec).__name__}")


__all__ = ["from_dict", "from_yaml", "to_proto", "SpecSource"]
