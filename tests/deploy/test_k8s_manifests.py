"""deploy/k8s: both kustomizations render, every object passes the Kubernetes API schemas
offline (deploy/k8s/validate.py), the objects say what deploy/README.md promises (TLS and tokens
from Secrets, GPU requests, probes that follow /healthz, the database on a volume or in
PostgreSQL), and a broken manifest fails the check."""
import importlib.util
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
VALIDATE = K8S / "validate.py"

spec = importlib.util.spec_from_file_location("k8s_validate", VALIDATE)
validate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(validate)

COMMAND = validate.renderer()
pytestmark = pytest.mark.skipif(
    COMMAND is None, reason="none of kubectl, kustomize and go is installed (needed to render)")


def rendered(folder):
    return {(o["kind"], o["metadata"]["name"]): o for o in validate.render(str(folder), COMMAND)}


def container(objects, kind, name):
    [only] = objects[(kind, name)]["spec"]["template"]["spec"]["containers"]
    return only


def run_validate(*folders):
    return subprocess.run([sys.executable, str(VALIDATE), *map(str, folders)],
                          capture_output=True, text=True, check=False)


def test_both_renderings_pass_the_api_schemas():
    done = run_validate(K8S, K8S / "postgres")
    assert done.returncode == 0, done.stderr
    assert "every object is valid" in done.stdout


def test_server_uses_tls_tokens_and_health_probes():
    objects = rendered(K8S)
    server = container(objects, "StatefulSet", "nasq-server")
    args = server["args"]
    assert args[args.index("--db") + 1] == "/var/lib/nasq/nasq.db"
    for flag in ("--tls-cert", "--tls-key", "--auth-tokens"):
        assert flag in args
    mounts = {m["name"]: m["mountPath"] for m in server["volumeMounts"]}
    assert mounts["data"] == "/var/lib/nasq"
    volumes = objects[("StatefulSet", "nasq-server")]["spec"]["template"]["spec"]["volumes"]
    secrets = {v["secret"]["secretName"] for v in volumes if "secret" in v}
    assert secrets == {"nasq-tls", "nasq-tokens"}
    # /healthz decides start-up and liveness; readiness is the gRPC port accepting connections.
    healthz = {"path": "/healthz", "port": "http", "scheme": "HTTPS"}
    assert server["startupProbe"]["httpGet"] == healthz
    assert server["livenessProbe"]["httpGet"] == healthz
    assert server["readinessProbe"]["tcpSocket"] == {"port": "grpc"}
    liveness = server["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] == 60  # the systemd watchdog
    claims = objects[("StatefulSet", "nasq-server")]["spec"]["volumeClaimTemplates"]
    assert claims[0]["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert objects[("StatefulSet", "nasq-server")]["spec"]["replicas"] == 1


def test_worker_requests_one_gpu_and_uses_the_gpu_image():
    worker = container(rendered(K8S), "Deployment", "nasq-worker")
    assert worker["image"].startswith("nasq-worker-cuda:")
    assert (ROOT / "deploy" / "docker" / "Dockerfile.worker-cuda").is_file()
    resources = worker["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == resources["limits"]["nvidia.com/gpu"] == 1
    assert worker["args"][worker["args"].index("--device") + 1] == "cuda:0"
    env = {e["name"]: e.get("value") for e in worker["env"]}
    assert env["NASQ_TLS_CA"] and env["NASQ_TOKEN_FILE"]


def test_postgres_overlay_takes_the_url_from_a_secret_and_has_no_volume():
    objects = rendered(K8S / "postgres")
    statefulset = objects[("StatefulSet", "nasq-server")]
    server = container(objects, "StatefulSet", "nasq-server")
    args = server["args"]
    # Kubernetes expands $(NASQ_DB_URL) from the container's env in args.
    assert args[args.index("--db") + 1] == "$(NASQ_DB_URL)"
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in server["env"]}
    assert env["NASQ_DB_URL"] == {"name": "nasq-db", "key": "url"}
    # The password reaches libpq through its environment, not the command line.
    assert env["PGPASSWORD"] == {"name": "nasq-db", "key": "password", "optional": True}
    assert "volumeClaimTemplates" not in statefulset["spec"]
    mounts = {m["name"]: m for m in server["volumeMounts"]}
    assert "data" not in mounts
    assert mounts["db"] == {"name": "db", "mountPath": "/etc/nasq/db", "readOnly": True}
    volumes = {v["name"]: v for v in statefulset["spec"]["template"]["spec"]["volumes"]}
    assert volumes["db"]["secret"]["secretName"] == "nasq-db"
    assert statefulset["spec"]["replicas"] == 1
    # Everything but the server's database is the default rendering's.
    default = rendered(K8S)
    assert objects.keys() == default.keys()
    assert objects[("Deployment", "nasq-worker")] == default[("Deployment", "nasq-worker")]


BREAKAGES = {
    # a wrong type, an unknown field (strict), a field the API requires
    "wrong type": ("containerPort: 50051", "containerPort: fifty"),
    "unknown field": ("readOnlyRootFilesystem: true", "readOnlyRootFilesytem: true"),
    "missing required field": ("- name: nasq-server\n          image:", "- image:"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_manifest_fails(tmp_path, breakage):
    old, new = BREAKAGES[breakage]
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    server_yaml = copy / "base" / "server.yaml"
    text = server_yaml.read_text()
    assert old in text, f"the breakage {breakage!r} no longer applies to server.yaml"
    server_yaml.write_text(text.replace(old, new, 1))
    done = run_validate(copy, copy / "postgres")
    assert done.returncode == 1, done.stdout + done.stderr
    # Both renderings name the broken object, with the path to the problem.
    for folder in (copy, copy / "postgres"):
        assert f"{folder}: StatefulSet/nasq-server (Kubernetes" in done.stderr, done.stderr


def test_a_patch_that_no_longer_fits_the_base_fails_to_render(tmp_path):
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    server_yaml = copy / "base" / "server.yaml"
    server_yaml.write_text(server_yaml.read_text().replace('args: ["--db", ', 'args: [', 1))
    done = run_validate(copy / "postgres")
    assert done.returncode == 1
    # kustomize names the JSON patch test that failed: the overlay's guard of args[0].
    assert "testing value /spec/template/spec/containers/0/args/0 failed" in done.stderr, done.stderr
