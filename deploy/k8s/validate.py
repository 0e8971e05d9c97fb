#!/usr/bin/env python3
"""deploy/k8s/validate.py: renders kustomizations and checks every rendered object offline
against the Kubernetes API's JSON schemas, strictly (an unknown field is an error).

  build/venv/bin/python3 deploy/k8s/validate.py deploy/k8s deploy/k8s/postgres

Rendering: `kubectl kustomize DIR`; where there is no kubectl, `kustomize build DIR`; where there
is neither, kustomize KUSTOMIZE_VERSION (the one kubectl 1.32 embeds) built from the Go module
proxy with `go run` (about 110 MB of modules and 1-3 minutes the first time, cached after).
None needs a cluster. The schemas are those bundled by PyPI's kubernetes-validate (pinned in
clients/python/requirements-test.txt, installed by scripts/python-env.sh), so validating fetches
nothing. Each object is checked against every version of KUBERNETES_VERSIONS: 1.29, an older
release clusters still run, and 1.37, the newest in the pinned bundle.

Exit status: 0 when every object of every folder passes; 1 when one does not render or an object
fails, each problem printed as `DIR: KIND/NAME (Kubernetes V): PATH: MESSAGE`; 2 for bad usage
or when no renderer (kubectl, kustomize, go) is installed.
"""
import argparse
import shutil
import subprocess
import sys

import kubernetes_validate
import yaml

KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")
KUSTOMIZE_VERSION = "v5.5.0"


def renderer():
    """The command that renders a kustomization folder (a list to which DIR is appended), or
    None when none of kubectl, kustomize and go is installed."""
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("go"):
        return ["go", "run", f"sigs.k8s.io/kustomize/kustomize/v5@{KUSTOMIZE_VERSION}", "build"]
    return None


def render(folder, command):
    """The objects of the kustomization in `folder`, as dicts. Raises RuntimeError with the
    renderer's message when it fails."""
    done = subprocess.run(command + [folder], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc is not None]


def problems(obj, versions=KUBERNETES_VERSIONS):
    """Schema violations of one object: `KIND/NAME (Kubernetes V): PATH: MESSAGE` strings,
    empty when it is valid for every version."""
    name = f"{obj.get('kind', '?')}/{obj.get('metadata', {}).get('name', '?')}"
    found = []
    for version in versions:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path) or "(top)"
            found.append(f"{name} (Kubernetes {version}): {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            found.append(f"{name} (Kubernetes {version}): no schema: {error}")
    return found


def check(folder, command):
    """Every problem of the kustomization in `folder`, each prefixed with the folder."""
    try:
        objects = render(folder, command)
    except RuntimeError as error:
        return [f"{folder}: {error}"]
    if not objects:
        return [f"{folder}: renders no objects"]
    return [f"{folder}: {problem}" for obj in objects for problem in problems(obj)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", help="kustomization folders")
    args = parser.parse_args()
    command = renderer()
    if command is None:
        print("validate.py: none of kubectl, kustomize and go is installed", file=sys.stderr)
        return 2
    found = [problem for folder in args.folders for problem in check(folder, command)]
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        print(f"validate.py: {', '.join(args.folders)}: every object is valid for Kubernetes "
              f"{' and '.join(KUBERNETES_VERSIONS)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
