"""The GPU worker's image recipes, checked offline (no Docker engine or Apptainer here):
every Dockerfile parses with BuildKit's own parser (PyPI `dockerfile`) and copies files that
exist; deploy/apptainer/nasq-worker.def parses (PyPI `spython`) and builds what
Dockerfile.worker-cuda builds: the same base images, the same steps of
deploy/build-worker-cuda.sh, the same data, environment and command. A definition that drifts
from the Dockerfile fails. Not verified: that the images build and run (no engine, no
Apptainer in Debian 12, no GPU in CI)."""
import pathlib
import re
import shutil
import subprocess

import dockerfile
import pytest
from spython.main.parse.parsers import SingularityParser

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"
CUDA_DOCKERFILE = DOCKER / "Dockerfile.worker-cuda"
APPTAINER_DEF = ROOT / "deploy" / "apptainer" / "nasq-worker.def"
BUILD_SCRIPT = ROOT / "deploy" / "build-worker-cuda.sh"
DATASET = "third_party/spam-assassin/data"  # made by scripts/fetch-data.sh, not committed
APPTAINER_SECTIONS = {"setup", "files", "post", "environment", "runscript", "startscript",
                      "test", "labels", "help", "arguments"}


def stages_of_dockerfile(path):
    """{stage: [(instruction, args, flags)]} in order; unnamed stages are numbered."""
    stages, current = {}, None
    for command in dockerfile.parse_file(str(path)):
        if command.cmd == "FROM":
            name = command.value[2] if len(command.value) == 3 else str(len(stages))
            current = stages.setdefault(name, [])
        current.append((command.cmd, command.value, command.flags))
    return stages


def docker_summary(path):
    """What the image is made of, in terms an Apptainer definition can also be read in."""
    (build_name, build), (_, runtime) = stages_of_dockerfile(path).items()
    env = {}
    for cmd, value, _ in runtime:
        if cmd == "ENV":
            env.update(zip(value[::2], value[1::2]))
    entry = [v for cmd, value, _ in runtime if cmd in ("ENTRYPOINT", "CMD") for v in value]
    return {
        "build base": build[0][1][0],
        "runtime base": runtime[0][1][0],
        "build steps": [v[0] for cmd, v, _ in build if cmd == "RUN" and "build-worker-cuda" in v[0]],
        "runtime steps": [v[0] for cmd, v, _ in runtime
                          if cmd == "RUN" and "build-worker-cuda" in v[0]],
        "from build": sorted(" ".join(v) for cmd, v, flags in runtime
                             if cmd == "COPY" and f"--from={build_name}" in flags),
        "data": [v[1] for cmd, v, flags in runtime if cmd == "COPY" and v[0] == DATASET],
        "data dir": env["NASQ_DATA_DIR"],
        "path": env["PATH"],
        "command": " ".join(entry),
    }


def apptainer_summary(path):
    recipes = SingularityParser(str(path)).recipe
    assert list(recipes) == ["build", "runtime"], list(recipes)
    build, runtime = recipes["build"], recipes["runtime"]
    env = dict(line.split("=", 1) for line in runtime.environ)
    [command] = re.findall(r'exec (.*) "\$@"', runtime.cmd)
    return {
        "build base": build.fromHeader,
        "runtime base": runtime.fromHeader,
        "build steps": [line for line in build.install if "build-worker-cuda" in line],
        "runtime steps": [line for line in runtime.install if "build-worker-cuda" in line],
        "from build": sorted(runtime.layer_files["build"]),
        "data": [line.split()[1] for line in runtime.files if line.split()[0] == DATASET],
        "data dir": env["NASQ_DATA_DIR"],
        "path": env["PATH"],
        "command": command,
    }


