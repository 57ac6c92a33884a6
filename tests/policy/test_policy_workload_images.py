"""workload-images-pinned: a workload the stack creates itself (the wake signal's CronJob, say)
runs images from Artifact Registry or pinned by digest, never a mutable tag from a public registry.
The stack's own CronJob passes; a tag from Docker Hub, a digest-less image from another registry
and an image unknown during preview are judged as the table says."""

from __future__ import annotations

from typing import Any

import pytest
from policy_cases import check, edit

from policy.nim_gke_policies.model import UNKNOWN

RULE = "workload-images-pinned"
CRON_JOB = "kubernetes:batch/v1:CronJob"
PINNED = (
    "us-central1-docker.pkg.dev/my-nim-dev-project/nim-dev-dockerhub/library/python"
    "@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6"
)
WAKE_CRON_JOB: dict[str, Any] = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "nim-wake-signal", "namespace": "nim"},
    "spec": {
        "schedule": "*/2 * * * *",
        "jobTemplate": {
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "wake-signal",
                                "image": PINNED,
                                "imagePullPolicy": "IfNotPresent",
                                "command": ["python3", "/opt/nim-wake/wake_signal.py"],
                            }
                        ],
                    }
                }
            }
        },
    },
}
IMAGE = ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "image")
WHERE = "spec.jobTemplate.spec.template.spec.containers[0].image"
BY_TAG = (
    "{where} is {image}: an image by tag from outside Artifact Registry can change under the "
    "stack, and every node pulls it from the internet (Docker Hub limits anonymous pulls per "
    "address; private nodes share one NAT address). Pull it through an Artifact Registry remote "
    "repository of its registry in the stack's region, or name it by digest "
    "(<image>@sha256:<digest>); the stack's own images do both."
)


@pytest.mark.parametrize(
    ("image", "messages", "unknowns"),
    [
        pytest.param(PINNED, [], [], id="the stack's cache, by digest"),
        pytest.param(
            "python@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6",
            [],
            [],
            id="Docker Hub by digest",
        ),
        pytest.param(
            "us-central1-docker.pkg.dev/p/dockerhub/library/python:3.13-slim",
            [],
            [],
            id="Artifact Registry by tag",
        ),
        pytest.param(
            "python:3.13-slim",
            [BY_TAG.format(where=WHERE, image='"python:3.13-slim"')],
            [],
            id="Docker Hub by tag",
        ),
        pytest.param(
            "ghcr.io/org/tool:1.0@sha256:abc",
            [BY_TAG.format(where=WHERE, image='"ghcr.io/org/tool:1.0@sha256:abc"')],
            [],
            id="a digest that is not one",
        ),
        pytest.param(UNKNOWN, [], [WHERE], id="unknown during preview"),
    ],
)
def test_the_cronjobs_image(image, messages, unknowns):
    findings = check(RULE, edit(WAKE_CRON_JOB, (IMAGE, image)), type_=CRON_JOB)
    assert findings.messages == messages
    assert findings.unknowns == unknowns


def test_init_containers_and_other_workloads_are_judged_too():
    deployment = {
        "spec": {
            "template": {
                "spec": {
                    "initContainers": [{"name": "fetch", "image": "busybox:1.36"}],
                    "containers": [{"name": "app", "image": PINNED}],
                }
            }
        }
    }
    findings = check(RULE, deployment, type_="kubernetes:apps/v1:Deployment")
    assert findings.messages == [
        BY_TAG.format(where="spec.template.spec.initContainers[0].image", image='"busybox:1.36"')
    ]


def test_the_nim_chart_is_not_its_business():
    """The nim-llm release's pods are rendered by Helm; nim-ngc-credentials and the chart tests
    judge its image (through the nvcr.io mirror)."""
    from policy_cases import RULES  # noqa: PLC0415

    assert "kubernetes:helm.sh/v3:Release" not in RULES[RULE].resource_types
    assert CRON_JOB in RULES[RULE].resource_types
