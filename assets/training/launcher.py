"""Where `python -m models.entry` runs: a local subprocess, or a GPU pod on Kubernetes.

Both speak Dagster Pipes, so the training assets call `trainer.run(context=..., extras=...)`
whichever it is; `training_launcher` picks the deployment from `PULSELAKE_DEPLOYMENT`. Only
these pods ask for `nvidia.com/gpu`: the run pods that launch them (K8sRunLauncher,
deploy/helm/values.yaml) do not.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import dagster as dg

from assets.lake.resources import local_root

DEPLOYMENTS = ("local", "k8s")
GPU_RESOURCE = "nvidia.com/gpu"
LAKE_VOLUME = "lake"
# The trainer image (Dockerfile.trainer) has `python` on PATH; the code location's own
# interpreter path means nothing inside it.
TRAINER_COMMAND = ["python", "-m", "models.entry"]


class TrainingLauncher(dg.ConfigurableResource):
    """Runs the training entry point through Pipes: `local` in a subprocess of this process
    (PipesSubprocessClient), `k8s` in a pod of `image` (PipesK8sClient) that requests `gpus`
    GPUs and mounts the lake's volume claim at the lake root, so the paths in the extras are
    the same on both sides."""

    deployment: str = "local"
    image: str = ""
    namespace: str = ""
    gpus: int = 1
    lake_claim: str = ""
    lake_mount: str = ""
    service_account: str = ""

    def checked(self) -> TrainingLauncher:
        if self.deployment not in DEPLOYMENTS:
            raise ValueError(
                f"PULSELAKE_DEPLOYMENT={self.deployment!r}; expected one of {DEPLOYMENTS}"
            )
        if self.deployment == "k8s" and not self.image:
            raise ValueError("the k8s deployment needs the trainer image (PULSELAKE_TRAINER_IMAGE)")
        if self.lake_claim and not self.lake_mount.startswith("/"):
            raise ValueError(f"the lake claim mounts at a POSIX path, not {self.lake_mount!r}")
        return self

    def pod_spec(self) -> dict[str, Any]:
        """The training pod's spec (camelCase, as in a manifest); PipesK8sClient adds the
        image, command and the Pipes environment to the first container."""
        container: dict[str, Any] = {}
        if self.gpus > 0:
            container["resources"] = {"limits": {GPU_RESOURCE: str(self.gpus)}}
        spec: dict[str, Any] = {"containers": [container], "restartPolicy": "Never"}
        if self.gpus > 0:
            # GPU nodes are usually tainted so that only pods asking for a GPU land there.
            spec["tolerations"] = [
                {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
            ]
        if self.lake_claim:
            container["volumeMounts"] = [{"name": LAKE_VOLUME, "mountPath": self.lake_mount}]
            spec["volumes"] = [
                {"name": LAKE_VOLUME, "persistentVolumeClaim": {"claimName": self.lake_claim}}
            ]
        if self.service_account:
            spec["serviceAccountName"] = self.service_account
        return spec

    def client(self) -> dg.PipesClient:
        if self.deployment == "k8s":
            from dagster_k8s import PipesK8sClient  # the [k8s] extra; absent from local installs

            return PipesK8sClient()
        return dg.PipesSubprocessClient()

    def run(
        self,
        *,
        context: dg.AssetExecutionContext,
        extras: Mapping[str, Any],
        command: list[str] | None = None,
    ) -> dg.PipesClientCompletedInvocation:
        self.checked()
        if self.deployment == "k8s":
            return self.client().run(
                context=context,
                extras=extras,
                image=self.image,
                command=command or TRAINER_COMMAND,
                namespace=self.namespace or None,
                base_pod_spec=self.pod_spec(),
            )
        return self.client().run(
            command=command or [sys.executable, "-m", "models.entry"],
            context=context,
            extras=extras,
        )


def training_launcher(root: str) -> TrainingLauncher:
    """`PULSELAKE_DEPLOYMENT=local` (the default) trains in a subprocess; `k8s` in a pod of
    `PULSELAKE_TRAINER_IMAGE` with `PULSELAKE_TRAINER_GPUS` GPUs (default 1) and the lake's
    volume claim `PULSELAKE_LAKE_CLAIM` mounted at the lake root."""
    env = os.environ.get
    return TrainingLauncher(
        deployment=env("PULSELAKE_DEPLOYMENT", "local"),
        image=env("PULSELAKE_TRAINER_IMAGE", ""),
        namespace=env("PULSELAKE_K8S_NAMESPACE", ""),
        gpus=int(env("PULSELAKE_TRAINER_GPUS", "1")),
        lake_claim=env("PULSELAKE_LAKE_CLAIM", ""),
        lake_mount=local_root(root) if env("PULSELAKE_LAKE_CLAIM") else "",
        service_account=env("PULSELAKE_TRAINER_SERVICE_ACCOUNT", ""),
    ).checked()
