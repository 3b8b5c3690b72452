"""The production (Kubernetes) configuration: Definitions load with the env of
deploy/helm/values.yaml, training pods (and only they) request a GPU, the lake's IO manager
works on file:// and on an in-memory object store, and the trainer image's package stays lean."""

import ast
import runpy
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster_k8s import PipesK8sClient
from dagster_k8s.pipes import build_pod_body

from assets.training.launcher import GPU_RESOURCE, TRAINER_COMMAND, TrainingLauncher
from pipelines.resources import Lake, lake_resources

ROOT = Path(__file__).resolve().parents[1]
VALUES = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())
[DEPLOYMENT] = VALUES["dagster-user-deployments"]["deployments"]
ENV = {item["name"]: item["value"] for item in DEPLOYMENT["env"]}


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return ENV


def keys(tree) -> set[str]:
    if isinstance(tree, dict):
        return set(tree) | {k for value in tree.values() for k in keys(value)}
    if isinstance(tree, list):
        return {k for value in tree for k in keys(value)}
    return set()


def test_the_production_configuration_loads(production_env: dict[str, str]):
    # A fresh module namespace: the imported `pipelines.definitions.defs` stays the local one.
    defs = runpy.run_module("pipelines.definitions")["defs"]
    dg.Definitions.validate_loadable(defs)
    trainer = defs.resources["trainer"]
    assert isinstance(trainer, TrainingLauncher)
    assert trainer.deployment == "k8s" and isinstance(trainer.client(), PipesK8sClient)
    assert trainer.image == production_env["PULSELAKE_TRAINER_IMAGE"]
    assert trainer.lake_mount == production_env["PULSELAKE_LAKE"] == "/lake"
    assert defs.resources["lake"].root == "/lake"
    # The chart serves the same module the Dockerfile's CMD does, on the same port.
    assert DEPLOYMENT["dagsterApiGrpcArgs"] == ["-m", "pipelines.definitions"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"pipelines.definitions", "-h", "0.0.0.0", "-p", "4000"' in dockerfile
    assert DEPLOYMENT["port"] == 4000
    mounts = {m["name"]: m["mountPath"] for m in DEPLOYMENT["volumeMounts"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in DEPLOYMENT["volumes"]}
    assert mounts == {"lake": "/lake"}
    assert claims == {"lake": production_env["PULSELAKE_LAKE_CLAIM"]}


def test_the_chart_limits_concurrency_as_the_local_instance_does():
    local = yaml.safe_load((ROOT / "dagster.example.yaml").read_text())["concurrency"]
    chart = VALUES["concurrency"]
    assert chart["enabled"] and chart["pools"]["defaultLimit"] == local["pools"]["default_limit"]
    limits = [(limit["key"], limit["limit"]) for limit in chart["runs"]["tagConcurrencyLimits"]]
    assert limits == [
        (limit["key"], limit["limit"]) for limit in local["runs"]["tag_concurrency_limits"]
    ]


def test_local_runs_keep_the_subprocess_client(monkeypatch: pytest.MonkeyPatch, lake: Path):
    monkeypatch.delenv("PULSELAKE_DEPLOYMENT", raising=False)
    trainer = lake_resources(str(lake))["trainer"]
    assert trainer.deployment == "local"
    assert isinstance(trainer.client(), dg.PipesSubprocessClient)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PULSELAKE_DEPLOYMENT": "swarm"}, "expected one of"),
        ({"PULSELAKE_DEPLOYMENT": "k8s"}, "PULSELAKE_TRAINER_IMAGE"),
    ],
)
def test_a_wrong_deployment_stops_loading(monkeypatch: pytest.MonkeyPatch, env, message):
    monkeypatch.delenv("PULSELAKE_TRAINER_IMAGE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        lake_resources("/lake")


def pod(trainer: TrainingLauncher):
    return build_pod_body(
        pod_name="trained-linear",
        image=trainer.image,
        command=TRAINER_COMMAND,
        env_vars={"DAGSTER_PIPES_CONTEXT": "x"},
        base_pod_meta=None,
        base_pod_spec=trainer.pod_spec(),
    )


def test_the_training_pod_requests_a_gpu_and_mounts_the_lake(production_env):
    trainer = lake_resources()["trainer"]
    body = pod(trainer)
    [container] = body.spec.containers
    assert container.resources.limits == {GPU_RESOURCE: "1"}
    assert container.image == production_env["PULSELAKE_TRAINER_IMAGE"]
    assert container.command == ["python", "-m", "models.entry"]
    assert [(m.name, m.mount_path) for m in container.volume_mounts] == [("lake", "/lake")]
    [volume] = body.spec.volumes
    assert volume.persistent_volume_claim.claim_name == production_env["PULSELAKE_LAKE_CLAIM"]
    assert [t.key for t in body.spec.tolerations] == [GPU_RESOURCE]
    assert body.spec.restart_policy == "Never"
    assert body.spec.service_account_name == production_env["PULSELAKE_TRAINER_SERVICE_ACCOUNT"]


def test_only_training_pods_ask_for_a_gpu(production_env, monkeypatch: pytest.MonkeyPatch):
    # The run pods (K8sRunLauncher) and the code-location deployment never do.
    assert GPU_RESOURCE not in keys(VALUES["runLauncher"])
    assert GPU_RESOURCE not in keys(DEPLOYMENT)
    # A CPU-only cluster: no GPU limit and no GPU toleration.
    monkeypatch.setenv("PULSELAKE_TRAINER_GPUS", "0")
    body = pod(lake_resources()["trainer"])
    assert body.spec.containers[0].resources is None and body.spec.tolerations is None


def test_the_k8s_launcher_hands_the_pod_spec_to_pipes(monkeypatch: pytest.MonkeyPatch):
    calls = []

    def fake_run(self, **kwargs):
        calls.append(kwargs)
        raise RuntimeError("no cluster here")

    monkeypatch.setattr(PipesK8sClient, "run", fake_run)
    trainer = TrainingLauncher(deployment="k8s", image="trainer:1", gpus=2, namespace="ml")

    @dg.asset
    def trained(context: dg.AssetExecutionContext, trainer: TrainingLauncher) -> None:
        trainer.run(context=context, extras={"tensors": "/lake/tensors/user_disjoint"})

    result = dg.materialize([trained], resources={"trainer": trainer}, raise_on_error=False)
    assert not result.success
    [call] = calls
    assert call["image"] == "trainer:1" and call["namespace"] == "ml"
    assert call["command"] == TRAINER_COMMAND
    assert call["extras"] == {"tensors": "/lake/tensors/user_disjoint"}
    assert call["base_pod_spec"]["containers"][0]["resources"] == {"limits": {GPU_RESOURCE: "2"}}


def test_the_lake_takes_a_file_url_and_refuses_an_unmounted_bucket(tmp_path: Path):
    assert Lake(root=tmp_path.as_uri()).path("models", "m.pt") == tmp_path / "models" / "m.pt"
    with pytest.raises(ValueError, match="mount it"):
        Lake(root="s3://bucket/lake").path("tensors")


def test_the_trainer_image_needs_only_torch_numpy_and_dagster_pipes():
    """Dockerfile.trainer copies models/ alone and installs these; models/ must not import
    dagster, polars or the pipelines package."""
    allowed = {"torch", "numpy", "dagster_pipes", "models", *sys.stdlib_module_names}
    imported = set()
    for source in (ROOT / "models").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert imported <= allowed, imported - allowed
    trainer = (ROOT / "Dockerfile.trainer").read_text()
    assert "COPY models models" in trainer and "dagster-pipes==1.13.27" in trainer
