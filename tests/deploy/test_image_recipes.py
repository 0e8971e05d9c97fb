"""The image recipes, checked offline (no Docker engine or Apptainer here): every Dockerfile
parses with BuildKit's own parser (PyPI `dockerfile`) and copies files that exist; the Debian
packages that the server and CPU worker images install hold every shared library of the built
binaries (with their dependencies); deploy/apptainer/nasq-worker.def parses (PyPI `spython`) and
builds what Dockerfile.worker-cuda builds: the same base images, the same steps of
deploy/build-worker-cuda.sh, the same data, environment and command. A definition that drifts
from the Dockerfile fails, and so does a package list without a library's package. Not
verified: that the images build and run (no engine, no Apptainer in Debian 12, no GPU in CI)."""
import functools
import os
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


def needs_debian_package_lists():
    if not shutil.which("apt-cache") or not any(pathlib.Path("/var/lib/apt/lists").glob("*Packages*")):
        pytest.skip("no Debian package lists (apt-get update)")


def test_the_cuda_runtime_packages_exist_in_debian():
    needs_debian_package_lists()
    [packages] = re.findall(r"RUNTIME_PACKAGES=\(([^)]*)\)", BUILD_SCRIPT.read_text())
    shown = subprocess.run(["apt-cache", "show", "--no-all-versions", *packages.split()],
                           capture_output=True, text=True)
    for package in packages.split():
        assert f"Package: {package}\n" in shown.stdout, (package, shown.stderr)


def installed_packages(path):
    """The packages of the runtime stage's `apt-get install` of a Dockerfile."""
    [(_, runtime)] = list(stages_of_dockerfile(path).items())[1:]
    [install] = [v[0] for cmd, v, _ in runtime if cmd == "RUN" and "apt-get install" in v[0]]
    words = install.split("--no-install-recommends", 1)[1].split("&&", 1)[0].split()
    return [word for word in words if word != "\\"]


def dependency_closure(packages):
    """The packages and everything they depend on (Depends and Pre-Depends), by apt-cache."""
    done = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                           "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                           *packages], capture_output=True, text=True, check=True)
    return {line for line in done.stdout.splitlines() if line and not line.startswith((" ", "<"))}


@functools.cache
def dpkg_files():
    """{path: package} of every file that dpkg installed (its /var/lib/dpkg/info/*.list)."""
    files = {}
    for listing in pathlib.Path("/var/lib/dpkg/info").glob("*.list"):
        package = listing.stem.split(":")[0]
        for path in listing.read_text(errors="replace").splitlines():
            files[path] = package
    return files


def owner(library):
    """The Debian package that installed `library` (a path ldd printed), or None."""
    real = os.path.realpath(library)
    # Debian 12 is usr-merged: dpkg knows /lib/... where ldd may print /usr/lib/... or back.
    for path in (library, real, re.sub("^/usr/", "/", real), "/usr" + library):
        if path in dpkg_files():
            return dpkg_files()[path]
    return None


def uncovered(binaries, packages):
    """`library (package)` for each shared library of the binaries that no package of the
    dependency closure of `packages` installs."""
    closure = dependency_closure(packages)
    found = []
    for binary in binaries:
        ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
        for library in re.findall(r"=> (/\S+)", ldd):
            package = owner(library)
            if package not in closure:
                found.append(f"{library} ({package or 'no package'})")
    return sorted(set(found))


IMAGES = {  # Dockerfile: the built binaries it copies (nasq_pytest's NASQ_*_BIN)
    "Dockerfile.server": ("NASQ_SERVER_BIN", "NASQ_CLI_BIN"),
    "Dockerfile.worker": ("NASQ_WORKER_BIN", "NASQ_CLI_BIN"),
}


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_the_runtime_packages_hold_every_library_of_the_binaries(name):
    needs_debian_package_lists()
    if not all(env in os.environ for env in IMAGES[name]):
        pytest.skip(f"{', '.join(IMAGES[name])} not all built")
    binaries = [os.environ[env] for env in IMAGES[name]]
    ldd = subprocess.run(["ldd", *binaries], capture_output=True, text=True).stdout
    if "/torch/lib/" in ldd:
        pytest.skip("built against a torch wheel (Dockerfile.worker-cuda's build), not Debian's")
    assert uncovered(binaries, installed_packages(DOCKER / name)) == []


def test_a_package_list_without_a_librarys_package_fails():
    needs_debian_package_lists()
    packages = installed_packages(DOCKER / "Dockerfile.server")
    packages.remove("libgrpc++1.51")
    missing = uncovered([os.environ["NASQ_SERVER_BIN"]], packages)
    assert any("libgrpc++.so.1.51" in line and "(libgrpc++1.51)" in line for line in missing), missing


def test_the_cuda_runtime_packages_hold_the_workers_own_libraries():
    # The GPU image's binaries link the wheel's LibTorch (not built here) and, directly, the same
    # other libraries as this build's: each of those must come from RUNTIME_PACKAGES.
    needs_debian_package_lists()
    if "NASQ_WORKER_BIN" not in os.environ:
        pytest.skip("nasq-worker is not built")
    [packages] = re.findall(r"RUNTIME_PACKAGES=\(([^)]*)\)", BUILD_SCRIPT.read_text())
    closure = dependency_closure(packages.split())
    found = []
    for binary in (os.environ["NASQ_WORKER_BIN"], os.environ["NASQ_CLI_BIN"]):
        paths = dict(re.findall(r"(\S+) => (/\S+)",
                                subprocess.run(["ldd", binary], capture_output=True,
                                               text=True, check=True).stdout))
        dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                                 check=True).stdout
        for name in re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", dynamic):
            if not name.startswith(("libtorch", "libc10")) and owner(paths[name]) not in closure:
                found.append(f"{binary}: {name} ({owner(paths[name])})")
    assert found == []
