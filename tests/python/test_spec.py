"""nasq.spec: the Python client creates exactly the study that `nasq study create` creates from
the same YAML (compared as the server answers GetStudy), and refuses bad specs naming the
field."""
import pathlib

import pytest

import nasq
from nasq import errors, spec

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))

# Every section the examples leave out: NSGA-II and its options, a patient pruner wrapping the
# median, conditions of each form, constraints, durations, and YAML 1.2 scalars in the task.
EVERYTHING = """
name: everything
directions: [maximize, minimize]
metrics: [acc, bits]
reference_point: [0.5, 32]
space:
  params:
    n: {type: int, low: 1, high: 64, log: true}
    w: {type: int, low: 2, high: 16, step: 2}
    lr: {type: float, low: 1.0e-5, high: 1e-1, log: true}
    drop: {type: float, low: 0, high: 0.5, step: 0.1}
    act: [relu, gelu, yes, no, 8, "8", 1.5, true]
    fmt: {choices: [int, mini]}
    e: {type: int, low: 2, high: 5,
        when: [{parent: fmt, in: [mini]}, {parent: n, op: ">=", value: 4}]}
    f: {choices: [a, b], when: {parent: fmt, not_in: [int]}}
    g: {type: float, low: 0, high: 1, when: {parent: n, op: in, value: [1, 2]}}
  constraints:
    - {lhs: w, op: "<", rhs: n}
    - {lhs: w, op: "<=", rhs: n, offset: -2}
    - {lhs: w, op: ">=", rhs: 4}
sampler: {type: nsga2, seed: 3, population_size: 10, crossover: sbx, eta: 2.5,
          mutation_prob: 0.25, max_constraint_retries: 50, skip_duplicates: true}
pruner: {type: patient, patience: 2, min_delta: 0.5, wrapped: median, n_startup_trials: 7,
         objective: 1}
max_trials: 40
max_retries: 1
max_consecutive_failures: 0
lease: {duration: 1.5m, heartbeat_interval: 500ms}
task: {a: .inf, b: -.Inf, c: .nan, d: yes, e: 1e3, f: 0x1F, g: "8", h: ~, i: 1., j: +5,
       k: 012, l: 1_000, m: [True, FALSE, Null], "n o": {p: 2.50}}
user_attrs: {owner: lab1, tags: [a, 1, 2.5], nested: {x: null}}
"""

TPE = """
name: tpe-options
space: {params: {x: {type: float, low: -1, high: 1}}}
sampler: {type: tpe, n_startup_trials: 3, n_ei_candidates: 12, multivariate: true, group: true,
          constant_liar: true, prior_weight: 2.0, consider_magic_clip: false,
          consider_endpoints: true}
pruner: {type: successive_halving, min_resource: 2, reduction_factor: 3, bootstrap_count: 1}
lease: {duration: 30, heartbeat_interval: 0.5}
"""


def created_by_cli(nasq_cli, client, path: pathlib.Path, name: str):
    nasq_cli("study", "create", str(path))
    answer = client.load_study(name).spec
    client.delete_study(name)
    return answer