def test_every_dockerfile_parses_and_copies_files_that_exist():
    for path in sorted(DOCKER.glob("Dockerfile.*[!e]")):  # not the .dockerignore files
        stages = stages_of_dockerfile(path)
        assert stages, path
        for commands in stages.values():
            for cmd, value, flags in commands:
                if cmd == "COPY" and not any(f.startswith("--from=") for f in flags):
                    for source in value[:-1]:
                        assert source == DATASET or (ROOT / source).exists(), (path, source)
                if cmd == "RUN":
                    for script in re.findall(r"(?:^|\s)((?:deploy|scripts)/\S+\.sh)", value[0]):
                        assert (ROOT / script).stat().st_mode & 0o111, (path, script)


def test_the_gpu_dockerfile_uses_the_shared_build_and_runs_the_worker_on_cuda():
    summary = docker_summary(CUDA_DOCKERFILE)
    assert summary["build steps"] == ["deploy/build-worker-cuda.sh build /opt/nasq"]
    assert summary["runtime steps"] == ["/opt/nasq/build-worker-cuda.sh runtime /opt/nasq"]
    assert summary["command"] == "nasq-worker --device cuda:0"
    assert summary["data"] == [f"/data/{DATASET}"] and summary["data dir"] == "/data"


def test_the_apptainer_definition_builds_what_the_gpu_dockerfile_builds():
    assert apptainer_summary(APPTAINER_DEF) == docker_summary(CUDA_DOCKERFILE)


def test_the_apptainer_definition_has_only_known_sections_and_a_header_per_stage():
    text = APPTAINER_DEF.read_text()
    sections = set(re.findall(r"(?m)^%(\w+)", text))
    assert sections <= APPTAINER_SECTIONS, sections - APPTAINER_SECTIONS
    stages = re.split(r"(?m)^(?=Bootstrap:)", text)[1:]
    assert len(stages) == 2
    for stage in stages:
        header = dict(re.findall(r"(?m)^(Bootstrap|From|Stage): *(\S+)", stage))
        assert header.keys() == {"Bootstrap", "From", "Stage"} and header["Bootstrap"] == "docker"


@pytest.mark.parametrize("drift", [
    ("runtime /opt/nasq", "runtime /opt/other"),           # another prefix than the Dockerfile
    ("From: debian:12-slim", "From: ubuntu:24.04"),        # another runtime base
    ("--device cuda:0", "--device cpu"),                   # another command
])
def test_a_definition_that_drifts_from_the_dockerfile_fails(tmp_path, drift):
    old, new = drift
    broken = tmp_path / "nasq-worker.def"
    text = APPTAINER_DEF.read_text()
    assert old in text
    broken.write_text(text.replace(old, new, 1))
    assert apptainer_summary(broken) != docker_summary(CUDA_DOCKERFILE)


def test_the_build_script_uses_the_pinned_wheel_with_cuda():
    assert subprocess.run(["bash", "-n", BUILD_SCRIPT]).returncode == 0
    text = BUILD_SCRIPT.read_text()
    # The torch version is written once, in scripts/torch-wheel.sh.
    assert "version=$(scripts/torch-wheel.sh --version)" in text
    assert '"torch==$version"' in text
    for flag in ("-DNASQ_TORCH_DIR=", "-DNASQ_TORCH_CUDA=ON", "-DCMAKE_BUILD_TYPE=Release"):
        assert flag in text
    assert "--target nasq-worker nasq" in text
    done = subprocess.run([BUILD_SCRIPT, "nonsense", "/opt/nasq"], capture_output=True, text=True)
    assert done.returncode == 2 and "usage:" in done.stderr


def test_the_runtime_packages_exist_in_debian():
    if not shutil.which("apt-cache") or not any(pathlib.Path("/var/lib/apt/lists").glob("*Packages*")):
        pytest.skip("no Debian package lists (apt-get update)")
    [packages] = re.findall(r"RUNTIME_PACKAGES=\(([^)]*)\)", BUILD_SCRIPT.read_text())
    shown = subprocess.run(["apt-cache", "show", "--no-all-versions", *packages.split()],
                           capture_output=True, text=True)
    for package in packages.split():
        assert f"Package: {package}\n" in shown.stdout, (package, shown.stderr)
