"""Builds the nasq package, generating its gRPC stubs from the repository's proto/ first.

The protos live at <repo>/proto/nasq/v1/*.proto; their Python package path nasq.v1 lands inside
this package (nasq/v1/), so the generated imports (`from nasq.v1 import study_pb2`) resolve.
Build from a checkout of the repository (`pip install clients/python`): an sdist would not carry
proto/.
"""
import pathlib

from setuptools import setup

HERE = pathlib.Path(__file__).resolve().parent
PROTO_ROOT = HERE.parent.parent / "proto"


def generate_stubs() -> None:
    from grpc_tools import protoc  # a build requirement (pyproject.toml)
    import grpc_tools

    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "nasq" / "v1").glob("*.proto"))
    if not protos:
        raise RuntimeError(f"no .proto files under {PROTO_ROOT}/nasq/v1: build from a nasq checkout")
    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    args = ["protoc", f"-I{PROTO_ROOT}", f"-I{well_known}", f"--python_out={HERE}",
            f"--pyi_out={HERE}", f"--grpc_python_out={HERE}", *protos]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed on " + " ".join(protos))
    (HERE / "nasq" / "v1" / "__init__.py").write_text('"""Generated from proto/nasq/v1 at build time."""\n')


# Every setuptools step (metadata, wheel, editable) needs nasq/v1 to exist, so the stubs are
# generated whenever this script runs; protoc takes well under a second.
generate_stubs()
setup()