@pytest.mark.parametrize("text", [EVERYTHING, TPE], ids=["everything", "tpe"])
def test_yaml_text_creates_the_study_the_cli_creates(server, nasq_cli, tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    client = nasq.connect(server.address)
    name = spec.from_yaml(text).name
    from_cli = created_by_cli(nasq_cli, client, path, name)
    assert client.create_study(text).spec == from_cli


def test_every_example_creates_the_study_the_cli_creates(server, nasq_cli):
    client = nasq.connect(server.address)
    for path in EXAMPLES:
        name = spec.to_proto(path).name
        from_cli = created_by_cli(nasq_cli, client, path, name)
        assert client.create_study(path).spec == from_cli, path.name
        client.delete_study(name)
    assert len(EXAMPLES) >= 10


def test_yaml_scalars_are_typed_as_the_cli_types_them():
    proto = spec.from_yaml(EVERYTHING)
    act = [nasq._convert.param_value(c) for c in
           proto.space.params[4].distribution.categorical_distribution.choices]
    assert act == ["relu", "gelu", "yes", "no", 8, "8", 1.5, True]
    assert proto.lease_duration_ms == 90000 and proto.heartbeat_interval_ms == 500
    half = spec.from_yaml("name: h\nspace: {params: {x: [1]}}\n"
                          "lease: {duration: 2.5ms, heartbeat_interval: 0.0005}")
    assert (half.lease_duration_ms, half.heartbeat_interval_ms) == (3, 1)  # as llround
    assert proto.task_json.startswith('{"a":".inf","b":"-.inf","c":".nan","d":"yes","e":1000.0,'
                                      '"f":"0x1F","g":"8","h":null,"i":1.0,"j":5,"k":12,')


def test_a_dict_is_the_yaml_form():
    from_dict = spec.to_proto({"name": "d", "direction": "maximize",
                               "space": {"params": {"x": [1, 2, 3]}},
                               "lease": {"duration": "10m", "heartbeat_interval": "30s"},
                               "task": {"kind": "custom", "epochs": 2}})
    from_text = spec.from_yaml("name: d\ndirection: maximize\nspace: {params: {x: [1, 2, 3]}}\n"
                               "lease: {duration: 10m, heartbeat_interval: 30s}\n"
                               "task: {kind: custom, epochs: 2}\n")
    assert from_dict == from_text


@pytest.mark.parametrize("text, message", [
    ("name: s\nspace: {params: {x: {type: float, low: abc, high: 1}}}",
     "space.params.x.low: expected a number, got 'abc'"),
    ("name: s\ncolour: red\nspace: {params: {x: [1]}}", "colour: unknown field (expected one of"),
    ("name: s\nspace: {params: {x: {type: float, low: 0}}}",
     "space.params.x.high: required field is missing"),
    ("name: s\nspace: {params: {x: {type: complex}}}",
     "space.params.x.type: expected float, int or categorical, got 'complex'"),
    ("name: s\nspace: {params: {x: [1]}}\nsampler: {type: random, multivariate: true}",
     "sampler.multivariate: only valid with type: tpe"),
    ("name: s\nspace: {params: {x: [1]}}\nsampler: {type: nsga2, n_startup_trials: 3}",
     "sampler.n_startup_trials: only valid with type: tpe"),
    ("name: s\nspace: {params: {x: [1]}}\npruner: {type: median, percentile: 30}",
     "pruner.percentile: unknown field"),
    ("name: s\nspace: {params: {x: [1]}}\nlease: {duration: soon}",
     "lease.duration: expected a duration such as 500ms"),
    ("name: s\nspace: {params: {x: [1], x: [2]}}", "x: line 2: duplicate key"),
    ("name: s\ndirection: sideways\nspace: {params: {x: [1]}}",
     "direction: expected minimize or maximize, got 'sideways'"),
    ("name: s\nspace: {params: {y: {choices: [1], when: {parent: x, op: '~', value: 1}}}}",
     "space.params.y.when.op: expected one of =="),
    ("name: s\nspace: {params: {x: [1]}\n", "invalid YAML"),
    ("name: s\nspace: {params: {x: [1]}}\ntask: {a: " + "[" * 100 + "]" * 100 + "}",
     "[0][0][0]: nested more than 64 levels deep"),
    ("name: s\nspace: {params: {x: [1]}}\ntask: {a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],\n"
     + "".join(f"  {c}: &{c} [{', '.join([f'*{p}'] * 10)}],\n" for p, c in zip("abcde", "bcdef"))
     + "}", "more than 1000000 nodes once aliases (*name) are expanded"),
    ("name: s\nspace: {params: {x: [1]}}\ntask: " + "[" * 5000 + "]" * 5000,
     "levels deep"),
])
def test_bad_specs_are_refused_naming_the_field(text, message):
    with pytest.raises(errors.InvalidArgument) as caught:
        spec.from_yaml(text, "spec.yaml")
    assert caught.value.message.startswith("spec.yaml: ")
    assert message in caught.value.message


def test_not_a_spec():
    with pytest.raises(errors.InvalidArgument, match="no such file"):
        spec.to_proto("missing.yaml")
    with pytest.raises(TypeError, match="spec: expected a dict"):
        spec.to_proto(42)
