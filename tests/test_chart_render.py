"""Render the real nim-llm chart with each stack's values and check the pod would start.

Needs a ``helm`` binary (``$HELM``, ``.ci-tools/helm`` or ``helm`` on PATH; ``.ci/run`` installs
one) and the chart sources in ``$NIM_LLM_CHART_DIR`` (e.g. ``helm pull nim-llm --repo
https://helm.ngc.nvidia.com/nim --username '$oauthtoken' --password $NGC_API_KEY --untar``, or
NVIDIA/nim-deploy ``helm/nim-llm``). Skipped when either is missing: the chart is not
redistributable here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.test_chart_contract import STACKS, gpu_pool, release_values, secrets

pytestmark = pytest.mark.helm


def _helm() -> str | None:
    for candidate in (os.environ.get("HELM"), str(ROOT / ".ci-tools" / "helm"), "helm"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


CHART = os.environ.get("NIM_LLM_CHART_DIR")
HELM = _helm()
if not (CHART and Path(CHART, "Chart.yaml").exists() and HELM):
    pytest.skip(
        "set NIM_LLM_CHART_DIR to an unpacked nim-llm chart and install helm to render it",
        allow_module_level=True,
    )


def render(release: str, values: dict[str, Any], tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / f"{release}.json"
    path.write_text(json.dumps(values))
    out = subprocess.run(
        [HELM, "template", release, CHART, "--namespace", "nim", "-f", str(path)],  # type: ignore[list-item]
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def workload(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (sts,) = [d for d in docs if d["kind"] == "StatefulSet"]
    return sts


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_pod_would_start_on_the_stack(stack, tmp_path):
    pool = gpu_pool(stack)
    for values in release_values(stack):
        release = "llama3-8b"
        docs = render(release, values, tmp_path)
        sts = workload(docs)
        pod = sts["spec"]["template"]["spec"]
        (container,) = [c for c in pod["containers"] if c["name"] == "nim-llm"]

        # Every Secret key the pod reads exists in a Secret the stack creates.
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in secrets(stack)[ref["name"]]["stringData"], ref
        assert any(
            e["name"] == "NGC_API_KEY" and e["valueFrom"]["secretKeyRef"]["key"] == "NGC_API_KEY"
            for e in container["env"]
        )
        for ref in pod["imagePullSecrets"]:
            assert secrets(stack)[ref["name"]]["type"] == "kubernetes.io/dockerconfigjson"

        # Scheduling matches the pool.
        assert pod["nodeSelector"]["cloud.google.com/gke-nodepool"] == pool["name"]
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
            "tolerations"
        ]
        gpus = pool["nodeConfig"]["guestAccelerators"][0]["count"]
        assert container["resources"]["limits"]["nvidia.com/gpu"] <= gpus

        # Probes on the NIM health paths with at least the chart's startup budget.
        assert container["livenessProbe"]["httpGet"]["path"] == "/v1/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/v1/health/ready"
        startup = container["startupProbe"]
        assert startup["httpGet"]["path"] == "/v1/health/ready"
        budget = (
            startup["initialDelaySeconds"] + startup["failureThreshold"] * startup["periodSeconds"]
        )
        assert budget >= 40 + 180 * 10

        # The model cache is a persisted claim of the requested size and class.
        (claim,) = sts["spec"]["volumeClaimTemplates"]
        assert claim["spec"]["resources"]["requests"]["storage"] == values["persistence"]["size"]
        assert claim["spec"]["storageClassName"] == values["persistence"]["storageClass"]
        mounts = {m["name"] for m in container["volumeMounts"]}
        assert claim["metadata"]["name"] in mounts

        # Pod Security Standard "restricted".
        csc = container["securityContext"]
        assert csc["allowPrivilegeEscalation"] is False
        assert csc["capabilities"]["drop"] == ["ALL"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"

        # The Service the stack exports exists with the OpenAI port.
        services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
        assert services[f"{release}-nim-llm"]["spec"]["ports"][0]["port"] == 8000
